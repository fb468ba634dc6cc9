"""Chunking: offsets round-trip, token budgets hold, overlap and boundaries, sections and pages respected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.ingest.chunking import ChunkSpan, RegexTokenCounter, chunk_document
from engine.ingest.loaders import load_document
from engine.ingest.loaders.markdown import markdown_document
from engine.types import Document, Section
from tests.support.corpus import EXPECTED, write_corpus

pytestmark = pytest.mark.timeout(60)
COUNTER = RegexTokenCounter()


class SpecialTokenCounter:
    """Like an HF tokenizer with special tokens: BOS/EOS have (0, 0) spans; newline runs are tokens too."""

    def offsets(self, text: str) -> list[tuple[int, int]]:
        spans = COUNTER.offsets(text)
        newlines = [(i, i + 2) for i in range(len(text) - 1) if text[i : i + 2] == "\n\n"]
        return [(0, 0)] + sorted(spans + newlines) + [(0, 0)]


class CountingCounter:
    exact_substrings = True

    def __init__(self) -> None:
        self.calls = 0

    def offsets(self, text: str) -> list[tuple[int, int]]:
        self.calls += 1
        return COUNTER.offsets(text)


class SpaceSensitiveCounter:
    """Like byte-level BPE: a word carries its leading space; a word with none (a stripped chunk's first) costs two."""

    def offsets(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for m in re.finditer(r" ?\w+|[^\w\s]", text):
            a, b = m.span()
            if text[a] != " " and b - a > 1:
                spans += [(a, a + 1), (a + 1, b)]
            else:
                spans.append((a, b))
        return spans


def words(n: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{i}" for i in range(n))


def single(text: str, page: int | None = None, headings: tuple[str, ...] = ()) -> Document:
    return Document(text, (Section(0, len(text), page, headings),))


def check_invariants(doc: Document, chunks: list[ChunkSpan], max_tokens: int, counter=COUNTER) -> None:
    for chunk in chunks:
        assert doc.text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
        real = [s for s in counter.offsets(chunk.text) if s[1] > s[0]]
        assert len(real) <= max_tokens
    starts = [c.char_start for c in chunks]
    assert starts == sorted(starts)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("chunk_corpus"))


@pytest.mark.parametrize("key", sorted(EXPECTED))
@pytest.mark.parametrize("max_tokens", [6, 64])
def test_corpus_chunks_round_trip_and_keep_locations(corpus: dict[str, Path], key: str, max_tokens: int) -> None:
    doc = load_document(corpus[key])
    chunks = chunk_document(doc, COUNTER, max_tokens=max_tokens, overlap_tokens=2)
    check_invariants(doc, chunks, max_tokens)
    for marker, headings, page in EXPECTED[key]:
        holders = [c for c in chunks if marker in c.text]
        assert holders, marker
        # Merging may shorten a trail to the common parent, never change it.
        assert all(headings[: len(c.headings)] == c.headings and c.page == page for c in holders), marker
    if max_tokens == 6:
        for marker, headings, _ in EXPECTED[key]:
            assert any(c.headings == headings for c in chunks if marker in c.text), marker


def test_long_section_is_windowed_with_exact_overlap() -> None:
    doc = single(words(230))
    chunks = chunk_document(doc, COUNTER, max_tokens=50, overlap_tokens=10)
    check_invariants(doc, chunks, 50)
    firsts = [c.text.split()[0] for c in chunks]
    assert firsts == ["w0", "w40", "w80", "w120", "w160", "w200"]
    assert all(len(c.text.split()) == 50 for c in chunks[:-1])
    assert chunks[-1].text.endswith("w229")


def test_cut_prefers_paragraph_then_sentence_within_the_last_fifth() -> None:
    text = words(44, "a") + ". " + words(2, "b") + "\n\n" + words(100, "c")  # sentence end at 45, paragraph at 47
    chunks = chunk_document(single(text), COUNTER, max_tokens=50, overlap_tokens=5)
    assert chunks[0].text.endswith("b1")
    sentence = words(44, "a") + ". " + words(100, "c")
    chunks = chunk_document(single(sentence), COUNTER, max_tokens=50, overlap_tokens=5)
    assert chunks[0].text.endswith("a43.")
    early = words(10, "a") + ".\n\n" + words(100, "c")  # a boundary outside the last fifth is not used
    chunks = chunk_document(single(early), COUNTER, max_tokens=50, overlap_tokens=5)
    assert len(chunks[0].text.split()) == 50 - 1  # 49 words + the "." token


def test_chunks_never_span_sections_or_pages() -> None:
    page_one, page_two = words(30, "p"), words(30, "q")
    text = page_one + "\n\n" + page_two
    doc = Document(text, (Section(0, len(page_one) + 2, 1), Section(len(page_one) + 2, len(text), 2)))
    chunks = chunk_document(doc, COUNTER, max_tokens=200, overlap_tokens=5)
    assert [(c.text, c.page) for c in chunks] == [(page_one, 1), (page_two, 2)]
    tiny = Document("a\n\nb", (Section(0, 3, 1), Section(3, 4, 2)))  # tiny pages still stay apart
    assert [c.page for c in chunk_document(tiny, COUNTER, max_tokens=200, overlap_tokens=5)] == [1, 2]


def test_tiny_faq_sections_merge_under_their_parent() -> None:
    faq = "# FAQ\n\nQuestions people ask.\n\n" + "".join(
        f"## Question {i}?\n\nShort answer {i}.\n\n" for i in range(100)
    )
    doc = markdown_document(faq)
    assert len(doc.sections) == 101
    chunks = chunk_document(doc, COUNTER, max_tokens=100, overlap_tokens=10)
    check_invariants(doc, chunks, 100)
    assert len(chunks) <= 15
    assert {c.headings for c in chunks} == {("FAQ",)}
    assert all(f"answer {i}." in "".join(c.text for c in chunks) for i in range(100))


def test_merging_needs_the_same_parent_and_a_tiny_side() -> None:
    text = (
        "# A\n\n" + words(95, "a") + "\n\n## B\n\nb text\n\n# C\n\nc text\n\n# D\n\nd text\n\n# E\n\n" + words(30, "e")
    )
    chunks = chunk_document(markdown_document(text), COUNTER, max_tokens=100, overlap_tokens=5)
    # A is too big to take B; B (under A) and C (under the root) have different parents; C, D and E share the
    # root, and the group stays tiny enough to take E.
    assert [c.headings for c in chunks] == [("A",), ("A", "B"), ()]
    assert chunks[2].text.startswith("# C") and chunks[2].text.endswith("e29")
    siblings = "# X\n\n" + words(40, "x") + "\n\n# Y\n\n" + words(40, "y")
    chunks = chunk_document(markdown_document(siblings), COUNTER, max_tokens=100, overlap_tokens=5)
    assert [c.headings for c in chunks] == [("X",), ("Y",)]  # neither side is tiny


def test_front_matter_merges_into_the_first_heading() -> None:
    doc = markdown_document("---\ntitle: T\n---\n\n# Title\n\nIntro text.\n")
    chunks = chunk_document(doc, COUNTER)
    assert [(c.text[:3], c.headings) for c in chunks] == [("---", ("Title",))]


def test_whitespace_sections_are_skipped_and_missing_sections_mean_whole_text() -> None:
    doc = Document("  \n\n  hello world  \n", (Section(0, 4), Section(4, 21)))
    chunks = chunk_document(doc, COUNTER)
    assert [(c.text, c.char_start) for c in chunks] == [("hello world", 6)]
    bare = Document("no sections here")
    assert [c.text for c in chunk_document(bare, COUNTER)] == ["no sections here"]
    assert chunk_document(Document(" \n\t "), COUNTER) == []


def test_zero_length_special_tokens_are_ignored_and_edges_stripped() -> None:
    text = words(38, "x") + "\n\n" + words(50, "y") + "\n\n" + words(50, "z")
    doc = single(text)
    counter = SpecialTokenCounter()
    chunks = chunk_document(doc, counter, max_tokens=40, overlap_tokens=5)
    check_invariants(doc, chunks, 40, counter)
    assert chunks[0].text.split()[0] == "x0"
    assert chunks[0].text.endswith("x37")  # the paragraph break (a token here) is the preferred cut


def test_context_sensitive_counters_get_windows_recounted_to_fit() -> None:
    counter = SpaceSensitiveCounter()
    text = "\n".join(words(12, f"l{i}_") for i in range(30))
    doc = single(text)
    chunks = chunk_document(doc, counter, max_tokens=20, overlap_tokens=3)
    check_invariants(doc, chunks, 20, counter)
    # Without the recount (a counter claiming exact substrings) the same windows would overflow.
    counter.exact_substrings = True  # type: ignore[attr-defined]
    unchecked = chunk_document(doc, counter, max_tokens=20, overlap_tokens=3)
    assert max(len(counter.offsets(c.text)) for c in unchecked) > 20


def test_counter_is_called_once_per_section() -> None:
    text = "\n\n".join(words(300, f"s{i}_") for i in range(4))
    starts = [0]
    for part in text.split("\n\n")[:-1]:
        starts.append(starts[-1] + len(part) + 2)
    ends = starts[1:] + [len(text)]
    doc = Document(
        text, tuple(Section(s, e, None, (f"h{i}",)) for i, (s, e) in enumerate(zip(starts, ends, strict=True)))
    )
    counter = CountingCounter()
    chunks = chunk_document(doc, counter, max_tokens=32, overlap_tokens=4)
    assert counter.calls == 4
    assert len(chunks) >= 4 * 300 // 32


def test_every_token_is_in_some_chunk() -> None:
    text = "Intro.\n\n" + ". ".join(words(15, f"s{i}_") for i in range(40))
    doc = single(text)
    chunks = chunk_document(doc, COUNTER, max_tokens=37, overlap_tokens=7)
    covered = set()
    for c in chunks:
        covered.update(range(c.char_start, c.char_end))
    assert all(i in covered for start, end in COUNTER.offsets(text) for i in range(start, end))


@pytest.mark.parametrize(("max_tokens", "overlap"), [(0, 0), (10, 10), (10, -1)])
def test_invalid_budgets_are_rejected(max_tokens: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_document(single("text"), COUNTER, max_tokens=max_tokens, overlap_tokens=overlap)


def test_regex_counter_splits_words_punctuation_and_cjk() -> None:
    text = "Hello, world! 日本語 " + "x" * 45
    spans = COUNTER.offsets(text)
    assert [text[a:b] for a, b in spans] == ["Hello", ",", "world", "!", "日", "本", "語", "x" * 20, "x" * 20, "x" * 5]

"""Japanese chunks and their overlaps start at sentence starts; long sentences fall back to clause and word starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.ingest.chunking import ChunkSpan, RegexTokenCounter, chunk_document
from engine.ingest.loaders import load_document
from engine.types import Document, Section
from tests.quality.ja_chunk_starts import is_sentence_start, measure

pytestmark = pytest.mark.timeout(120)
COUNTER = RegexTokenCounter()

# Paragraphs from ../shared/data/milvus-docs-2.4.x-ja (about/overview.md, adminGuide/chunk_cache.md, about/roadmap.md,
# about/limitations.md), kept here so that these tests run without the shared data.
PARAGRAPHS = (
    "Milvusは、Apache 2.0ライセンスの下で配布されているLF AI & Data Foundationのオープンソースプロジェクトです。"
    "貢献者の多くは、大規模システムの構築やハードウェアを考慮したコードの最適化を専門とするハイパフォーマンス・"
    "コンピューティング（HPC）コミュニティの専門家です。中心的な貢献者には、Zilliz、ARM、NVIDIA、AMD、Intel、Meta、"
    "IBM、Salesforce、Alibaba、Microsoftの専門家が含まれる。",
    "Milvusでは、ベクトル検索のクエリを実行する前に、オブジェクトストレージからクエリノードのローカルハードディスク"
    "上のメモリキャッシュにデータをロードする必要があります。これは時間のかかるプロセスです。すべてのデータがロード"
    "される前に、Milvusは一部のベクトル検索リクエストに対して遅延を伴って応答する可能性があります。",
    "Milvusロードマップへようこそ！Milvusを強化し、進化させるための継続的な旅にご参加ください。私たちの実績、将来の"
    "計画、そして今後のビジョンを共有できることを嬉しく思います。ロードマップをご覧いただき、ご意見をお寄せいただき、"
    "Milvusの未来を形作る一助となれば幸いです！",
    # Quoted speech: the sentence ends inside the brackets, so the next one starts after 」 and 』.
    "担当者は「設定ファイルを確認してください。」と言いました。『ポートは19530です。』とも書かれています。"
    "本当ですか?はい、そうです。",
)
CLOSERS = "」』）】〉》〕］｝〙〗〛｣”’\"')]、。，．｡､・ー"
SMALL_KANA = "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"


def single(text: str) -> Document:
    return Document(text, (Section(0, len(text)),))


def bpe_counter(texts: list[str]):
    """A byte-level BPE with Qwen3's pre-tokenizer, trained on the text (tokens can glue 。 to the next word)."""
    from transformers import PreTrainedTokenizerFast

    from engine.models.embedder import TokenCounter
    from engine.selftest.tiny_model import train_tokenizer

    return TokenCounter(PreTrainedTokenizerFast(tokenizer_object=train_tokenizer(texts, 1200, min_frequency=1)))


def check_starts(doc: Document, chunks: list[ChunkSpan], max_tokens: int, counter) -> None:
    assert len(chunks) > 2
    for chunk in chunks:
        assert doc.text[chunk.char_start : chunk.char_end] == chunk.text
        assert len([s for s in counter.offsets(chunk.text) if s[1] > s[0]]) <= max_tokens
    for chunk in chunks[1:]:
        assert is_sentence_start(doc.text, chunk.char_start, {0}), chunk.text[:20]
        assert chunk.text[0] not in CLOSERS and chunk.text[0] not in SMALL_KANA, chunk.text[:20]
        if doc.text[chunk.char_start - 1] in "」』":  # after a quotation: not its quotative particle (と言った)
            assert not re.match("[\u3041-\u309f]", chunk.text[0]), chunk.text[:20]


# Windows that hold at least two of the longest sentence here (~85 tokens): a chunk may look back half a window for
# a sentence start; longer sentences fall back (see the test below).
@pytest.mark.parametrize(("max_tokens", "overlap"), [(180, 20), (300, 60), (512, 76)])
def test_chunks_and_overlaps_start_at_sentence_starts(max_tokens: int, overlap: int) -> None:
    doc = single("".join(PARAGRAPHS) * 6)
    chunks = chunk_document(doc, COUNTER, max_tokens=max_tokens, overlap_tokens=overlap)
    check_starts(doc, chunks, max_tokens, COUNTER)
    # Overlaps are kept: each chunk starts before the previous one ends.
    assert all(b.char_start < a.char_end for a, b in zip(chunks, chunks[1:], strict=False))


def test_byte_level_bpe_tokens_still_give_sentence_starts() -> None:
    text = "".join(PARAGRAPHS) * 3
    counter = bpe_counter(list(PARAGRAPHS))
    doc = single(text)
    chunks = chunk_document(doc, counter, max_tokens=100, overlap_tokens=20)
    check_starts(doc, chunks, 100, counter)


def test_no_chunk_starts_inside_a_quotation_close() -> None:
    quoted = PARAGRAPHS[3] * 12
    chunks = chunk_document(single(quoted), COUNTER, max_tokens=60, overlap_tokens=15)
    starts = {c.text[:2] for c in chunks}
    assert starts <= {"担当", "『ポ", "本当", "はい"}, starts  # sentence starts only ("はい" follows a "?")
    assert len(starts) > 1


def test_long_sentence_falls_back_to_clause_then_word_starts() -> None:
    # One sentence, no 。: cuts and overlaps go after 、 when one is in reach.
    clauses = "、".join(["ベクトル検索の設定を変更する場合には管理者の権限が必要となり"] * 30) + "。"
    chunks = chunk_document(single(clauses), COUNTER, max_tokens=50, overlap_tokens=10)
    assert len(chunks) > 3
    assert all(clauses[c.char_start - 1] == "、" for c in chunks[1:])
    # Neither 。 nor 、: chunks start where a word plainly begins (a kanji or katakana run after hiragana), never
    # between two kanji of one word and never at a particle.
    words = "データベースの設定を変更する場合には管理者の権限が必要となる場合がありその際は" * 20
    chunks = chunk_document(single(words), COUNTER, max_tokens=40, overlap_tokens=10)
    assert len(chunks) > 3
    for c in chunks[1:]:
        before, first = words[c.char_start - 1], c.text[0]
        assert re.match("[\u3041-\u309f]", before) and re.match("[\u30a0-\u30ff\u4e00-\u9fff]", first), c.text[:8]


def test_english_inside_japanese_text_does_not_start_a_chunk_at_a_colon() -> None:
    text = '詳細については、<a href="https://milvus.io/docs/install.md">インストール</a>を参照してください。' * 40
    chunks = chunk_document(single(text), COUNTER, max_tokens=100, overlap_tokens=20)
    assert len(chunks) > 3 and all(c.text.startswith("詳細") for c in chunks)


def test_shared_japanese_docs_start_at_sentence_starts(shared_data: Path) -> None:
    folder = shared_data / "milvus-docs-2.4.x-ja"
    if not folder.is_dir():
        pytest.skip("milvus-docs-2.4.x-ja is not present")
    paths = sorted(folder.rglob("*.md"))[:40]
    counter = RegexTokenCounter()
    for path in paths:
        doc = load_document(path)
        for chunk in chunk_document(doc, counter, max_tokens=120, overlap_tokens=20):
            assert chunk.text[0] not in "」』）】〉》、。，．" and chunk.text[0] not in SMALL_KANA


@pytest.mark.slow
def test_all_japanese_docs_measure_above_the_floor(shared_data: Path) -> None:
    folder = shared_data / "milvus-docs-2.4.x-ja"
    if not folder.is_dir():
        pytest.skip("milvus-docs-2.4.x-ja is not present")
    result = measure(folder, "regex")
    # Measured 1.000 (0.062 before sentence-true chunking); see tests/quality/ja_chunk_starts.py. 499 continuing
    # Japanese chunks are judged since mostly-HTML markdown is read as text (5286 chunks of tag soup before).
    assert result["files"] == 270 and result["judged_chunks"] > 400
    assert result["sentence_start_share"] >= 0.99 and result["bad_first_char"] == 0

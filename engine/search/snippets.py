"""Snippets: the sentence(s) of a passage that best match a question, and where the question's words are in it.

A passage's first lines often miss the point ("What is the maximum vector dimension?" was answered further down), and
highlighting by substring marked "data" inside "Metadata". So a passage is cut into sentences; each sentence scores the
sum of the weights of the distinct question words it holds, a word weighing more the fewer sentences of the passage
hold it (log(1 + sentences / sentences with the word)); the best sentence, plus neighbours while it is short, is the
snippet. Words match whole: Latin-script words at word boundaries, case-folded, with light English inflections (store
~ stores, stored, storing); Japanese words as SudachiPy segments them for BM25 (engine/store/segment.py), so 京都 never
lights up inside 東京都. Pure and Qt-free: the window and the CLI use the same function.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from engine.errors import StoreError
from engine.sentence_marks import ASCII_ENDERS, CLOSERS, ENDERS
from engine.store.segment import has_japanese_script, word_spans

MAX_CHARS = 300  # a snippet's length, "…" marks included, for Latin-script text
MIN_CHARS = 120  # a best sentence shorter than this takes its neighbours in
CJK_SCALE = 2  # a kana or kanji says about as much as two Latin letters: CJK snippets are half as long

Span = tuple[int, int]

# Characters of Japanese words (as segment.py's runs) — they are left to Sudachi, everything else to _WORD_RE.
_JA_CHARS = "\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006"
_W = rf"[^\W{_JA_CHARS}]"
# A word: a run of letters, digits and underscores (max_length is one word, as for BM25's \w+ analyzer), digit groups
# kept together (32,768 and 2.4), an apostrophe's tail kept on (don't, Milvus's).
_WORD_RE = re.compile(rf"{_W}+(?:[.,．，]\d+)*(?:['’]{_W}+)?")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d)")
_STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have how i if in into is it its me my "
    "no not of on or our should so than that the their them then there these they this those to too up us was we "
    "were what when where which while who whom why will with would you your about any all also".split()
)

_CLOSERS = re.escape(CLOSERS)  # escaped: it goes inside [...]
# Where a sentence may end: after 。！？ (and ASCII ! ? after CJK text) with any closing brackets, after . ! ? before a
# space, or at a line break: the marks chunk starts use too (engine/sentence_marks.py).
_CUT_RE = re.compile(
    rf"(?P<cjk>[{ENDERS}][{_CLOSERS}]*|(?<=[{_JA_CHARS}])[{ASCII_ENDERS}][{_CLOSERS}]*)"
    rf"|(?P<latin>[.!?][{_CLOSERS}]*(?=\s))"
    r"|(?P<line>\n)"
)
_HEADING_MARK = re.compile(r"^#{1,6}\s+")
# Japanese text and its punctuation (。、「」 and full-width forms): no space goes between two such sentences.
_CJK_EDGE = re.compile(f"[{_JA_CHARS}\u3000-\u303f\uff00-\uffef]")


@dataclass(frozen=True)
class Snippet:
    """A passage's best-matching excerpt: `text` ("…" where cut) and `spans`, [start, end) of whole-word matches."""

    text: str
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    keys: frozenset[str]


# -- words -----------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=16384)  # words repeat across a passage and its neighbours
def _forms(word: str) -> frozenset[str]:
    """The word and the bases it may be an inflection of (stores/stored/storing -> store), all case-folded."""
    w = _DIGIT_COMMA.sub("", unicodedata.normalize("NFKC", word).casefold())
    w = re.sub(r"['’]s$", "", w)
    forms = {w}
    if not w.isalpha() or len(w) < 4:
        return frozenset(forms)
    if w.endswith("ies"):
        forms.add(w[:-3] + "y")
    if w.endswith("es"):
        forms.add(w[:-2])
    if w.endswith("s") and not w.endswith("ss"):
        forms.add(w[:-1])
    if w.endswith("ed"):
        forms.update((w[:-2], w[:-1], _undouble(w[:-2])))
        if w.endswith("ied"):
            forms.add(w[:-3] + "y")
    if w.endswith("ing") and len(w) >= 6:
        forms.update((w[:-3], w[:-3] + "e", _undouble(w[:-3])))
    return frozenset(f for f in forms if len(f) >= 3 or f == w)


def _undouble(stem: str) -> str:
    """stopp -> stop, runn -> run (the doubled consonant of stopped, running)."""
    return stem[:-1] if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeiousl" else stem


def _words(text: str) -> list[_Word]:
    """Every word of the text with its match keys, in order: Japanese by Sudachi, the rest by _WORD_RE."""
    words = [_Word(m.start(), m.end(), _forms(m.group())) for m in _WORD_RE.finditer(text)]
    if has_japanese_script(text):
        try:
            japanese = [_Word(s, e, frozenset({form})) for s, e, form in word_spans(text)]
        except StoreError:  # no Sudachi (a broken install): whole runs, still never parts of other words
            japanese = [_Word(m.start(), m.end(), frozenset({m.group()})) for m in re.finditer(f"[{_JA_CHARS}]+", text)]
        words = sorted(words + japanese, key=lambda w: w.start)
    return words


@lru_cache(maxsize=64)
def query_terms(question: str) -> tuple[frozenset[str], ...]:
    """The question's words worth finding, each as its set of match keys: no stop words, no single letters."""
    terms: dict[frozenset[str], None] = {}
    for word in _words(question):
        surface = question[word.start : word.end]
        folded = surface.casefold()
        if folded in _STOPWORDS or (len(surface) < 2 and not has_japanese_script(surface)):
            continue
        terms.setdefault(word.keys, None)
    return tuple(terms)


def _matches(words: list[_Word], terms: tuple[frozenset[str], ...]) -> list[tuple[_Word, int]]:
    """The words that are one of the terms, with the term's index."""
    found = []
    for word in words:
        for index, keys in enumerate(terms):
            if word.keys & keys:
                found.append((word, index))
                break
    return found


def highlight_spans(text: str, question: str) -> tuple[Span, ...]:
    """[start, end) of each whole word in `text` that is one of the question's words."""
    terms = query_terms(question)
    if not terms or not text:
        return ()
    return _merge([(w.start, w.end) for w, _ in _matches(_words(text), terms)])


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    """Touching spans become one (Sudachi cuts 守り人 into 守り|人: one mark reads better than two)."""
    out: list[Span] = []
    for start, end in spans:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return tuple(out)


# -- sentences -------------------------------------------------------------------------------------------------------
def sentences(text: str) -> list[Span]:
    """[start, end) of each sentence (or line: headings, list items, table rows) holding a word; whitespace trimmed."""
    cuts = [0]
    for m in _CUT_RE.finditer(text):
        if _is_cut(text, m):
            cuts.append(m.end())
    cuts.append(len(text))
    spans = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end and re.search(r"\w", text[start:end]):
            spans.append((start, end))
    return spans


def _is_cut(text: str, m: re.Match[str]) -> bool:
    after = text[m.end()] if m.end() < len(text) else ""
    if m.group("cjk"):
        # 「…。」と言った: hiragana right after a closing bracket carries the sentence on.
        return not (m.group()[-1] not in ENDERS + ASCII_ENDERS and "\u3041" <= after <= "\u309f")
    if m.group("latin"):
        rest = text[m.end() :].lstrip(" \t")
        return not rest[:1].islower()  # "e.g. the", "vs. an": a lowercase word goes on with the sentence
    before = text[m.start() - 1] if m.start() > 0 else ""
    # A hard-wrapped line (no end mark, a lowercase word next) is the same sentence, as desktop's reflow() joins it.
    return not (before and not before.isspace() and before not in ".:!?" and (after.islower() or after in "(["))


# -- the snippet -----------------------------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def best_snippet(question: str, text: str, max_chars: int = MAX_CHARS) -> Snippet:
    """The sentence(s) of `text` that best match `question`, with the question's words as whole-word spans."""
    spans = sentences(text)
    if not spans:
        return Snippet("")
    terms = query_terms(question)
    scores = _sentence_scores(text, spans, terms)
    best = max(range(len(spans)), key=lambda i: (scores[i], -i))
    lo, hi = _widen(text, spans, scores, best, max_chars)
    body = _join([_HEADING_MARK.sub("", " ".join(text[s:e].split())) for s, e in spans[lo : hi + 1]])
    return _fit(body, terms, lo > 0, hi < len(spans) - 1, _limit(body, max_chars))


def _sentence_scores(text: str, spans: list[Span], terms: tuple[frozenset[str], ...]) -> list[float]:
    if not terms:
        return [0.0] * len(spans)
    found: list[set[int]] = [set() for _ in spans]
    matches = _matches(_words(text), terms)
    i = 0
    for word, term in matches:  # both in text order
        while i < len(spans) and spans[i][1] <= word.start:
            i += 1
        if i < len(spans) and spans[i][0] <= word.start:
            found[i].add(term)
    holding = [sum(term in f for f in found) for term in range(len(terms))]
    weight = [math.log(1 + len(spans) / n) if n else 0.0 for n in holding]
    return [sum(weight[t] for t in f) for f in found]


def _limit(text: str, max_chars: int) -> int:
    """The length limit: halved for text that is mostly kana and kanji (a Japanese word in English text is not)."""
    japanese = len(re.findall(f"[{_JA_CHARS}]", text))
    return max_chars // CJK_SCALE if japanese * 3 > len(text) else max_chars


def _widen(text: str, spans: list[Span], scores: list[float], best: int, max_chars: int) -> tuple[int, int]:
    """Add neighbours to a short best sentence: a matching one first, else the next (what follows a heading or a
    question usually answers it), until the snippet is long enough or would pass the limit."""
    lo = hi = best
    min_chars = _limit(text, max_chars) * MIN_CHARS // MAX_CHARS
    limit = _limit(text, max_chars)
    while spans[hi][1] - spans[lo][0] < min_chars:
        options = [k for k in (hi + 1, lo - 1) if 0 <= k < len(spans)]
        if not options:
            break
        pick = max(options, key=lambda k: (scores[k], k > hi))
        lo, hi = min(lo, pick), max(hi, pick)
        if spans[hi][1] - spans[lo][0] >= limit:
            break
    return lo, hi


def _join(parts: list[str]) -> str:
    """Sentences joined by a space, or by nothing after a Japanese one (Japanese puts no space after 。)."""
    out = ""
    for part in parts:
        if out and not _CJK_EDGE.match(out[-1]):
            out += " "
        out += part
    return out


def _fit(body: str, terms: tuple[frozenset[str], ...], cut_before: bool, cut_after: bool, limit: int) -> Snippet:
    """Cut `body` to about `limit` characters around its first match and mark the cuts with "…"."""
    matches = _matches(_words(body), terms) if terms else []
    start, end = 0, len(body)
    room = limit - 2 * (int(cut_before) + int(cut_after))
    if len(body) > room:
        first = matches[0][0] if matches else None
        # Keep the start when the first match fits comfortably; else begin a little before it.
        if first is not None and first.end > room * 2 // 3:
            start = _word_start(body, max(0, first.start - room // 4))
        end = _word_end(body, start, min(len(body), start + room))
    excerpt = body[start:end]
    lead = len(excerpt) - len(excerpt.lstrip())
    excerpt = excerpt.strip()
    cjk = bool(_CJK_EDGE.match(excerpt[:1])), bool(_CJK_EDGE.match(excerpt[-1:]))
    prefix = ("…" if cjk[0] else "… ") if cut_before or start > 0 else ""
    suffix = ("…" if cjk[1] else " …") if cut_after or end < len(body) else ""
    shift = len(prefix) - start - lead
    spans = [(w.start + shift, w.end + shift) for w, _ in matches if start + lead <= w.start and w.end <= end]
    return Snippet(prefix + excerpt + suffix, _merge(spans))


def _word_start(body: str, pos: int) -> int:
    """Move a cut forward to the next word start (within 20 characters; CJK text may be cut anywhere)."""
    space = body.find(" ", pos, pos + 20)
    return space + 1 if space >= 0 else pos


def _word_end(body: str, start: int, pos: int) -> int:
    """Move a cut back to the previous space (within 20 characters)."""
    if pos >= len(body):
        return len(body)
    space = body.rfind(" ", max(start, pos - 20), pos + 1)
    return space if space > start else pos

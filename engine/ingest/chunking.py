"""Heading-aware chunking: sections first, tiny siblings merged, long sections cut into overlapping token windows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from engine.ingest import cjk_boundaries as cjk
from engine.types import Document, Section

# Cuts may move back this share of the window to land on a paragraph or sentence boundary.
BOUNDARY_SEARCH = 0.2
# Sections under this share of max_tokens are "tiny": they merge into neighbours under the same parent heading.
TINY_SHARE = 0.25
# Tokens a join between merged sections may cost a real tokenizer (the blank line between them).
JOIN_TOKENS = 2
# How far back the next window's start may move to begin at a word rather than inside one.
MAX_WORD_TOKENS = 8
# Times a window is recounted and shrunk when a context-sensitive tokenizer finds it over budget.
VERIFY_ATTEMPTS = 4
_SENTENCE_END = (".", "!", "?", "。", "！", "？", ":", ";")


class TokenCounter(Protocol):
    """Anything that maps text to the character spans of its tokens (an HF fast tokenizer's offset mapping).

    A counter may set `exact_substrings = True` when text cut at its token boundaries re-tokenizes to the same
    tokens; otherwise each window cut from a long section is recounted once (one extra call per chunk).
    """

    def offsets(self, text: str) -> list[tuple[int, int]]: ...


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]{{1,20}}|[^\w\s]")


class RegexTokenCounter:
    """Cheap stand-in for a tokenizer: words (at most 20 chars), single CJK characters and punctuation are tokens."""

    # A substring cut at token boundaries has exactly the tokens it had in context, so chunks need no recount.
    exact_substrings = True

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _TOKEN.finditer(text)]


@dataclass(frozen=True)
class ChunkSpan:
    """A chunk's text and where it sits: doc.text[char_start:char_end] == text."""

    text: str
    char_start: int
    char_end: int
    page: int | None
    headings: tuple[str, ...]


@dataclass
class _Piece:
    """A stripped section with its tokens (absolute spans into the document text)."""

    start: int
    end: int
    page: int | None
    headings: tuple[str, ...]
    tokens: list[tuple[int, int]]
    joins: int = 0  # sections merged into this one
    preamble: bool = False  # text before the document's first heading

    @property
    def cost(self) -> int:
        return len(self.tokens) + self.joins * JOIN_TOKENS


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sections(doc: Document) -> list[Section]:
    if not doc.sections:
        return [Section(0, len(doc.text))]
    return sorted(doc.sections, key=lambda s: s.start)


def _pieces(doc: Document, counter: TokenCounter) -> list[_Piece]:
    pieces: list[_Piece] = []
    limit = len(doc.text)
    for section in _sections(doc):
        start, end = _strip(doc.text, max(0, section.start), min(limit, section.end))
        if start >= end:
            continue
        # One tokenizer call per section; zero-length spans are special tokens (HF gives them (0, 0)).
        spans = [(a + start, b + start) for a, b in counter.offsets(doc.text[start:end]) if b > a]
        pieces.append(_Piece(start, end, section.page, section.headings, spans))
    if pieces and not pieces[0].headings:
        pieces[0].preamble = True
    return pieces


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return a[:n]


def _same_parent(group: _Piece, piece: _Piece) -> bool:
    """The piece is a sibling of the group's heading, or a child of it (an intro followed by its subsections)."""
    if group.preamble:
        return True
    parent = piece.headings[:-1]
    return parent == group.headings[:-1] or parent == group.headings


def _can_merge(group: _Piece, piece: _Piece, max_tokens: int) -> bool:
    """Same page, same parent heading, still within budget, and one side tiny."""
    if group.page != piece.page or group.cost + piece.cost + JOIN_TOKENS > max_tokens:
        return False
    tiny = max_tokens * TINY_SHARE
    if group.cost >= tiny and piece.cost >= tiny:
        return False
    return _same_parent(group, piece)


def _merged(group: _Piece, piece: _Piece) -> _Piece:
    # Text before the first heading introduces what follows; elsewhere the common trail is the honest one.
    headings = piece.headings if group.preamble else _common_prefix(group.headings, piece.headings)
    joins = group.joins + piece.joins + 1
    return _Piece(group.start, piece.end, group.page, headings, group.tokens + piece.tokens, joins)


def _merge_tiny(pieces: list[_Piece], max_tokens: int) -> list[_Piece]:
    merged: list[_Piece] = []
    for piece in pieces:
        if merged and _can_merge(merged[-1], piece, max_tokens):
            merged[-1] = _merged(merged[-1], piece)
        else:
            merged.append(piece)
    return merged


def _mid_word(text: str, tokens: list[tuple[int, int]], j: int) -> bool:
    """Whether a cut before token j splits a word (or a character split across tokens)."""
    prev_end, start = tokens[j - 1][1], tokens[j][0]
    if prev_end > start:
        return True
    return prev_end == start and text[start - 1].isalnum() and text[start].isalnum()


def _boundary_rank(text: str, tokens: list[tuple[int, int]], j: int) -> int:
    """How good a cut before token j is (the next chunk would start there): PARAGRAPH break, SENTENCE end or line
    break, WORD start, MID_WORD (re-tokenizing a cut word can cost an extra token). Next to CJK text the ranks come
    from cjk_boundaries, which adds CLAUSE and BAD; elsewhere they are what they always were."""
    between = text[tokens[j - 1][0] : tokens[j][0]]
    if "\n\n" in between or "\n\r\n" in between:
        return cjk.PARAGRAPH
    before, first = cjk.edges(text, tokens[j][0], tokens[j][1])
    if cjk.in_cjk_context(text, before, first):
        if tokens[j - 1][1] > tokens[j][0]:
            return cjk.BAD  # inside a character that byte-level tokens split
        return cjk.cjk_rank(text, before, first, tokens[j][1])
    if "\n" in between or between.rstrip().endswith(_SENTENCE_END):
        return cjk.SENTENCE
    return cjk.MID_WORD if _mid_word(text, tokens, j) else cjk.WORD


def _cut(text: str, tokens: list[tuple[int, int]], start: int, max_tokens: int) -> int:
    """End (exclusive token index) of the window starting at `start`, preferring a late boundary."""
    end = start + max_tokens
    if end >= len(tokens):
        return len(tokens)
    earliest = max(start + 1, end - int(max_tokens * BOUNDARY_SEARCH))
    best, best_rank = end, cjk.BAD - 1
    for j in range(end, earliest - 1, -1):
        rank = _boundary_rank(text, tokens, j)
        if rank > best_rank:
            best, best_rank = j, rank
            if rank == cjk.PARAGRAPH:
                break
    return best


def _next_start(text: str, tokens: list[tuple[int, int]], start: int, end: int, overlap: int, max_tokens: int) -> int:
    """Where the next window begins: `overlap` tokens back, moved further back to the start of a word. In CJK text,
    moved to the nearest sentence start, looking back as far as half a window (see _cjk_next_start)."""
    nxt = max(end - overlap, start + 1)
    reach = max(2 * overlap, max_tokens // 2) if overlap else 0
    low = max(start + 1, end - reach)
    if low < end and cjk.has_cjk_text(text[tokens[low][0] : tokens[end - 1][1]]):
        return _cjk_next_start(text, tokens, low, nxt, end)
    floor = max(start + 1, nxt - MAX_WORD_TOKENS)
    while nxt > floor and _mid_word(text, tokens, nxt):
        nxt -= 1
    return nxt if not _mid_word(text, tokens, nxt) else max(end - overlap, start + 1)


def _cjk_next_start(text: str, tokens: list[tuple[int, int]], low: int, target: int, end: int) -> int:
    """The best-ranked start in [low, end] (a sentence start if there is one; a paragraph counts as one), with some
    overlap if it can (`end` itself only when the cut is the only sentence start), the nearest to `target`."""

    def key(j: int) -> tuple[int, bool, int, bool]:
        return _start_rank(text, tokens, j), j < end, -abs(j - target), j <= target

    return max(range(low, end + 1), key=key)


def _start_rank(text: str, tokens: list[tuple[int, int]], j: int) -> int:
    """_boundary_rank for a chunk start, capped at SENTENCE; in English text inside CJK text (markup, links) only a
    line start or . ! ? before a space count as sentence starts (not the colon in "https://")."""
    rank = min(_boundary_rank(text, tokens, j), cjk.SENTENCE)
    if rank < cjk.SENTENCE:
        return rank
    before, first = cjk.edges(text, tokens[j][0], tokens[j][1])
    if cjk.in_cjk_context(text, before, first) or "\n" in text[before:first]:
        return rank
    return rank if before < first and text[before - 1] in ".!?" else cjk.WORD


def _overflow(text: str, start: int, end: int, counter: TokenCounter, max_tokens: int) -> int:
    """Tokens over budget when the stripped text is counted alone (context changes tokenization at the edges)."""
    start, end = _strip(text, start, end)
    return sum(1 for a, b in counter.offsets(text[start:end]) if b > a) - max_tokens


def _windows(
    text: str, tokens: list[tuple[int, int]], max_tokens: int, overlap: int, counter: TokenCounter | None
) -> list[tuple[int, int]]:
    """(first, end) token index ranges covering all tokens, each at most max_tokens, consecutive ones overlapping.

    With a `counter`, each window is recounted alone and shrunk if it no longer fits: byte-level BPE tokens carry
    the space before a word (" database"), and the stripped word alone may take more tokens.
    """
    windows: list[tuple[int, int]] = []
    start = 0
    while True:
        end = _cut(text, tokens, start, max_tokens)
        if counter is not None:
            end = _shrink_to_fit(text, tokens, start, end, counter, max_tokens)
        windows.append((start, end))
        if end >= len(tokens):
            return windows
        start = _next_start(text, tokens, start, end, overlap, max_tokens)


def _shrink_to_fit(
    text: str, tokens: list[tuple[int, int]], start: int, end: int, counter: TokenCounter, max_tokens: int
) -> int:
    """The window's end after recounting it alone (up to VERIFY_ATTEMPTS times) and cutting what overflows."""
    for _ in range(VERIFY_ATTEMPTS):
        over = _overflow(text, tokens[start][0], tokens[end - 1][1], counter, max_tokens)
        if over <= 0:
            break
        end = _cut(text, tokens, start, max(1, end - start - over))
    return end


def _span(text: str, start: int, end: int, page: int | None, headings: tuple[str, ...]) -> ChunkSpan | None:
    start, end = _strip(text, start, end)
    start = cjk.trim_start(text, start, end)
    if start >= end:
        return None
    return ChunkSpan(text[start:end], start, end, page, headings)


def _piece_spans(
    text: str, piece: _Piece, max_tokens: int, overlap: int, verify: TokenCounter | None
) -> list[ChunkSpan]:
    tokens = piece.tokens
    fits = piece.cost <= max_tokens
    if fits and piece.joins and verify is not None:
        fits = _overflow(text, piece.start, piece.end, verify, max_tokens) <= 0
    if fits or not tokens:
        span = _span(text, piece.start, piece.end, piece.page, piece.headings)
        return [span] if span else []
    spans: list[ChunkSpan] = []
    for first, end in _windows(text, tokens, max_tokens, overlap, verify):
        span = _span(text, tokens[first][0], tokens[end - 1][1], piece.page, piece.headings)
        if span is not None:
            spans.append(span)
    return spans


def chunk_document(
    doc: Document, counter: TokenCounter, *, max_tokens: int = 512, overlap_tokens: int = 76
) -> list[ChunkSpan]:
    """Split a document into chunks of at most `max_tokens` tokens (by `counter`), in text order.

    A chunk never spans two sections or pages; tiny sections under one parent heading are merged (the chunk keeps
    their common heading trail); long sections are windowed with `overlap_tokens` of overlap.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    if not 0 <= overlap_tokens < max_tokens:
        raise ValueError("overlap_tokens must be at least 0 and smaller than max_tokens")
    # Counters whose tokens do not depend on context (RegexTokenCounter) need no recount of the cut pieces.
    verify = None if getattr(counter, "exact_substrings", False) else counter
    chunks: list[ChunkSpan] = []
    for piece in _merge_tiny(_pieces(doc, counter), max_tokens):
        chunks.extend(_piece_spans(doc.text, piece, max_tokens, overlap_tokens, verify))
    return chunks

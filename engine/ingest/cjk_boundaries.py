"""Where Japanese (and other CJK) text may be cut: sentence starts first, clause and word starts as fallbacks.

Text without spaces gives the chunker's word test nothing to work with (every CJK character is `isalnum`), so a
cut next to CJK text is ranked here from the characters around it:

  SENTENCE  after 。！？．｡ (or ! ? right after CJK text), plus any closing brackets or quotes that follow them
            (」』）】〉》" …), or at the start of a line — unless hiragana follows the bracket directly
            (「…。」と言った: the quotation is part of a longer sentence);
  CLAUSE    after 、，､ — the fallback for a long sentence;
  WORD      where a word plainly begins: a kanji, katakana, Latin or digit run, or an opening bracket, right after
            hiragana (the particle or inflection that ends the previous phrase), after a bracket or symbol, or at a
            change between Latin and CJK script;
  MID_WORD  between two kanji, two katakana, or kanji and katakana: possibly inside one word or compound;
  BAD       a start no chunk should have: a closing bracket, CJK punctuation, a small kana or ー, hiragana (a
            particle or inflection: が, を, ます…), or the middle of a character split across byte-level tokens.

A token that begins with sentence-final punctuation and goes on into the next sentence ("。これ", which byte-level
BPE with Qwen's pre-tokenizer can produce) ranks as a sentence start: `trim_start` moves the chunk's first character
past that punctuation, so the chunk still opens at the sentence.
"""

from __future__ import annotations

import re

from engine.sentence_marks import ASCII_ENDERS as _ASCII_ENDERS
from engine.sentence_marks import CLOSERS
from engine.sentence_marks import ENDERS as _ENDERS
from engine.sentence_marks import WIDE_CLOSERS as _WIDE_CLOSERS

PARAGRAPH, SENTENCE, CLAUSE, WORD, MID_WORD, BAD = 4, 3, 2, 1, 0, -1

_CLAUSE = "、，､"
_OPENERS = "「『（【〈《〔［｛〘〖〚｢“‘(["
# Characters that never begin a chunk of CJK text.
_NEVER_FIRST = frozenset(
    _WIDE_CLOSERS + _ENDERS + _CLAUSE + "・ー〜～ゝゞヽヾ々" + "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
)
# Punctuation a chunk may drop from its start when a token glues it to the next sentence.
_TRIMMABLE = frozenset(_WIDE_CLOSERS + _ENDERS + _CLAUSE + "”’")
_CJK_CHAR = re.compile("[\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_CJK_TEXT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def is_cjk(ch: str) -> bool:
    return bool(_CJK_CHAR.match(ch))


def _is_hiragana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u309f"


def _is_katakana(ch: str) -> bool:
    return "\u30a1" <= ch <= "\u30ff" or "\uff66" <= ch <= "\uff9f"


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or ch == "々"


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def has_cjk_text(text: str) -> bool:
    """Whether the text holds kana or kanji (the overlap search only changes for such text)."""
    return bool(_CJK_TEXT.search(text))


def trim_start(text: str, start: int, end: int) -> int:
    """Move a chunk's start past punctuation that closes the previous sentence (only next to CJK text)."""
    pos = start
    while pos < end and (text[pos] in _TRIMMABLE or (pos > start and text[pos].isspace())):
        pos += 1
    if pos == start or pos >= end or not (is_cjk(text[start]) or is_cjk(text[pos])):
        return start
    return pos


def edges(text: str, start: int, limit: int) -> tuple[int, int]:
    """(end of the non-space text before `start`, first non-space character at or after `start`, below `limit`)."""
    before = start
    while before > 0 and text[before - 1].isspace():
        before -= 1
    first = start
    while first < limit and text[first].isspace():
        first += 1
    return before, first


def in_cjk_context(text: str, before: int, first: int) -> bool:
    """Whether the characters on either side of a cut are CJK, so that the rules here apply."""
    return (first < len(text) and is_cjk(text[first])) or (before > 0 and is_cjk(text[before - 1]))


def _ends_sentence(text: str, before: int) -> bool:
    """Whether text[:before] ends with a sentence end and any closing brackets or quotes after it."""
    k = before
    while k > 0 and text[k - 1] in CLOSERS:
        k -= 1
    if k == 0:
        return False
    ch = text[k - 1]
    if ch in _ENDERS:
        return True
    return ch in _ASCII_ENDERS and k > 1 and is_cjk(text[k - 2])


def _quotation_goes_on(text: str, pos: int) -> bool:
    """「…。」と言った: hiragana right after a closing bracket continues the sentence the quotation sits in."""
    return pos > 0 and text[pos - 1] in CLOSERS and _is_hiragana(text[pos])


def cjk_rank(text: str, before: int, first: int, token_end: int) -> int:
    """How good a chunk start at text[first] is, with text[:before] the non-space text before it (see the module).

    `token_end` is where the first token ends: punctuation glued to the next sentence inside it is skipped.
    """
    if "\n" in text[before:first] or first >= len(text):
        return SENTENCE
    skipped = first
    while skipped < token_end - 1 and text[skipped] in _TRIMMABLE:
        skipped += 1
    if skipped > first and _ends_sentence(text, skipped) and not _quotation_goes_on(text, skipped):
        return SENTENCE
    ch, prev = text[first], text[before - 1] if before > 0 else "\n"
    if ch in _NEVER_FIRST or (ch in CLOSERS and _ends_sentence(text, before)):
        return BAD
    if before == first and _quotation_goes_on(text, first):
        return BAD
    if _ends_sentence(text, before):
        return SENTENCE
    if prev in _CLAUSE:
        return CLAUSE
    return _word_rank(ch, prev, spaced=before < first)


def _word_rank(ch: str, prev: str, *, spaced: bool) -> int:
    if _is_hiragana(ch):
        return WORD if spaced or not (is_cjk(prev) or _is_latin(prev)) else BAD
    if ch in _OPENERS or spaced:
        return WORD
    starts_run = _is_han(ch) or _is_katakana(ch) or _is_latin(ch)
    if starts_run and (_is_hiragana(prev) or prev in CLOSERS or not (prev.isalnum() or is_cjk(prev))):
        return WORD
    if _is_latin(ch) != _is_latin(prev):  # a change between Latin and CJK script
        return WORD
    return MID_WORD

"""A token counter that needs no model: chunks text for keyword search before the embedding model is on the machine.

It over-estimates on purpose, so that chunks cut by it still fit the embedder's window once the model arrives (those
chunks are embedded as they are, never re-chunked; the embedder's max_seq_length cuts any rare overrun). A BPE
vocabulary such as Qwen3's spends about one token per common English word and splits digits one by one; counting
every 4 ASCII letters, every 2 other letters, each digit, each CJK character and each punctuation mark as a token
stays above that for ordinary text.
"""

from __future__ import annotations

import re

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(
    rf"[{_CJK}]"  # one CJK character
    r"|\d"  # one digit
    r"|[A-Za-z]{1,4}"  # up to four ASCII letters of a word
    rf"|[^\W\dA-Za-z{_CJK}]{{1,2}}"  # up to two other letters (accented Latin, Cyrillic, Thai, _ ...)
    r"|[^\w\s]"  # one punctuation mark or symbol
)


class ApproxTokenCounter:
    """The embedder's TokenCounter interface (offsets, count) by regex, for the text-first phase."""

    # Pieces are cut left to right inside each run, so text cut at a piece boundary re-counts to the same pieces.
    exact_substrings = True

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _TOKEN.finditer(text)]

    def count(self, text: str) -> int:
        return sum(1 for _ in _TOKEN.finditer(text))

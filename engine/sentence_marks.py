"""The characters that end a sentence and the brackets that close one, shared by chunking and snippets.

Chunk starts (engine/ingest/cjk_boundaries.py) and snippet sentences (engine/search/snippets.py) must agree on where
a Japanese sentence ends; they sit in layers that may not import each other, so the marks live here, below both.
"""

from __future__ import annotations

# Full-width and half-width sentence ends of Japanese (and Chinese) text.
ENDERS = "。！？．｡"
# ASCII marks that end a sentence when they follow CJK text ("本当ですか?").
ASCII_ENDERS = "!?"
# Full-width and half-width closing brackets and quotes.
WIDE_CLOSERS = "」』）】〉》〕］｝〙〗〛｣"
# Closing brackets and quotes that belong to the sentence before them (full-width, half-width and ASCII).
CLOSERS = WIDE_CLOSERS + "”’＂＇\"')]"

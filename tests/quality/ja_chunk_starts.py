"""Where Japanese chunks start: the share of chunk starts that are sentence starts, over the Japanese Milvus docs.

    python -m tests.quality.ja_chunk_starts [--folder DIR] [--tokenizer regex|bpe|minilm]

A start counts as a sentence start when it is the start of its section, follows a line break, or follows a sentence
end (。！？．｡ or . ! ? with any closing brackets/quotes after it). Only chunks after the first of their section are
judged (the first starts at its heading or section start by construction), and only those that start in Japanese
text (kana or kanji within 20 characters of the start; the docs embed HTML and code, where English rules apply). `bpe` is a byte-level BPE with Qwen3's pre-tokenizer trained on the docs themselves (the closest to
Qwen3's tokenizer available offline); `minilm` is all-MiniLM-L6-v2's WordPiece; `regex` the chunker's stand-in.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from engine.ingest.chunking import ChunkSpan, RegexTokenCounter, chunk_document
from engine.ingest.loaders import load_document
from engine.types import Document

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "milvus-docs-2.4.x-ja"
_JAPANESE = re.compile("[\u3041-\u30ff\u4e00-\u9fff]")
_SENTENCE_END = re.compile("[。！？．｡.!?][」』）】〉》〕］｝〙〗〛｣”’\"')\\]]*$")
_BAD_START = "」』）】〉》〕］｝〙〗〛｣、。，．｡､・ー"


def is_sentence_start(text: str, pos: int, section_starts: set[int]) -> bool:
    """Whether text[pos] begins a sentence, a line, or its section (judged on the text alone, not on tokens)."""
    if pos in section_starts:
        return True
    before = text[max(0, pos - 40) : pos].rstrip(" \t\u3000")
    return not before or before.endswith("\n") or bool(_SENTENCE_END.search(before))


def japanese_start(text: str, chunk: ChunkSpan) -> bool:
    """Whether the chunk starts in Japanese text: kana or kanji within 20 characters either side of its start."""
    return bool(_JAPANESE.search(text[max(0, chunk.char_start - 20) : chunk.char_start + 20]))


def judged(doc: Document, chunks: list[ChunkSpan]) -> list[ChunkSpan]:
    """Chunks that continue a section (not its first) and start in Japanese text (not in markup or code)."""
    seen: set[tuple[tuple[str, ...], int | None]] = set()
    out = []
    for c in chunks:
        key = (c.headings, c.page)
        if key not in seen:
            seen.add(key)
            continue
        if japanese_start(doc.text, c):
            out.append(c)
    return out


def make_counter(kind: str, texts: list[str]):
    if kind == "regex":
        return RegexTokenCounter()
    from engine.models.embedder import TokenCounter

    if kind == "minilm":
        from transformers import AutoTokenizer

        from tests.support.tiny_models import minilm_path

        return TokenCounter(AutoTokenizer.from_pretrained(str(minilm_path())))
    from transformers import PreTrainedTokenizerFast

    from engine.selftest.tiny_model import train_tokenizer

    return TokenCounter(PreTrainedTokenizerFast(tokenizer_object=train_tokenizer(texts, 8000)))


def measure(folder: Path, kind: str, max_tokens: int = 512, overlap: int = 76) -> dict[str, float]:
    paths = sorted(p for p in folder.rglob("*.md") if p.is_file())
    docs = [load_document(p) for p in paths]
    counter = make_counter(kind, [d.text for d in docs])
    total = good = bad_start = 0
    for doc in docs:
        chunks = chunk_document(doc, counter, max_tokens=max_tokens, overlap_tokens=overlap)
        starts = {s.start + len(seg) - len(seg.lstrip()) for s in doc.sections for seg in [doc.text[s.start : s.end]]}
        for c in judged(doc, chunks):
            total += 1
            good += is_sentence_start(doc.text, c.char_start, starts)
            bad_start += c.text[0] in _BAD_START
    return {
        "files": len(docs),
        "judged_chunks": total,
        "sentence_start_share": good / total if total else 1.0,
        "bad_first_char": bad_start,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--tokenizer", choices=("regex", "bpe", "minilm"), default="regex")
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--overlap", type=int, default=76)
    args = parser.parse_args(argv)
    result = measure(args.folder.resolve(), args.tokenizer, args.max_tokens, args.overlap)
    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

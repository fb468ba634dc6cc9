"""Benchmark: what Japanese word segmentation (engine/store/segment.py) adds to indexing, Qwen3-0.6B-shaped embedder.

    python -m tests.perf.bench_segmentation                 # ~15,000 characters of ../shared/data/milvus-docs-2.4.x-ja
    python -m tests.perf.bench_segmentation --chars 60000 --repeats 2

Indexes the same Japanese Markdown files into fresh Milvus Lite folders, alternately with segmentation as the engine
does it and with segmentation replaced by the identity (the text as it was before), after the model is loaded and
warmed up; the ratio is taken per pair and its median reported. The time spent inside segment() during the
segmenting runs is also summed, which is the cost itself, free of the noise a shared machine adds to whole runs.
The files are a fixed subset (by path, the files under 6,000 characters, until --chars are reached): the whole set
(2.4 M characters) takes many hours on 2 cores with a 0.6B-shaped model. Note: the test tokenizer (byte-level, trained on English) spends ~3 tokens per Japanese character,
Qwen3's about one, so embedding here costs ~2-3x what it would with the real tokenizer; the direct segmentation
seconds are printed so the share can be rescaled.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from engine.config import EngineConfig
from engine.engine import Engine
from engine.store.segment import segment
from tests.quality.chinese import segmenter
from tests.support.tiny_models import build_qwen3_shaped_embedder

DOCS_JA = Path(__file__).resolve().parents[3] / "shared" / "data" / "milvus-docs-2.4.x-ja"
CACHE = Path(__file__).resolve().parent / ".cache"


class TimedSegment:
    """segment() with a stopwatch: total seconds and characters of every call."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.chars = 0

    def __call__(self, text: str) -> str:
        started = time.perf_counter()
        out = segment(text)
        self.seconds += time.perf_counter() - started
        self.chars += len(text)
        return out


def index_once(model: Path, source: Path, function: Callable[[str], str]) -> tuple[float, int]:
    """(seconds, chunks) of index_library over `source` in a fresh data folder, model loaded before the clock."""
    work = Path(tempfile.mkdtemp(prefix="bench-seg-"))
    try:
        config = EngineConfig(data_dir=work, embed_model=str(model), device="cpu")
        with segmenter(function), Engine(config) as engine:
            engine.load_models(rerank=False)
            engine.embedder.embed_documents(["warm up"])
            segment("ウォームアップ")  # the dictionary loads once per process, not per index
            started = time.perf_counter()
            report = engine.index_library(source)
            seconds = time.perf_counter() - started
        gc.collect()
        return seconds, report.chunks_embedded
    finally:
        shutil.rmtree(work, ignore_errors=True)


def subset(files: list[Path], chars: int, largest: int = 6000) -> list[Path]:
    chosen, total = [], 0
    for f in files:
        size = len(f.read_text(encoding="utf-8"))
        if size <= largest and total < chars:
            chosen.append(f)
            total += size
    return chosen


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.perf.bench_segmentation", description=__doc__.split("\n")[0])
    p.add_argument("--chars", type=int, default=15000, help="characters of Japanese Markdown to index")
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args(argv)
    if not DOCS_JA.is_dir():
        sys.exit(f"missing corpus: {DOCS_JA}")
    files = subset(sorted(DOCS_JA.rglob("*.md")), args.chars)
    source = Path(tempfile.mkdtemp(prefix="bench-ja-"))
    for f in files:
        shutil.copy2(f, source / f"{len(list(source.iterdir())):03d}_{f.name}")
    model = build_qwen3_shaped_embedder(CACHE)
    pairs, timed = [], TimedSegment()
    try:
        for i in range(args.repeats):
            plain, chunks = index_once(model, source, lambda text: text)
            timed.seconds = timed.chars = 0
            segmented, chunks_seg = index_once(model, source, timed)
            pairs.append((plain, segmented))
            print(f"  run {i + 1}: plain {plain:.1f} s, segmented {segmented:.1f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(source, ignore_errors=True)
    chars = sum(len(f.read_text(encoding="utf-8")) for f in files)
    plain_s, seg_s = statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)
    print(f"Indexing {len(files)} Japanese files ({chars} characters, {chunks} chunks), Qwen3-0.6B-shaped, CPU")
    print("| run | median s |\n| --- | --- |")
    print(f"| without segmentation | {plain_s:.1f} |\n| with segmentation | {seg_s:.1f} |")
    print(f"ratio with/without per pair: {', '.join(f'{b / a:.3f}' for a, b in pairs)} (goal <= 1.10)")
    share = timed.seconds / seg_s
    print(
        f"inside segment() in the last segmenting run: {timed.seconds:.2f} s for {timed.chars} characters "
        f"({timed.chars / max(timed.seconds, 1e-9):.0f} chars/s) = {share:.1%} of its indexing time"
    )
    assert chunks == chunks_seg  # both runs stored the same chunks
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

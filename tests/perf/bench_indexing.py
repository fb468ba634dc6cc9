"""Benchmark 1 "Indexing": the engine vs the tutorial's per-chunk loop, Qwen3-0.6B-shaped model, tokens/s.

    python -m tests.perf.bench_indexing                     # ../shared/data/milvus-docs-2.4.x-en/faq, both once
    python -m tests.perf.bench_indexing --files 2 --repeats 3

Both pipelines index the same Markdown files into their own fresh Milvus Lite folder, in this process, after their
model is loaded and warmed up; with --repeats N their runs alternate (tutorial, engine, tutorial, ...) so that a
slow spell of a shared machine hits both, and the ratio is taken per pair and its median reported. Throughput = the files' tokens (their full text, counted once with the model's
tokenizer, no special tokens) / wall time, so both are counted the same way whatever their chunking does.
Per engine run it also prints where the wall time went: each indexing stage's seconds and share of wall (read+parse+chunk
summed over loader threads, text store, embed, vector store/flush, manifest; overlapping stages add up to more than
100 %), the share of the two cores this process left idle (os.times) and the machine's idle share (/proc/stat: other
processes on a shared machine count as busy).
The engine: Engine.index_library (heading-aware 512-token chunks, one passage per forward pass on a CPU, fast path
"auto": int8 with per-token scales on CPUs with VNNI). The tutorial: split on "# ", one fp32 `encode([text])` per chunk, one insert at the end.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.config import EngineConfig
from engine.engine import Engine
from tests.perf.baseline_tutorial import TutorialEmbedder, index_chunks, tutorial_chunks
from tests.support.tiny_models import build_qwen3_shaped_embedder

FAQ = Path(__file__).resolve().parents[3] / "shared" / "data" / "milvus-docs-2.4.x-en" / "faq"
CACHE = Path(__file__).resolve().parent / ".cache"


def count_tokens(tokenizer, files: list[Path]) -> int:
    return sum(len(tokenizer(p.read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"]) for p in files)


def time_once(label: str, once: Callable[[Path], float]) -> float:
    """Seconds reported by `once(fresh_dir)` (it times its own indexing part) in an empty folder."""
    work = Path(tempfile.mkdtemp(prefix=f"bench-{label}-"))
    try:
        return once(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass
class TutorialRun:
    once: Callable[[Path], float]
    chunks: list[str]
    encoded: int
    vectors: list[list[float]]  # fp32 reference embeddings of `chunks`, from the last run


def tutorial_pipeline(model: Path, files: list[Path]) -> TutorialRun:
    embedder = TutorialEmbedder(model)
    embedder.emb_text("warm up")
    chunks = tutorial_chunks(FAQ, files)
    lengths = [len(embedder.tokenizer(c)["input_ids"]) for c in chunks]
    vectors: list[list[float]] = []

    def once(work: Path) -> float:
        started = time.perf_counter()
        vectors[:] = index_chunks(embedder, chunks, str(work / "milvus_demo.db"))
        return time.perf_counter() - started

    return TutorialRun(once, chunks, sum(lengths), vectors)


def fast_path_cosines(model: Path, run: TutorialRun, fast_path: str, sample: int = 32) -> tuple[str, np.ndarray]:
    """Cosine of the engine's embeddings (its CPU fast path) to the tutorial's fp32 ones, on chunks that fit 512."""
    from engine.models.embedder import Embedder

    embedder = Embedder(str(model), cache_dir=CACHE, device="cpu", max_seq_length=576, cpu_fast_path=fast_path)
    counter = embedder.token_counter()
    fits = [i for i, c in enumerate(run.chunks) if c.strip() and counter.count(c) <= 512]
    picked = fits[:: max(1, len(fits) // sample)][:sample]
    ours = embedder.embed_documents([run.chunks[i] for i in picked])
    ref = np.asarray([run.vectors[i] for i in picked], dtype=np.float32)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    return embedder.fast_path, np.sum(ours * ref, axis=1)


@dataclass(frozen=True)
class CpuSample:
    """Process CPU seconds (os.times) and the machine's (idle, total) jiffies (/proc/stat) at one moment."""

    process_s: float
    idle: int
    total: int

    @classmethod
    def now(cls) -> CpuSample:
        t = os.times()
        idle = total = 0
        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = [int(x) for x in f.readline().split()[1:]]
            idle, total = fields[3] + fields[4], sum(fields[:8])  # idle + iowait; user..steal
        except (OSError, ValueError, IndexError):
            pass  # not Linux: the machine's share is left out
        return cls(t.user + t.system, idle, total)


def breakdown(stages: tuple[tuple[str, float], ...], wall: float, before: CpuSample, after: CpuSample) -> str:
    """One line: each stage's seconds and share of wall, and the idle shares of this process's cores and the machine."""
    cores = os.cpu_count() or 1
    parts = [f"{name} {s:.2f} s ({100 * s / wall:.0f} %)" for name, s in stages]
    process_idle = 1 - (after.process_s - before.process_s) / (wall * cores)
    line = (
        f"wall {wall:.2f} s: "
        + ", ".join(parts)
        + f"; CPU idle (this process, {cores} cores) {100 * process_idle:.0f} %"
    )
    if after.total > before.total:
        line += f", machine idle {100 * (after.idle - before.idle) / (after.total - before.total):.0f} %"
    return line


def engine_pipeline(
    model: Path, source: Path, fast_path: str, batch_size: int, stats: dict[str, object]
) -> Callable[[Path], float]:
    """A fresh Engine per run over `source`; loading and warming the model happen before the clock."""

    def once(work: Path) -> float:
        config = EngineConfig(
            data_dir=work, embed_model=str(model), device="cpu", cpu_fast_path=fast_path, embed_batch_size=batch_size
        )
        with Engine(config) as engine:
            engine.load_models(rerank=False)  # model loading is not indexing: both pipelines load before the clock
            engine.embedder.embed_documents(["warm up"])
            cpu = CpuSample.now()
            started = time.perf_counter()
            report = engine.index_library(source)
            seconds = time.perf_counter() - started
            stats.update(chunks=report.chunks_embedded, tokens=report.tokens_embedded, fast=engine.embedder.fast_path)
            lines = stats.setdefault("breakdowns", [])
            assert isinstance(lines, list)
            lines.append(breakdown(report.stages, seconds, cpu, CpuSample.now()))
        gc.collect()
        return seconds

    return once


def alternate(
    tutorial: Callable[[Path], float], engine: Callable[[Path], float], runs: int
) -> list[tuple[float, float]]:
    """(tutorial s, engine s) per pair of back-to-back runs."""
    pairs = []
    for i in range(runs):
        pair = (time_once("tutorial", tutorial), time_once("engine", engine))
        pairs.append(pair)
        print(f"  run {i + 1}: tutorial {pair[0]:.1f} s, engine {pair[1]:.1f} s", file=sys.stderr, flush=True)
    return pairs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.perf.bench_indexing", description=__doc__.split("\n")[0])
    p.add_argument("--files", type=int, help="only the first N files of faq/ (sorted by name)")
    p.add_argument("--repeats", type=int, default=1, help="runs of each pipeline (median reported)")
    p.add_argument("--fast-path", choices=("auto", "bf16", "int8", "fp32"), default="auto")
    p.add_argument(
        "--batch-size",
        type=int,
        default=EngineConfig.embed_batch_size,
        help="engine indexing window (passages stored per step); a CPU still encodes them one per forward pass",
    )
    p.add_argument("--no-cosine", action="store_true", help="skip the fast-path vs fp32 cosine check")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not FAQ.is_dir():
        sys.exit(f"missing corpus: {FAQ}")
    files = sorted(FAQ.glob("*.md"))[: args.files] if args.files else sorted(FAQ.glob("*.md"))
    model = build_qwen3_shaped_embedder(CACHE)
    load_before = os.getloadavg()[0]
    tutorial = tutorial_pipeline(model, files)
    source = Path(tempfile.mkdtemp(prefix="bench-faq-"))
    for p in files:  # only the chosen files, in a folder of their own (the engine indexes folders)
        shutil.copy2(p, source / p.name)
    stats: dict[str, object] = {}
    try:
        pairs = alternate(
            tutorial.once, engine_pipeline(model, source, args.fast_path, args.batch_size, stats), args.repeats
        )
    finally:
        shutil.rmtree(source, ignore_errors=True)
    from transformers import AutoTokenizer

    tokens = count_tokens(AutoTokenizer.from_pretrained(str(model)), files)
    t_med, e_med = statistics.median(t for t, _ in pairs), statistics.median(e for _, e in pairs)
    ratios = [t / e for t, e in pairs]
    t_chunks, t_encoded = len(tutorial.chunks), tutorial.encoded
    e_chunks, e_tokens, fast = int(stats["chunks"]), int(stats["tokens"]), str(stats["fast"])
    print(f"Indexing {len(files)} files of {FAQ} ({tokens} tokens), Qwen3-0.6B-shaped embedder, CPU")
    print(
        f"torch threads {_threads()}, load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}, runs {args.repeats}"
    )
    print("| pipeline | chunks | tokens encoded | median s | tokens/s |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| tutorial (split '# ', encode per chunk, fp32) | {t_chunks} | {t_encoded} | {t_med:.1f} | {tokens / t_med:.1f} |"
    )
    print(
        f"| engine (index_library, {fast}, window {args.batch_size}) | {e_chunks} | {e_tokens} | {e_med:.1f} | {tokens / e_med:.1f} |"
    )
    print(f"ratio engine/tutorial per pair: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"ratio engine/tutorial: median {statistics.median(ratios):.2f}x (goal >= 2.5)")
    print("engine stages per run (stages overlap when they run at once):")
    for i, line in enumerate(stats.get("breakdowns", []), 1):  # type: ignore[arg-type]
        print(f"  run {i}: {line}")
    if not args.no_cosine:
        label, cos = fast_path_cosines(model, tutorial, args.fast_path)
        print(
            f"embedding cosine, engine {label} vs tutorial fp32, {len(cos)} chunks: "
            f"min {cos.min():.4f}, mean {cos.mean():.4f} (goal >= 0.99)"
        )
    return 0


def _threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    raise SystemExit(main())

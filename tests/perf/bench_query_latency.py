"""Benchmark 3 "Query latency": embed query + hybrid search + rerank 20 -> 5, p50/p95, CPU, 0.6B-shaped models.

    python -m tests.perf.bench_query_latency [--queries 10] [--baseline-queries 3]

Indexes ../shared/data/milvus-docs-2.4.x-en/faq with the Qwen3-0.6B-shaped embedder (CPU fast path "auto") into a
fresh Milvus Lite folder, loads both models, then times `Engine.search(q, k=5, mode="hybrid", rerank=True)` (20
fused candidates reranked to 5) for questions from milvus-docs-qa/dev.jsonl, after one warm-up question. Also
timed per question: the query embedding alone and the hybrid search without rerank (k=20).
Baseline, in the same run on the same index: the tutorial's query path (fp32 `encode([q], prompt_name="query")`,
a dense search for 20 candidates in the same store, `rerank_documents` over them with full logits) on fewer
questions, since it is slow.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.config import EngineConfig
from engine.engine import Engine
from tests.perf.baseline_tutorial import TutorialEmbedder, TutorialReranker
from tests.support.tiny_models import build_qwen3_shaped_embedder, build_qwen3_shaped_reranker

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FAQ = DATA / "milvus-docs-2.4.x-en" / "faq"
DEV = DATA / "milvus-docs-qa" / "dev.jsonl"
CACHE = Path(__file__).resolve().parent / ".cache"
CANDIDATES, TOP = 20, 5


def questions(n: int) -> list[str]:
    lines = [json.loads(line)["question"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[:n]


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def percentiles(values: list[float]) -> str:
    p50, p95 = np.percentile(values, [50, 95])
    return f"{p50:.2f} | {p95:.2f}"


def engine_latencies(engine: Engine, qs: list[str]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"embed query": [], "hybrid search (no rerank)": [], "search + rerank 20->5": []}
    engine.search(qs[0], k=TOP, mode="hybrid", rerank=True)  # warm-up: first-call allocations, Lite's segment load
    for i, q in enumerate(qs):
        out["embed query"].append(timed(lambda q=q: engine.embedder.embed_query(q)))
        out["hybrid search (no rerank)"].append(
            timed(lambda q=q: engine.search(q, k=CANDIDATES, mode="hybrid", rerank=False))
        )
        out["search + rerank 20->5"].append(timed(lambda q=q: engine.search(q, k=TOP, mode="hybrid", rerank=True)))
        print(f"  engine q{i + 1}: {out['search + rerank 20->5'][-1]:.2f} s", file=sys.stderr, flush=True)
    return out


def tutorial_latencies(engine: Engine, embed_model: Path, rerank_model: Path, qs: list[str]) -> list[float]:
    """The tutorial's query path over the engine's store (the search itself is a small share of the time)."""
    if not qs:
        return []
    embedder, reranker = TutorialEmbedder(embed_model), TutorialReranker(rerank_model)
    store = engine.store()

    def answer(q: str) -> None:
        vector = np.asarray(embedder.emb_text(q, is_query=True), dtype=np.float32)
        hits = store.search_dense(vector, CANDIDATES)
        reranker.rerank_documents(q, [h.chunk.text for h in hits])[:TOP]

    answer(qs[0])  # warm-up
    times = []
    for i, q in enumerate(qs):
        times.append(timed(lambda q=q: answer(q)))
        print(f"  tutorial q{i + 1}: {times[-1]:.2f} s", file=sys.stderr, flush=True)
    return times


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.perf.bench_query_latency", description=__doc__.split("\n")[0])
    p.add_argument("--queries", type=int, default=10)
    p.add_argument("--baseline-queries", type=int, default=3, help="0 skips the tutorial baseline")
    p.add_argument("--fast-path", choices=("auto", "bf16", "int8", "fp32"), default="auto")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not FAQ.is_dir() or not DEV.is_file():
        sys.exit(f"missing data under {DATA}")
    embed_model, rerank_model = build_qwen3_shaped_embedder(CACHE), build_qwen3_shaped_reranker(CACHE)
    qs = questions(args.queries)
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        config = EngineConfig(
            data_dir=Path(tmp),
            embed_model=str(embed_model),
            rerank_model=str(rerank_model),
            device="cpu",
            cpu_fast_path=args.fast_path,
            candidates=CANDIDATES,
            top_n=TOP,
        )
        with Engine(config) as engine:
            started = time.perf_counter()
            report = engine.index_library(FAQ)
            index_s = time.perf_counter() - started
            load_before = os.getloadavg()[0]
            # The baseline first, so its two fp32 models are gone before the engine loads its reranker.
            base = tutorial_latencies(engine, embed_model, rerank_model, qs[: args.baseline_queries])
            gc.collect()
            engine.load_models()
            ours = engine_latencies(engine, qs)
            fast = f"{engine.embedder.fast_path}/{engine.reranker.fast_path}"
    print(f"Query latency over {report.chunks_embedded} chunks of {FAQ} (indexed in {index_s:.0f} s), CPU")
    print(f"fast path {fast}, load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    print("| path | questions | p50 s | p95 s |")
    print("| --- | --- | --- | --- |")
    for label, values in ours.items():
        print(f"| engine: {label} | {len(values)} | {percentiles(values)} |")
    if base:
        print(f"| tutorial: fp32 query + dense 20 + full-logits rerank -> 5 | {len(base)} | {percentiles(base)} |")
        ratio = float(np.median(base) / np.median(ours["search + rerank 20->5"]))
        print(f"ratio tutorial p50 / engine p50: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

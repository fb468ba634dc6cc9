"""Benchmark 3 "Query latency": time to first sources, to reranked sources and to the first answer token, p50/p95.

    python -m tests.perf.bench_query_latency [--queries 10] [--baseline-queries 3] [--full-rerank-queries 0]

Indexes ../shared/data/milvus-docs-2.4.x-en/faq with the Qwen3-0.6B-shaped embedder (CPU fast path "auto") into a
fresh Milvus Lite folder, loads both models, starts a loopback OpenAI-compatible server that answers at once
(tests/support/fake_openai.py), and times `Engine.ask` per question from milvus-docs-qa/dev.jsonl with the app's
defaults (hybrid search, 20 candidates reranked within the default CPU budget, top 5), after one warm-up question
that is not among the timed ones (the score cache would otherwise make a repeat free; the warm-up also lets the
reranker measure its speed, which its budget then plans with):
  first sources    -> the first early list: `on_keywords` (the keyword matches, before the question's embedding)
  fused sources    -> `on_fused` (keyword + meaning, shown while the reranker works)
  reranked sources -> `on_sources` (the final ranking; the answer request starts now)
  first token      -> the first streamed answer token
and how many of the candidates the reranker reached within the budget. Also timed: the query embedding alone and the
hybrid search without rerank (k=20); optionally (--full-rerank-queries) the search with no budget (all 20 reranked).
Baseline, in the same run on the same index: the tutorial's path (../shared/seed/tutorial-code.txt: fp32
`encode([q], prompt_name="query")`, a dense search for 20 candidates, `rerank_documents` over all of them with full
logits, then its one non-streamed request to the same server): it shows its sources only once all are reranked,
and its first answer words with the whole answer.
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
from tests.support.fake_openai import FakeOpenAIServer, Reply
from tests.support.tiny_models import build_qwen3_shaped_embedder, build_qwen3_shaped_reranker

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FAQ = DATA / "milvus-docs-2.4.x-en" / "faq"
DEV = DATA / "milvus-docs-qa" / "dev.jsonl"
CACHE = Path(__file__).resolve().parent / ".cache"
CANDIDATES, TOP = 20, 5
TUTORIAL_SYSTEM = (
    "Human: You are an AI assistant. You are able to find answers to the questions from the contextual passage "
    "snippets provided."
)
TUTORIAL_USER = (
    "Use the following pieces of information enclosed in <context> tags to provide an answer to the question "
    "enclosed in <question> tags.\n<context>\n{context}\n</context>\n<question>\n{question}\n</question>"
)
FIRST_SOURCES, FUSED, RERANKED = "first sources (keyword matches)", "keyword + meaning sources", "reranked sources"
FIRST_TOKEN, COUNT = "first answer token", "reranked"


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


def ask_timings(engine: Engine, question: str) -> dict[str, float]:
    """One `Engine.ask` with the app's defaults; seconds from the call to each stage, and the reranked count."""
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def mark(name: str) -> Callable[..., None]:
        return lambda *_: marks.setdefault(name, time.perf_counter() - started)

    def sources(hits) -> None:
        mark(RERANKED)()
        marks[COUNT] = hits.reranked_count

    answer = engine.ask(
        question,
        on_keywords=mark(FIRST_SOURCES),
        on_fused=mark(FUSED),
        on_sources=sources,
        on_token=mark(FIRST_TOKEN),
    )
    if answer.mode != "llm" or FIRST_TOKEN not in marks:
        raise SystemExit(f"no streamed answer for {question!r}: {answer.mode} {answer.error}")
    marks.setdefault(FUSED, marks[RERANKED])  # no reranker ran: the fused list was the final one
    marks.setdefault(FIRST_SOURCES, marks[FUSED])  # no keyword match: the fused list came first
    return marks


def engine_latencies(engine: Engine, qs: list[str], warm_up: str, full: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {
        "embed query": [],
        "hybrid search (no rerank, k=20)": [],
        FIRST_SOURCES: [],
        FUSED: [],
        RERANKED: [],
        FIRST_TOKEN: [],
        COUNT: [],
    }
    engine.ask(warm_up)  # first-call allocations, Lite's segment load
    for i, q in enumerate(qs):
        out["embed query"].append(timed(lambda q=q: engine.embedder.embed_query(q)))
        out["hybrid search (no rerank, k=20)"].append(
            timed(lambda q=q: engine.search(q, k=CANDIDATES, mode="hybrid", rerank=False))
        )
        marks = ask_timings(engine, q)
        for key in (FIRST_SOURCES, FUSED, RERANKED, FIRST_TOKEN, COUNT):
            out[key].append(marks[key])
        print(
            f"  engine q{i + 1}: sources {marks[FIRST_SOURCES]:.2f} s, fused {marks[FUSED]:.2f} s, "
            f"reranked {marks[RERANKED]:.2f} s "
            f"({marks[COUNT]:.0f}/{CANDIDATES}), first token {marks[FIRST_TOKEN]:.2f} s",
            file=sys.stderr,
            flush=True,
        )
    if full:
        engine.reranker.clear_cache()  # the budgeted runs above must not make the full ones cheaper
        key = "search + rerank all 20 -> 5 (no budget)"
        out[key] = [timed(lambda q=q: engine.search(q, k=TOP, rerank_budget_s=0)) for q in qs[:full]]
    return out


def tutorial_latencies(engine: Engine, embed_model: Path, rerank_model: Path, qs: list[str], base_url: str):
    """The tutorial's query path over the engine's store, then the same streamed request as the engine's."""
    if not qs:
        return {}
    from openai import OpenAI

    embedder, reranker = TutorialEmbedder(embed_model), TutorialReranker(rerank_model)
    store = engine.store()
    client = OpenAI(base_url=base_url, api_key="not-needed")

    def answer(q: str) -> dict[str, float]:
        started = time.perf_counter()
        vector = np.asarray(embedder.emb_text(q, is_query=True), dtype=np.float32)
        hits = store.search_dense(vector, CANDIDATES)
        ranked = reranker.rerank_documents(q, [h.chunk.text for h in hits])[:TOP]
        sources = time.perf_counter() - started
        context = "\n".join(text for text, _ in ranked)
        user = TUTORIAL_USER.format(context=context, question=q)
        messages = [{"role": "system", "content": TUTORIAL_SYSTEM}, {"role": "user", "content": user}]
        client.chat.completions.create(model="gpt-4o", messages=messages)  # the tutorial does not stream
        first = time.perf_counter() - started
        return {FIRST_SOURCES: sources, FUSED: sources, RERANKED: sources, FIRST_TOKEN: first, COUNT: CANDIDATES}

    out: dict[str, list[float]] = {FIRST_SOURCES: [], FUSED: [], RERANKED: [], FIRST_TOKEN: [], COUNT: []}
    for i, q in enumerate(qs):
        marks = answer(q)
        for key in out:
            out[key].append(marks[key])
        print(f"  tutorial q{i + 1}: first token {marks[FIRST_TOKEN]:.2f} s", file=sys.stderr, flush=True)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.perf.bench_query_latency", description=__doc__.split("\n")[0])
    p.add_argument("--queries", type=int, default=10)
    p.add_argument("--baseline-queries", type=int, default=3, help="0 skips the tutorial baseline (slow)")
    p.add_argument("--full-rerank-queries", type=int, default=0, help="also time the search with no budget")
    p.add_argument("--fast-path", choices=("auto", "bf16", "int8", "fp32"), default="auto")
    p.add_argument("--budget", type=float, help="CPU rerank budget in seconds (default: EngineConfig's)")
    p.add_argument("--data-dir", type=Path, help="keep the index here and reuse it in later runs (default: a temp dir)")
    return p.parse_args(argv)


def print_table(title: str, rows: dict[str, list[float]]) -> None:
    print(f"| {title} | questions | p50 | p95 |")
    print("| --- | --- | --- | --- |")
    for label, values in rows.items():
        unit = "candidates" if label == COUNT else "s"
        print(f"| {label} ({unit}) | {len(values)} | {percentiles(values)} |")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not FAQ.is_dir() or not DEV.is_file():
        sys.exit(f"missing data under {DATA}")
    embed_model, rerank_model = build_qwen3_shaped_embedder(CACHE), build_qwen3_shaped_reranker(CACHE)
    qs = questions(args.queries + 1)
    warm_up, qs = qs[-1], qs[:-1]
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp, FakeOpenAIServer(Reply("Done [1].")) as server:
        config = EngineConfig(
            data_dir=args.data_dir or Path(tmp),
            embed_model=str(embed_model),
            rerank_model=str(rerank_model),
            device="cpu",
            cpu_fast_path=args.fast_path,
            llm_base_url=server.base_url,
        )
        if args.budget is not None:
            config = config.with_changes(rerank_budget_cpu_s=args.budget)
        with Engine(config) as engine:
            started = time.perf_counter()
            engine.index_library(FAQ)  # with --data-dir a second run only checks the files
            index_s = time.perf_counter() - started
            chunks = sum(lib.chunks for lib in engine.libraries())
            load_before = os.getloadavg()[0]
            engine.load_models()
            ours = engine_latencies(engine, qs, warm_up, args.full_rerank_queries)
            fast = f"{engine.embedder.fast_path}/{engine.reranker.fast_path}"
            budget = config.rerank_budget_for("cpu")
            print(f"Query latency over {chunks} chunks of {FAQ} (indexing took {index_s:.0f} s), CPU")
            print(
                f"fast path {fast}, rerank budget {budget} s, load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
            )
            rate = engine.reranker._rate.seconds_per_token
            if rate is not None:
                print(
                    f"reranker speed it planned with: {rate * 1000:.1f} ms a token (a 300-token pair ~{rate * 300:.1f} s)"
                )
            print_table(f"engine, rerank budget {budget} s{' (default)' if args.budget is None else ''}", ours)
            print(
                f"goals: first sources p50 <= 0.5 s: {np.median(ours[FIRST_SOURCES]):.2f} s; "
                f"first answer token p50 <= 5 s: {np.median(ours[FIRST_TOKEN]):.2f} s",
                flush=True,
            )
            # The baseline last (its two fp32 models are loaded beside the engine's): printed as soon as it is done.
            engine._reranker = None
            gc.collect()
            base = tutorial_latencies(engine, embed_model, rerank_model, qs[: args.baseline_queries], server.base_url)
    if base:
        print_table("tutorial's path", base)
        for key in (FIRST_SOURCES, FIRST_TOKEN):
            ratio = float(np.median(base[key]) / np.median(ours[key]))
            print(f"ratio tutorial p50 / engine p50, {key}: {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

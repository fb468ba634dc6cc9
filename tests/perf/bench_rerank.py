"""Benchmark 2 "Reranking": engine Reranker vs the tutorial's rerank_documents, Qwen3-0.6B-shaped reranker, CPU.

    python -m tests.perf.bench_rerank [--docs 10] [--repeats 5]
    python -m tests.perf.bench_rerank --fidelity [--docs 10]

Candidates: windows of ~300 tokens (260..340, so length sorting has something to sort) cut from the Milvus FAQ docs.
The tutorial: whole causal LM in fp32, one left-padded batch, logits for every position and the full vocabulary.
The engine: Reranker.score with the CPU fast path ("auto") and, for reference, with fp32. Times are medians of
`--repeats` calls after one warm-up call. Spearman compares the engine's fast-path scores with the tutorial's fp32
scores (the model is random-weight, so the scores are close together: a strict test of rank stability).

--fidelity instead prints the fidelity table of every score-changing option tried, against the unchanged engine
Reranker (fp32, max_doc_tokens 512, every candidate), one scoring pass each: Spearman of scores and top-5 overlap.
"Fewer candidates" reranks only the first m documents (taken as the fused order, as the time budget does) and keeps
the rest in that order below them; its Spearman compares rank positions. An option may become a default only with
Spearman >= 0.99 and top-5 overlap >= 0.9. Random weights make this a harsh test: the model's order has nothing in
common with the fused order, where a real reranker mostly agrees with it near the top.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from tests.perf.baseline_tutorial import TutorialReranker
from tests.support.tiny_models import build_qwen3_shaped_reranker

FAQ = Path(__file__).resolve().parents[3] / "shared" / "data" / "milvus-docs-2.4.x-en" / "faq"
CACHE = Path(__file__).resolve().parent / ".cache"
QUERY = "Where does Milvus store data?"


def candidates(tokenizer, n: int) -> list[str]:
    """n windows of 260..340 tokens from the FAQ text, cut at token boundaries."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(FAQ.glob("*.md")))
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    docs, start = [], 0
    for i in range(n):
        size = 260 + (i * 37) % 81
        if start + size > len(offsets):
            raise SystemExit(f"the FAQ text is too short for {n} candidates")
        docs.append(text[offsets[start][0] : offsets[start + size - 1][1]])
        start += size
    return docs


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rho (average ranks for ties)."""

    def ranks(values: Sequence[float]) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        order = values.argsort(kind="stable")
        out = np.empty(len(values))
        out[order] = np.arange(len(values), dtype=np.float64)
        for v in np.unique(values):
            tied = values == v
            out[tied] = out[tied].mean()
        return out

    ra, rb = ranks(a), ranks(b)
    return float(np.corrcoef(ra, rb)[0, 1])


def bench_tutorial(model: Path, n_docs: int, repeats: int) -> tuple[list[str], list[int], float, list[float]]:
    tutorial = TutorialReranker(model)
    docs = candidates(tutorial.tokenizer, n_docs)
    lengths = [len(tutorial.tokenizer(d, add_special_tokens=False)["input_ids"]) for d in docs]
    seconds, scores = median_time(lambda: tutorial.scores(QUERY, docs), repeats)
    return docs, lengths, seconds, list(scores)


def engine_reranker(model: Path, fast_path: str, batch_size: int | None = None):
    from engine.config import EngineConfig
    from engine.models.reranker import Reranker

    reranker = Reranker(
        str(model),
        cache_dir=Path(tempfile.gettempdir()),
        device="cpu",
        cpu_fast_path=fast_path,
        batch_size=batch_size or EngineConfig.rerank_batch_size,
    )
    reranker.load()
    return reranker


def top_overlap(a: Sequence[float], b: Sequence[float], k: int = 5) -> float:
    def top(values: Sequence[float]) -> set[int]:
        return set(np.argsort(-np.asarray(values), kind="stable")[:k].tolist())

    return len(top(a) & top(b)) / k


def budget_order(scores: Sequence[float], reached: int) -> list[float]:
    """A ranking as the time budget leaves it, as pseudo-scores: the first `reached` by score, then the rest in order."""
    n = len(scores)
    scored = sorted(range(reached), key=lambda i: scores[i], reverse=True)
    order = scored + list(range(reached, n))
    out = [0.0] * n
    for position, i in enumerate(order):
        out[i] = float(n - position)
    return out


def fidelity(model: Path, n_docs: int) -> int:
    """The fidelity table: each score-changing option against the unchanged fp32 engine Reranker."""
    from engine.models.reranker import Reranker

    def scorer(fast_path: str = "fp32", max_doc_tokens: int = 512) -> Reranker:
        r = Reranker(
            str(model),
            cache_dir=Path(tempfile.gettempdir()),
            device="cpu",
            cpu_fast_path=fast_path,
            max_doc_tokens=max_doc_tokens,
            cache_size=0,
        )
        r.load()
        return r

    reference = scorer()
    docs = candidates(reference._tokenizer, n_docs)
    lengths = [len(reference._tokenizer(d, add_special_tokens=False)["input_ids"]) for d in docs]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    ref = reference.score(QUERY, docs)
    ref_s = time.perf_counter() - started
    del reference
    print(f"Fidelity vs the unchanged engine Reranker (fp32, 512 doc tokens, all {n_docs}), Qwen3-0.6B-shaped, CPU")
    print(f"candidates of {min(lengths)}..{max(lengths)} tokens; load average at start {load_before:.1f}")
    print(f"| option | Spearman | top-5 overlap | scoring s (reference {ref_s:.1f}) | may be a default |")
    print("| --- | --- | --- | --- | --- |", flush=True)

    def row(label: str, got: Sequence[float], seconds: float) -> None:  # printed at once: a long run may be cut
        rho, overlap = spearman(got, ref), top_overlap(got, ref)
        ok = "yes" if rho >= 0.99 and overlap >= 0.9 else "no"
        print(f"| {label} | {rho:.4f} | {overlap:.2f} | {seconds:.1f} | {ok} |", flush=True)

    for reached in sorted({n_docs // 2, max(1, n_docs // 5), 2}, reverse=True):  # no model call: a cut of `ref`
        row(
            f"fewer candidates: first {reached} of {n_docs} reranked",
            budget_order(ref, reached),
            ref_s * reached / n_docs,
        )
    for label, kwargs in (
        ("max_doc_tokens 256", {"max_doc_tokens": 256}),
        ("max_doc_tokens 192", {"max_doc_tokens": 192}),
        ("int8 Linear layers", {"fast_path": "int8"}),
    ):
        r = scorer(**kwargs)
        started = time.perf_counter()
        got = r.score(QUERY, docs)
        row(label, got, time.perf_counter() - started)
        del r
        gc.collect()
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.perf.bench_rerank", description=__doc__.split("\n")[0])
    p.add_argument("--docs", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--fast-path", choices=("auto", "bf16", "int8", "fp32"), default="auto")
    p.add_argument("--batch-size", type=int, help="engine rerank batch size (default: EngineConfig's)")
    p.add_argument("--fidelity", action="store_true", help="print the fidelity table of score-changing options")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not FAQ.is_dir():
        sys.exit(f"missing corpus: {FAQ}")
    model = build_qwen3_shaped_reranker(CACHE)
    if args.fidelity:
        return fidelity(model, args.docs)
    load_before = os.getloadavg()[0]
    docs, lengths, t_time, t_scores = bench_tutorial(model, args.docs, args.repeats)
    gc.collect()  # the tutorial's fp32 model is no longer referenced
    rows = []
    engine_scores = {}
    for fast_path in dict.fromkeys([args.fast_path, "fp32"]):
        reranker = engine_reranker(model, fast_path, args.batch_size)
        seconds, scores = median_time(lambda r=reranker: r.score(QUERY, docs), args.repeats)
        engine_scores[fast_path] = scores
        rows.append((f"engine Reranker.score ({reranker.fast_path})", seconds))
        del reranker
        gc.collect()
    print(f"Reranking {len(docs)} candidates of {min(lengths)}..{max(lengths)} tokens, Qwen3-0.6B-shaped, CPU")
    print(f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}, median of {args.repeats} after a warm-up")
    print("| pipeline | median s | docs/s | ratio to tutorial |")
    print("| --- | --- | --- | --- |")
    print(
        f"| tutorial rerank_documents (full logits, padded batch, fp32) | {t_time:.2f} | {len(docs) / t_time:.2f} | 1.00 |"
    )
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} | {len(docs) / seconds:.2f} | {t_time / seconds:.2f} |")
    fast = engine_scores[args.fast_path]
    fp32 = engine_scores["fp32"]
    label = rows[0][0]
    print(f"ratio {label} / tutorial: {t_time / rows[0][1]:.2f}x (goal >= 3)")
    print(f"Spearman {label} vs tutorial fp32: {spearman(fast, t_scores):.4f} (goal >= 0.99)")
    print(f"max |engine fp32 - tutorial fp32| P(yes): {np.max(np.abs(np.subtract(fp32, t_scores))):.2e}")
    spread = float(np.max(t_scores) - np.min(t_scores))
    print(f"tutorial fp32 P(yes) spread across candidates: {spread:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Retrieval quality through the real pipeline: index a corpus folder with an Engine, score file-level rankings.

    python -m tests.quality.harness --corpus milvus|milvus-ja|scifact [--model DIR] [--limit-queries N]
    python -m tests.quality.harness --corpus milvus-followups --no-rerank [--variants]   (see followups.py)

prints a markdown table of hit@1/5/10, MRR@10 and nDCG@10 for dense, bm25, hybrid and hybrid+rerank. Rankings are
per file: chunk hits are deduplicated by file in rank order. Without `--rerank-model`, hybrid+rerank uses a tiny
random-weight Qwen3 reranker and is only a plumbing check (its numbers say nothing about quality).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.cancel import CancelToken
from engine.config import EngineConfig
from engine.engine import Engine
from engine.types import Hit, Progress
from tests.quality.corpora import Corpus, Question, milvus_corpus, milvus_ja_corpus, scifact_corpus
from tests.quality.metrics import Metrics, dedupe, score_runs

MODES = ("dense", "bm25", "hybrid", "hybrid+rerank")
DEFAULT_DEPTH = 50  # chunks asked of engine.search per question, enough for 10 distinct files
MAX_CHUNK_TOKENS = 512


@dataclass(frozen=True)
class IndexStats:
    files: int
    chunks: int
    tokens: int
    seconds: float


def model_max_tokens(model_dir: Path) -> int:
    """The chunk budget for a model: its sentence-transformers max_seq_length, at most 512 (MiniLM: 256)."""
    cfg = Path(model_dir) / "sentence_bert_config.json"
    if cfg.is_file():
        value = json.loads(cfg.read_text(encoding="utf-8")).get("max_seq_length")
        if value:
            return min(int(value), MAX_CHUNK_TOKENS)
    return MAX_CHUNK_TOKENS


def engine_config(
    model: Path,
    data_dir: Path,
    *,
    rerank_model: Path | None = None,
    chunk_tokens: int | None = None,
    **changes: object,
) -> EngineConfig:
    """CPU config for an evaluation; `changes` override any EngineConfig field (fusion, fast path, ...)."""
    tokens = chunk_tokens or model_max_tokens(model)
    base: dict[str, object] = dict(
        data_dir=Path(data_dir),
        embed_model=str(model),
        device="cpu",
        chunk_tokens=tokens,
        chunk_overlap_tokens=max(1, round(tokens * 0.15)),
        embed_batch_size=32,
        rerank=rerank_model is not None,
        # Quality is the model's: every candidate is reranked (the app's time budget would cut it short on a CPU).
        rerank_budget_cpu_s=0,
        rerank_budget_gpu_s=0,
    )
    if rerank_model is not None:
        base["rerank_model"] = str(rerank_model)
    base.update(changes)
    return EngineConfig(**base)  # type: ignore[arg-type]


def index_corpus(
    engine: Engine, corpus: Corpus, log: Callable[[str], None] | None = None, *, text_only: bool = False
) -> IndexStats:
    """Index the corpus folder (incrementally: an unchanged, already indexed folder costs a scan).

    `text_only`: stop once every file's text is stored, before embedding (BM25 serves stored text at once): BM25
    figures in minutes where embedding would take hours on a CPU.
    """
    last = [0.0]
    cancel = CancelToken()

    def on_progress(p: Progress) -> None:
        if text_only and p.phase == "embedding":
            cancel.cancel()
        now = time.monotonic()
        if log and now - last[0] > 10:
            last[0] = now
            log(f"  {p.phase}: {p.files_done}/{p.files_total} files, {p.chunks_done} chunks, {p.elapsed_s:.0f} s")

    started = time.perf_counter()
    # Text only: no embedding at all (the pipeline would otherwise embed beside the text being stored, slowing it).
    report = engine.index_library(
        corpus.folder, on_progress=on_progress, cancel=cancel, embed=False if text_only else None
    )
    seconds = time.perf_counter() - started
    if report.files_failed:
        raise RuntimeError(f"{report.files_failed} files failed to index: {engine.report(statuses=['failed'])[:3]}")
    return IndexStats(report.files_indexed, report.chunks_embedded, report.tokens_embedded, seconds)


def file_ranking(hits: Sequence[Hit], library: Path) -> list[str]:
    """Hit paths relative to the library (posix), deduplicated by file in rank order."""
    root = Path(library).resolve()
    return dedupe(Path(h.chunk.path).resolve().relative_to(root).as_posix() for h in hits)


def rank_question(engine: Engine, question: Question, mode: str, depth: int) -> list[Hit]:
    """One question through engine.search; hybrid+rerank reranks the configured candidates, then the hybrid tail."""
    if mode != "hybrid+rerank":
        return engine.search(question.text, k=depth, mode=mode, rerank=False)
    pool = engine.config.candidates
    reranked = engine.search(question.text, k=pool, mode="hybrid", rerank=True)
    seen = {h.chunk.id for h in reranked}
    tail = [h for h in engine.search(question.text, k=depth, mode="hybrid", rerank=False) if h.chunk.id not in seen]
    return reranked + tail


def evaluate(
    engine: Engine,
    corpus: Corpus,
    modes: Sequence[str] = MODES,
    depth: int = DEFAULT_DEPTH,
) -> dict[str, Metrics]:
    """Metrics per mode over all the corpus's questions."""
    results = {}
    for mode in modes:
        runs = []
        for q in corpus.questions:
            runs.append((file_ranking(rank_question(engine, q, mode, depth), corpus.folder), q.relevant))
        results[mode] = score_runs(runs)
    return results


def markdown_table(results: dict[str, Metrics], labels: dict[str, str] | None = None) -> str:
    labels = labels or {}
    lines = [
        "| mode | hit@1 | hit@5 | hit@10 | MRR@10 | nDCG@10 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for mode, m in results.items():
        lines.append("| " + " | ".join([labels.get(mode, mode), *m.row()]) + " |")
    return "\n".join(lines)


def load_corpus(name: str, work_dir: Path, limit: int | None) -> Corpus:
    if name == "milvus":
        return milvus_corpus(limit)
    if name == "milvus-ja":
        return milvus_ja_corpus(limit)
    if name == "scifact":
        return scifact_corpus(work_dir, limit)
    raise ValueError(f"unknown corpus {name!r}")


def default_model() -> Path:
    from tests.support.tiny_models import minilm_path

    return minilm_path()


def tiny_reranker(work_dir: Path) -> Path:
    """A tiny random-weight Qwen3 reranker: exercises the rerank path, says nothing about quality."""
    from tests.support.tiny_models import build_tiny_models

    folder = work_dir / "tiny-models"
    target = folder / "tiny-qwen3-reranker"
    if not (target / "config.json").is_file():
        build_tiny_models(folder)
    return target


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.quality.harness", description=__doc__.split("\n")[0])
    p.add_argument("--corpus", choices=("milvus", "milvus-ja", "scifact", "milvus-followups"), required=True)
    p.add_argument("--model", type=Path, help="embedding model folder (default: all-MiniLM-L6-v2)")
    p.add_argument("--rerank-model", type=Path, help="reranker folder (default: a tiny random one, plumbing only)")
    p.add_argument("--no-rerank", action="store_true", help="skip hybrid+rerank")
    p.add_argument("--text-only", action="store_true", help="store text, do not embed: BM25 figures only")
    p.add_argument("--limit-queries", type=int)
    p.add_argument("--depth", type=int, default=DEFAULT_DEPTH, help="chunks retrieved per question")
    p.add_argument("--chunk-tokens", type=int, help="default: the model's max length, at most 512")
    p.add_argument("--fast-path", choices=("auto", "bf16", "int8", "fp32"), default="auto")
    p.add_argument("--embed-batch-size", type=int, help="passages per embedding batch (default: the evaluation's 32)")
    p.add_argument("--fusion", choices=("rrf", "weighted"))
    p.add_argument("--rrf-k", type=int)
    p.add_argument("--dense-weight", type=float)
    p.add_argument("--bm25-weight", type=float)
    p.add_argument("--work-dir", type=Path, help="keep corpus files and index here and reuse them (default: temp)")
    p.add_argument("--sweep", action="store_true", help="also print a fusion-parameter sweep (hybrid)")
    p.add_argument("--variants", action="store_true", help="milvus-followups: also score the other rule rewrites")
    return p.parse_args(argv)


def fusion_changes(args: argparse.Namespace) -> dict[str, object]:
    names = {"fusion": "fusion", "rrf_k": "rrf_k", "dense_weight": "dense_weight", "bm25_weight": "bm25_weight"}
    return {field: getattr(args, attr) for attr, field in names.items() if getattr(args, attr) is not None}


def run(args: argparse.Namespace, work_dir: Path) -> str:
    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    model = args.model or default_model()
    model_label = model.parent.name if model.name == "model" else model.name  # the pip package keeps it in model/
    followups = args.corpus == "milvus-followups"
    if followups:
        args.corpus, args.no_rerank = "milvus", True  # the same index as --corpus milvus; no reranker
    corpus = load_corpus(args.corpus, work_dir, args.limit_queries)
    modes = [m for m in MODES if not (args.no_rerank and m == "hybrid+rerank")]
    if args.text_only:
        modes = ["bm25"]
    rerank_model = None if args.no_rerank else (args.rerank_model or tiny_reranker(work_dir))
    config = engine_config(
        model,
        work_dir / f"data-{args.corpus}-{args.fast_path}-b{args.embed_batch_size or 'default'}",
        rerank_model=rerank_model,
        chunk_tokens=args.chunk_tokens,
        cpu_fast_path=args.fast_path,
        **fusion_changes(args),
        **({"embed_batch_size": args.embed_batch_size} if args.embed_batch_size else {}),
    )
    with Engine(config) as engine:
        log(f"indexing {corpus.folder} with {model_label} ({config.chunk_tokens}-token chunks) ...")
        stats = index_corpus(engine, corpus, log, text_only=args.text_only)
        log(f"indexed {stats.files} files, {stats.chunks} chunks, {stats.tokens} tokens in {stats.seconds:.1f} s")
        if followups:
            return followups_report(engine, model_label, args)
        started = time.perf_counter()
        results = evaluate(engine, corpus, modes, args.depth)
        elapsed = time.perf_counter() - started
        labels = {}
        if "hybrid+rerank" in results and args.rerank_model is None:
            labels["hybrid+rerank"] = "hybrid+rerank (tiny random reranker: plumbing check only)"
        c = engine.config
        header = (
            f"### {corpus.name}: {len(corpus.questions)} questions, model {model_label}, "
            f"fast path {engine.embedder.fast_path}, chunk {c.chunk_tokens} tokens, "
            f"depth {args.depth}, "
            f"fusion {c.fusion} (k {c.rrf_k}, weights {c.dense_weight}/{c.bm25_weight})\n"
            f"index: {stats.files} files, {stats.chunks} chunks in {stats.seconds:.1f} s; "
            f"evaluation {elapsed:.1f} s\n"
        )
        out = header + "\n" + markdown_table(results, labels)
        if args.sweep:
            from tests.quality.sweep import sweep_table

            out += "\n\n" + sweep_table(engine, corpus)
    return out


def followups_report(engine: Engine, model_label: str, args: argparse.Namespace) -> str:
    from tests.quality.followups import REWRITES, VARIANTS, detection_line, evaluate_followups, load_conversations

    conversations = load_conversations()[: args.limit_queries or None]
    rewrites = {**REWRITES, **VARIANTS} if args.variants else REWRITES
    results = evaluate_followups(engine, conversations, rewrites, depth=args.depth)
    header = (
        f"### milvus-followups: last turn of {len(conversations)} conversations, model {model_label}, hybrid, "
        f"no reranker, search-only rewrite (no LLM)\n{detection_line(conversations)}\n"
    )
    return header + "\n" + markdown_table(results)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        print(run(args, args.work_dir))
        return 0
    with tempfile.TemporaryDirectory(prefix="tansaku-quality-") as tmp:
        print(run(args, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

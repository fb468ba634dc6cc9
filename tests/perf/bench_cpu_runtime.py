"""Issue 18: OpenVINO vs torch as the embedder's CPU runtime: speed and fidelity (shaped model), quality (MiniLM).

    python -m tests.perf.bench_cpu_runtime --part speed            # Qwen3-0.6B-shaped, ~512-token passages
    python -m tests.perf.bench_cpu_runtime --part quality          # all-MiniLM-L6-v2, Milvus dev + SciFact
    python -m tests.perf.bench_cpu_runtime --part subset-quality   # the same, dense only, on corpus subsets

Needs openvino and nncf (dependencies where they have wheels). Speed: every runtime embeds the same ~512-token
passages of the faq folder one per forward pass (as indexing on a CPU does), after its model is loaded (and
converted, timed separately) and warmed up; rounds alternate between runtimes so that a slow spell of a shared
machine hits all, and the median tokens/s per runtime is reported with its ratio to today's automatic torch path;
min/mean cosine is to torch fp32 on the same passages. Static int8 is calibrated on other passages of the folder
(the first half; measured passages come from the second). Quality: the quality harness (tests/quality/harness.py)
indexes each corpus through an Engine per runtime and scores dense and hybrid retrieval (no reranker).
Conversions are cached in tests/perf/.cache/models/openvino (as the app caches them in its data folder); delete it
to time a conversion again. What "auto" runs depends on the CPU (int8 with VNNI, bf16 with bf16 hardware, else fp32):
the table says which.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.models.embedder import Embedder
from tests.support.tiny_models import build_qwen3_shaped_embedder

FAQ = Path(__file__).resolve().parents[3] / "shared" / "data" / "milvus-docs-2.4.x-en" / "faq"
CACHE = Path(__file__).resolve().parent / ".cache"
PASSAGE_TOKENS = 500  # + special tokens: ~512-token chunks, the app's default chunk size
BAR = "bar for the default: >= 1.4x auto, min cosine >= 0.995, MiniLM nDCG@10 within 0.01 of fp32"


@dataclass(frozen=True)
class Runtime:
    label: str
    fast_path: str
    runtime: str


SPEED_RUNTIMES = (
    Runtime("torch auto (today's default)", "auto", "torch"),
    Runtime("OpenVINO int8 static", "int8", "openvino"),
    Runtime("OpenVINO fp32", "fp32", "openvino"),
    Runtime("OpenVINO bf16", "bf16", "openvino"),
)


def passages(tokenizer, n_calibration: int, n_measure: int) -> tuple[list[str], list[str]]:
    """~PASSAGE_TOKENS-token windows of the faq folder's text: calibration ones from the first half of the files,
    measured ones from the second."""
    files = sorted(FAQ.glob("*.md"))
    half = len(files) // 2

    def windows(paths: list[Path], n: int) -> list[str]:
        ids = tokenizer("\n\n".join(p.read_text(encoding="utf-8") for p in paths), add_special_tokens=False)
        ids = ids["input_ids"]
        out = [tokenizer.decode(ids[i : i + PASSAGE_TOKENS]) for i in range(0, len(ids), PASSAGE_TOKENS)]
        out = [t for t in out if len(tokenizer(t, add_special_tokens=False)["input_ids"]) >= PASSAGE_TOKENS * 0.9]
        return out[:: max(1, len(out) // n)][:n]

    return windows(files[:half], n_calibration), windows(files[half:], n_measure)


def conversion_note(e: Embedder, took: float) -> str:
    status = e.runtime
    if status is None or status.note:
        return status.note if status else ""
    if status.runtime == "torch":
        return ""
    if not status.converted:
        return f"cached conversion loaded in {took:.0f} s"
    calibrated = f", {status.calibration_texts} calibration passages" if status.calibration_texts else ""
    return f"converted in {took:.0f} s{calibrated}"


def embed_timed(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    vectors = embedder.embed_documents(texts)
    return vectors, time.perf_counter() - started


def speed(args: argparse.Namespace) -> None:
    model = build_qwen3_shaped_embedder(CACHE)
    cache = CACHE / "models"
    reference = Embedder(str(model), cache_dir=cache, device="cpu", max_seq_length=576, cpu_fast_path="fp32")
    reference.load()
    tokenizer = reference._tokenizer
    calibration, texts = passages(tokenizer, args.calibration, args.passages)
    tokens = sum(len(tokenizer(t)["input_ids"]) for t in texts)
    print(f"{len(texts)} passages, {tokens} tokens ({tokens / len(texts):.0f} each); load {os.getloadavg()[0]:.1f}")
    ref, ref_s = embed_timed(reference, texts)
    del reference
    gc.collect()
    loaded: list[tuple[Runtime, Embedder, str]] = []
    for rt in [rt for rt in SPEED_RUNTIMES if rt.label in args.speed_runtimes] or list(SPEED_RUNTIMES):
        e = Embedder(
            str(model),
            cache_dir=cache,
            device="cpu",
            max_seq_length=576,
            cpu_fast_path=rt.fast_path,
            cpu_runtime=rt.runtime,
            calibration=lambda n: calibration[:n],
        )
        started = time.perf_counter()
        e.load()
        took = time.perf_counter() - started
        status = e.runtime
        how = conversion_note(e, took)
        e.embed_documents(["warm up"])
        loaded.append((rt, e, how))
        print(f"  loaded {rt.label}: {e.fast_path} on {status.runtime if status else '?'} {how}", file=sys.stderr)
    seconds: dict[str, list[float]] = {rt.label: [] for rt, _, _ in loaded}
    cosines: dict[str, np.ndarray] = {}
    for r in range(args.rounds):
        for rt, e, _ in loaded:
            vectors, s = embed_timed(e, texts)
            seconds[rt.label].append(s)
            cosines[rt.label] = np.sum(vectors * ref, axis=1)
            print(f"  round {r + 1} {rt.label}: {tokens / s:.0f} tok/s", file=sys.stderr, flush=True)
    base = statistics.median(seconds[SPEED_RUNTIMES[0].label])
    print(f"Qwen3-0.6B-shaped embedder (random weights), one ~512-token passage per pass, {args.rounds} rounds")
    print(f"load average at the end {os.getloadavg()[0]:.1f} (2 cores shared: speed ratios are noisy)")
    print("| runtime | path | tok/s (median) | vs auto | per round tok/s | min cos | mean cos | conversion |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(f"| torch fp32 (reference) | fp32 | {tokens / ref_s:.0f} | {base / ref_s:.2f}x | one | 1 | 1 | |")
    for rt, e, how in loaded:
        s = seconds[rt.label]
        per = ", ".join(f"{tokens / x:.0f}" for x in s)
        cos = cosines[rt.label]
        print(
            f"| {rt.label} | {e.fast_path} | {tokens / statistics.median(s):.0f} | {base / statistics.median(s):.2f}x "
            f"| {per} | {cos.min():.4f} | {cos.mean():.4f} | {how} |"
        )
    print(BAR)


QUALITY_RUNTIMES = (
    Runtime("torch fp32", "fp32", "torch"),
    Runtime("OpenVINO int8 static", "int8", "openvino"),
    Runtime("OpenVINO bf16", "bf16", "openvino"),
)


def quality(args: argparse.Namespace) -> None:
    from engine.engine import Engine
    from tests.quality.harness import default_model, engine_config, evaluate, index_corpus, load_corpus

    model = default_model()
    work = Path(tempfile.mkdtemp(prefix="bench-cpu-runtime-"))
    wanted = [rt for rt in QUALITY_RUNTIMES if rt.label in args.quality_runtimes] or list(QUALITY_RUNTIMES)
    print("all-MiniLM-L6-v2 through each runtime (quality harness, file-level, no reranker)")
    print("| corpus | runtime | mode | hit@1 | hit@5 | hit@10 | MRR@10 | nDCG@10 | index s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
    for corpus_name in args.corpora:
        corpus = load_corpus(corpus_name, work, None)
        for rt in wanted:
            config = engine_config(
                model,
                work / f"data-{corpus_name}-{rt.fast_path}-{rt.runtime}",
                cpu_fast_path=rt.fast_path,
                cpu_runtime=rt.runtime,
            )
            with Engine(config) as engine:
                stats = index_corpus(engine, corpus, lambda m: print(m, file=sys.stderr, flush=True))
                results = evaluate(engine, corpus, ("dense", "hybrid"))
                label = runtime_label(rt.label, engine.embedder)
            for mode, m in results.items():
                print(
                    f"| {corpus.name} ({len(corpus.questions)} q) | {label} | {mode} | "
                    + " | ".join(m.row())
                    + f" | {stats.seconds:.0f} |",
                    flush=True,
                )
    print(BAR)


def runtime_label(asked: str, embedder: Embedder) -> str:
    """A table row's runtime: what was asked for, what ran (a failed conversion shows as torch) and its calibration."""
    status = embedder.runtime
    if status is None:
        return asked
    label = f"{asked} ({status.runtime} {embedder.fast_path})"
    if status.calibration_texts:
        label += f", {status.calibration_texts} calibration texts"
    return label


def subset_passages(corpus, tokenizer, max_files: int, window: int) -> list[tuple[str, str]]:
    """(file, passage) pairs: every file some question needs plus evenly spread others, up to max_files, each cut
    into `window`-token passages (a file ranks by its best passage, as the harness dedupes chunk hits by file)."""
    files = sorted(p.relative_to(corpus.folder).as_posix() for p in corpus.folder.rglob("*") if p.is_file())
    needed = sorted({f for q in corpus.questions for f in q.relevant} & set(files))
    others = [f for f in files if f not in set(needed)]
    room = max(0, max_files - len(needed))
    picked = needed + (others[:: max(1, len(others) // room)][:room] if room else [])
    out = []
    for name in picked:
        ids = tokenizer((corpus.folder / name).read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"]
        for start in range(0, max(len(ids), 1), window):
            out.append((name, tokenizer.decode(ids[start : start + window])))
    return out


def subset_quality(args: argparse.Namespace) -> None:
    """Dense retrieval only, on a subset of each corpus (the questions' relevant files plus distractors), ranked by
    brute-force cosine: the full harness re-indexes 270 files / 5183 abstracts per runtime, hours on a busy 2-core
    machine. Compares runtimes with each other on the same passages, not with the harness's full-corpus figures."""
    from tests.quality.harness import default_model, load_corpus
    from tests.quality.metrics import dedupe, score_runs

    model = default_model()
    work = Path(tempfile.mkdtemp(prefix="bench-cpu-runtime-"))
    cache = Path(tempfile.mkdtemp(prefix="bench-cpu-runtime-models-"))
    wanted = [rt for rt in QUALITY_RUNTIMES if rt.label in args.quality_runtimes] or list(QUALITY_RUNTIMES)
    print(f"all-MiniLM-L6-v2, dense only, corpus subsets of <= {args.subset_files} files, {args.window}-token passages")
    print("| corpus | runtime | passages | hit@1 | hit@5 | hit@10 | MRR@10 | nDCG@10 | min cos | embed s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
    for corpus_name in args.corpora:
        corpus = load_corpus(corpus_name, work, args.limit_queries)
        reference: np.ndarray | None = None
        for rt in wanted:
            e = Embedder(str(model), cache_dir=cache, device="cpu", cpu_fast_path=rt.fast_path, cpu_runtime=rt.runtime)
            e.load()
            pairs = subset_passages(corpus, e._tokenizer, args.subset_files, args.window)
            started = time.perf_counter()
            docs = e.embed_documents([text for _, text in pairs])
            seconds = time.perf_counter() - started
            queries = np.stack([e.embed_query(q.text) for q in corpus.questions])
            names = [name for name, _ in pairs]
            runs = []
            for q, scores in zip(corpus.questions, queries @ docs.T, strict=True):
                runs.append((dedupe(names[i] for i in np.argsort(-scores)[:200]), q.relevant))
            m = score_runs(runs)
            reference = docs if reference is None else reference
            cos = float(np.sum(docs * reference, axis=1).min())
            label = runtime_label(rt.label, e)
            files = len(set(names))
            print(
                f"| {corpus.name} ({len(corpus.questions)} q, {files} files) | {label} | {len(pairs)} | "
                + " | ".join(m.row())
                + f" | {cos:.4f} | {seconds:.0f} |",
                flush=True,
            )
    print(BAR)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.perf.bench_cpu_runtime", description=__doc__.split("\n")[0])
    p.add_argument("--part", choices=("speed", "quality", "subset-quality", "both"), default="both")
    p.add_argument("--passages", type=int, default=8, help="measured ~512-token passages")
    p.add_argument("--calibration", type=int, default=32, help="static int8 calibration passages")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--corpora", nargs="+", default=["milvus", "scifact"])
    p.add_argument("--speed-runtimes", nargs="*", default=[], help="labels to run (default: all)")
    p.add_argument("--quality-runtimes", nargs="*", default=[], help="labels to run (default: all)")
    p.add_argument("--subset-files", type=int, default=150, help="subset-quality: files per corpus")
    p.add_argument("--limit-queries", type=int, help="subset-quality: the first N questions of each set")
    p.add_argument("--window", type=int, default=200, help="subset-quality: passage length in tokens")
    args = p.parse_args(argv)
    if args.part in ("speed", "both"):
        speed(args)
    if args.part in ("quality", "both"):
        quality(args)
    if args.part == "subset-quality":
        subset_quality(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

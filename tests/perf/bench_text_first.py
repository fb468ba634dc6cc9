"""What text-first indexing costs: the model present from the start vs text first, then vectors when it arrives.

    python -m tests.perf.bench_text_first                          # all-MiniLM-L6-v2, ../shared/data/.../faq
    python -m tests.perf.bench_text_first --model qwen3-shaped     # Qwen3-0.6B's compute cost (random weights)
    python -m tests.perf.bench_text_first --model qwen3-shaped --files 2 --repeats 3

Both paths index the same files into fresh data folders, in this process, with the same config (a dims setting, so
that the index's dimension is known while the model folder is absent). "model first" is today's path: the model
is loaded before the clock, then one Engine.index_library. "text first" is two runs: the first with the model folder
absent (chunks by the approximate counter, text stored for BM25, nothing embedded), then the folder appears and,
after loading the model before the clock, a second run embeds the stored rows without reading the files again.
Figures: seconds per run, chunks stored (the approximate counter over-estimates tokens, so its chunks are smaller
and more numerous), and the ratios text-first run 1 / model first (how soon keyword search works) and
(run 1 + run 2) / model first (the whole cost). With --repeats the paths alternate and medians are reported.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from engine.config import EngineConfig
from engine.engine import Engine
from tests.support.tiny_models import build_qwen3_shaped_embedder, build_tiny_models, minilm_path

FAQ = Path(__file__).resolve().parents[3] / "shared" / "data" / "milvus-docs-2.4.x-en" / "faq"
CACHE = Path(__file__).resolve().parent / ".cache"


def model_folder(kind: str) -> tuple[Path, int]:
    """The model and its dimension. The tiny and Qwen3-shaped models share a tokenizer trained on a few hundred
    sentences (many tokens per word), so only all-MiniLM's real WordPiece vocabulary shows realistic chunk counts."""
    if kind == "qwen3-shaped":
        return build_qwen3_shaped_embedder(CACHE), 1024
    if kind == "minilm":
        return minilm_path(), 384
    return build_tiny_models(CACHE / "tiny").embed_dir, 64


def config_for(work: Path, model: Path, dims: int) -> EngineConfig:
    return EngineConfig(data_dir=work / "data", embed_model=str(model), dims=dims, device="cpu", rerank=False)


def model_first(source: Path, model: Path, dims: int) -> tuple[float, int]:
    work = Path(tempfile.mkdtemp(prefix="bench-model-first-"))
    try:
        link = work / "model"
        link.symlink_to(model, target_is_directory=True)
        with Engine(config_for(work, link, dims)) as engine:
            engine.load_models(rerank=False)
            started = time.perf_counter()
            report = engine.index_library(source)
            elapsed = time.perf_counter() - started
            assert report.files_awaiting_embedding == 0 and report.chunks_embedded > 0
            return elapsed, report.chunks_embedded
    finally:
        shutil.rmtree(work, ignore_errors=True)


def text_first(source: Path, model: Path, dims: int) -> tuple[float, float, int]:
    work = Path(tempfile.mkdtemp(prefix="bench-text-first-"))
    try:
        link = work / "model"  # absent for the first run
        with Engine(config_for(work, link, dims)) as engine:
            started = time.perf_counter()
            first = engine.index_library(source)
            text_s = time.perf_counter() - started
            assert first.files_awaiting_embedding > 0 and first.chunks_embedded == 0
            link.symlink_to(model, target_is_directory=True)  # the model arrives
            engine.load_models(rerank=False)
            started = time.perf_counter()
            second = engine.index_library(source)
            embed_s = time.perf_counter() - started
            assert second.files_indexed == first.files_awaiting_embedding and second.files_awaiting_embedding == 0
            return text_s, embed_s, second.chunks_embedded
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("tiny", "minilm", "qwen3-shaped"), default="minilm")
    parser.add_argument("--files", type=int, default=0, help="only the first N files (0: all)")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    files = sorted(FAQ.glob("*.md"))
    if args.files:
        files = files[: args.files]
    source = Path(tempfile.mkdtemp(prefix="bench-text-first-src-"))
    try:
        for f in files:
            shutil.copy2(f, source / f.name)
        model, dims = model_folder(args.model)
        model_first(source, model, dims)  # warm-up: imports, kernels, Milvus Lite start
        base, text, embed = [], [], []
        chunks_model = chunks_text = 0
        for _ in range(args.repeats):
            seconds, chunks_model = model_first(source, model, dims)
            base.append(seconds)
            t, e, chunks_text = text_first(source, model, dims)
            text.append(t)
            embed.append(e)
        b, t, e = (statistics.median(x) for x in (base, text, embed))
        size = sum(f.stat().st_size for f in files)
        print(
            f"{len(files)} files ({size / 1024:.0f} KiB) from {FAQ}, model {args.model}, "
            f"runs {args.repeats}, load average {os.getloadavg()[0]:.1f}"
        )
        print("| path | run | seconds | chunks |")
        print("|---|---|---:|---:|")
        print(f"| model first (today) | index | {b:.2f} | {chunks_model} |")
        print(f"| text first | 1: text only (keyword search ready) | {t:.2f} | {chunks_text} |")
        print(f"| text first | 2: embed stored rows | {e:.2f} | {chunks_text} |")
        print(f"| text first | total | {t + e:.2f} | |")
        print(
            f"ratios: keyword search ready after {t / b:.2f}x the model-first time; "
            f"text first in total {(t + e) / b:.2f}x; chunks {chunks_text / max(chunks_model, 1):.2f}x"
        )
    finally:
        shutil.rmtree(source, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark 5 "App memory": peak RSS while indexing the FAQ docs with the Qwen3-0.6B-shaped embedder.

    python -m tests.perf.bench_app_memory [--files N] [--fast-path auto|int8|fp32]

Each pipeline runs in a fresh Python process (so nothing else shares its RSS): the engine (Engine.index_library,
CPU fast path "auto", 512-token chunks, batches of 16) and, as the baseline, the tutorial's loop (fp32, one
`encode` per "# " chunk, insert at the end). A psutil thread samples the process's RSS every 10 ms; the child
reports RSS after imports, the peak while loading the model, and the peak while indexing.
Milvus Lite 3.x runs inside the process, so its memory is part of these figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FAQ = Path(__file__).resolve().parents[3] / "shared" / "data" / "milvus-docs-2.4.x-en" / "faq"
CACHE = Path(__file__).resolve().parent / ".cache"
MB = 1024 * 1024


class RssSampler:
    """Peak RSS of this process since the last `reset()`."""

    def __init__(self, interval_s: float = 0.01) -> None:
        import psutil

        self._proc = psutil.Process()
        self._interval = interval_s
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        self.peak = self.rss()

    def rss(self) -> int:
        return int(self._proc.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            self._stop.wait(self._interval)


def child(kind: str, files: list[Path], fast_path: str) -> dict[str, float]:
    """Runs in the fresh process: load, then index, measuring each phase's peak."""
    with RssSampler() as sampler, tempfile.TemporaryDirectory(prefix=f"bench-mem-{kind}-") as tmp:
        from tests.support.tiny_models import build_qwen3_shaped_embedder

        model = build_qwen3_shaped_embedder(CACHE)
        if kind == "engine":
            from engine.config import EngineConfig
            from engine.engine import Engine
        else:
            from tests.perf.baseline_tutorial import TutorialEmbedder, index_chunks, tutorial_chunks
        import torch  # noqa: F401 - counted in the import baseline for both

        out = {"after imports": sampler.rss() / MB}
        sampler.reset()
        source = Path(tmp) / "docs"
        source.mkdir()
        for p in files:
            shutil.copy2(p, source / p.name)
        if kind == "engine":
            config = EngineConfig(
                data_dir=Path(tmp) / "data", embed_model=str(model), device="cpu", cpu_fast_path=fast_path
            )
            with Engine(config) as engine:
                engine.load_models(rerank=False)
                out["peak while loading"] = sampler.peak / MB
                out["after loading"] = sampler.rss() / MB
                sampler.reset()
                started = time.perf_counter()
                engine.index_library(source)
                out["seconds indexing"] = time.perf_counter() - started
                out["fast path"] = engine.embedder.fast_path  # type: ignore[assignment]
        else:
            embedder = TutorialEmbedder(model)
            out["peak while loading"] = sampler.peak / MB
            out["after loading"] = sampler.rss() / MB
            sampler.reset()
            started = time.perf_counter()
            index_chunks(embedder, tutorial_chunks(source), str(Path(tmp) / "milvus_demo.db"))
            out["seconds indexing"] = time.perf_counter() - started
            out["fast path"] = "fp32"  # type: ignore[assignment]
        out["peak while indexing"] = sampler.peak / MB
        out["overall peak"] = max(out["peak while loading"], out["peak while indexing"])
    return out


def run_child(kind: str, args: argparse.Namespace) -> dict[str, float]:
    cmd = [sys.executable, "-m", "tests.perf.bench_app_memory", "--child", kind, "--fast-path", args.fast_path]
    if args.files:
        cmd += ["--files", str(args.files)]
    print(f"  running {kind} ...", file=sys.stderr, flush=True)
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{kind} run failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.perf.bench_app_memory", description=__doc__.split("\n")[0])
    p.add_argument("--files", type=int, help="only the first N files of faq/ (sorted by name)")
    p.add_argument("--fast-path", choices=("auto", "bf16", "int8", "fp32"), default="auto")
    p.add_argument("--child", choices=("engine", "tutorial"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not FAQ.is_dir():
        sys.exit(f"missing corpus: {FAQ}")
    files = sorted(FAQ.glob("*.md"))[: args.files] if args.files else sorted(FAQ.glob("*.md"))
    if args.child:
        print(json.dumps(child(args.child, files, args.fast_path)))
        return 0
    results = {kind: run_child(kind, args) for kind in ("engine", "tutorial")}
    keys = [k for k in results["engine"] if k != "fast path"]
    print(f"Peak RSS (MiB) indexing {len(files)} files of {FAQ} with the Qwen3-0.6B-shaped embedder, CPU")
    print(f"| | engine ({results['engine']['fast path']}) | tutorial (fp32) |")
    print("| --- | --- | --- |")
    for key in keys:
        print(f"| {key} | {results['engine'][key]:.0f} | {results['tutorial'][key]:.0f} |")
    e, t = results["engine"]["overall peak"], results["tutorial"]["overall peak"]
    print(f"ratio overall peak RSS, engine/tutorial: {e / t:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`tansaku --self-test`: proves an install (frozen or not) works end to end, offline, without real model weights.

Imports every heavy dependency, opens Milvus Lite in a temp dir, builds a tiny Qwen3-architecture embedder, indexes the
bundled sample documents and checks that BM25 and hybrid search put the expected file first. Writes only to a temp
dir. Prints one line per step, then how each patch of a dependency's internals stands (engine/patches.py); returns
0, or 1 after naming the step that failed.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from engine.resources_path import is_frozen, resource_dir

if TYPE_CHECKING:
    from engine.engine import Engine

Check = tuple[str, Callable[[], object]]

# (label, modules): native libraries and lazily imported packages a frozen build is most likely to miss.
DEPENDENCIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("numpy", ("numpy",)),
    ("torch", ("torch",)),
    ("transformers", ("transformers", "transformers.models.qwen3.modeling_qwen3", "safetensors.torch")),
    ("tokenizers", ("tokenizers",)),
    ("sentence-transformers", ("sentence_transformers",)),
    ("huggingface-hub", ("huggingface_hub",)),
    ("pymilvus + milvus-lite", ("pymilvus", "milvus_lite", "milvus_lite.server_manager", "faiss", "pyarrow", "grpc")),
    ("openai", ("openai",)),
    ("keyring", ("keyring",)),
    (
        "loaders",
        ("pypdfium2", "docx", "docx.table", "selectolax.lexbor", "ebooklib.epub", "charset_normalizer", "markdown_it"),
    ),
    ("support", ("pathspec", "watchdog.observers", "filelock", "platformdirs")),
)
SAMPLE_DIR = ("samples", "selftest")
QUERY = "foghorn lamp lens"
EXPECTED_FILE = "lighthouse.md"


class StepFailed(Exception):
    """A check found a wrong result (as opposed to crashing)."""


def _import_all(modules: Sequence[str]) -> str:
    import importlib

    for name in modules:
        importlib.import_module(name)
    top = sys.modules[modules[0]]
    return str(getattr(top, "__version__", ""))


def _check_metadata() -> str:
    """Package metadata must be bundled: transformers checks versions, keyring finds backends by entry point."""
    from importlib import metadata

    versions = [f"{name} {metadata.version(name)}" for name in ("transformers", "sentence-transformers", "pymilvus")]
    backends = metadata.entry_points(group="keyring.backends")
    if not backends:
        raise StepFailed("no keyring backends are registered (keyring's package metadata is missing)")
    import keyring

    return ", ".join(versions) + f"; keyring backend: {type(keyring.get_keyring()).__module__}"


def _check_pdfium() -> str:
    import pypdfium2

    doc = pypdfium2.PdfDocument.new()
    try:
        doc.new_page(200, 200)
        return f"{len(doc)} page"
    finally:
        doc.close()


def _check_samples() -> str:
    folder = resource_dir().joinpath(*SAMPLE_DIR)
    files = sorted(p.name for p in folder.glob("*.md"))
    if EXPECTED_FILE not in files:
        raise StepFailed(f"{EXPECTED_FILE} not found in {folder}")
    return f"{len(files)} files in {folder}"


def _check_japanese_segmentation() -> str:
    """SudachiPy and its dictionary (sudachidict_core's system.dic) must be bundled: Japanese BM25 depends on them."""
    from engine.store.segment import segment

    words = segment("東京都でパーティションを作成しました").split()
    if "東京都" not in words or "パーティション" not in words:
        raise StepFailed(f"Japanese text was segmented as {words}")
    return " ".join(words)


def _check_milvus_lite(tmp: Path) -> str:
    from pymilvus import MilvusClient

    client = MilvusClient(uri=str(tmp / "probe.db"))
    try:
        client.list_collections()
    finally:
        client.close()
    return "opened"


class _Run:
    """The state the engine steps share: temp dir, model folder, the open Engine."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.model_dir = tmp / "tiny-qwen3-embedding"
        self.library = tmp / "library"
        self.engine: Engine | None = None

    def build_model(self) -> str:
        from engine.selftest.tiny_model import build_tiny_embedder

        texts = [p.read_text(encoding="utf-8") for p in resource_dir().joinpath(*SAMPLE_DIR).glob("*.md")]
        build_tiny_embedder(self.model_dir, texts + [QUERY])
        return str(self.model_dir)

    def index(self) -> str:
        from engine.config import EngineConfig
        from engine.engine import Engine

        shutil.copytree(resource_dir().joinpath(*SAMPLE_DIR), self.library)
        config = EngineConfig(
            data_dir=self.tmp / "data",
            embed_model=str(self.model_dir),
            device="cpu",
            cpu_fast_path="fp32",
            rerank=False,
            chunk_tokens=256,
            chunk_overlap_tokens=16,
        )
        self.engine = Engine(config)
        self.engine.open()
        report = self.engine.index_library(self.library)
        expected = len(list(self.library.glob("*.md")))
        if report.files_failed or report.files_indexed != expected:
            raise StepFailed(
                f"indexed {report.files_indexed} of {expected} files, {report.files_failed} failed, "
                f"{report.files_skipped} skipped"
            )
        return f"{report.files_indexed} files, {report.chunks_embedded} chunks"

    def search(self, mode: str) -> str:
        assert self.engine is not None, "the index step did not run"
        hits = self.engine.search(QUERY, mode=mode, rerank=False, k=3)
        if not hits:
            raise StepFailed(f"{mode} search found nothing for {QUERY!r}")
        if mode == "hybrid" and not any(h.scores.dense is not None for h in hits):
            raise StepFailed("hybrid search returned no dense (vector) results")
        # The tiny model's weights are random, so only BM25 judges relevance: the passage it ranks first must lead.
        first = Path(max(hits, key=lambda h: h.scores.bm25 or 0.0).chunk.path).name
        if first != EXPECTED_FILE:
            raise StepFailed(f"{mode} search ranked {first} first by keywords, expected {EXPECTED_FILE}")
        return f"{len(hits)} hits, first by keywords {first}"

    def openvino(self) -> str:
        """The embedder's OpenVINO CPU runtime (a setting): convert the tiny model to OpenVINO static int8
        (calibrated on the bundled samples, as on a first run) and embed with it, vectors close to PyTorch's."""
        from engine.models.embedder import Embedder
        from engine.models.openvino_runtime import openvino_problem

        if openvino_problem() is not None:
            return "not installed here (no OpenVINO wheel for this platform): PyTorch embeds on the CPU"
        texts = [QUERY, "A lighthouse keeper lights the lamp at dusk."]
        reference = Embedder(str(self.model_dir), cache_dir=self.tmp / "models", device="cpu", cpu_fast_path="fp32")
        converted = Embedder(
            str(self.model_dir),
            cache_dir=self.tmp / "models",
            device="cpu",
            cpu_fast_path="int8",
            cpu_runtime="openvino",
        )
        expected, got = reference.embed_documents(texts), converted.embed_documents(texts)
        status = converted.runtime
        if status is None or status.runtime != "openvino":
            raise StepFailed(f"OpenVINO did not load: {status.note if status else 'no runtime'}")
        cosine = float((expected * got).sum(axis=1).min())
        if cosine < 0.9:
            raise StepFailed(f"OpenVINO int8 vectors at cosine {cosine:.3f} of PyTorch's")
        return f"int8, {status.calibration_texts} calibration texts, cosine {cosine:.3f} to PyTorch"

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
            self.engine = None


def _steps(run: _Run, extra_checks: Sequence[Check]) -> list[Check]:
    steps: list[Check] = [(f"import {label}", functools.partial(_import_all, mods)) for label, mods in DEPENDENCIES]
    steps += [
        ("package metadata", _check_metadata),
        ("pdfium native library", _check_pdfium),
        ("bundled sample documents", _check_samples),
        ("Japanese word segmentation", _check_japanese_segmentation),
        ("open Milvus Lite", lambda: _check_milvus_lite(run.tmp)),
        ("build tiny Qwen3 embedding model", run.build_model),
        ("index sample documents", run.index),
        ("BM25 search", lambda: run.search("bm25")),
        ("hybrid search", lambda: run.search("hybrid")),
        ("OpenVINO embedding runtime", run.openvino),
    ]
    return steps + list(extra_checks)


def _run_step(name: str, check: Callable[[], object], out: TextIO) -> bool:
    start = time.perf_counter()
    try:
        info = check()
    except Exception as exc:  # every failure is reported, then the run stops
        elapsed = time.perf_counter() - start
        print(f"[FAILED] {name} ({elapsed:.1f} s): {type(exc).__name__}: {exc}", file=out)
        if not isinstance(exc, StepFailed):
            traceback.print_exc(file=out)
        return False
    elapsed = time.perf_counter() - start
    suffix = f" - {info}" if info else ""
    print(f"[ok]     {name} ({elapsed:.1f} s){suffix}", file=out, flush=True)
    return True


def _print_patches(out: TextIO) -> None:
    """How each patch of a dependency's internals stands after the run: off only costs speed, so it fails nothing."""
    from engine import patches

    print("Patches of dependencies' internals:", file=out)
    for name, info in patches.states().items():
        print(f"  {name:<20} {'on ' if info['active'] else 'off'}  {info['why']}", file=out, flush=True)


def run_self_test(extra_checks: Sequence[Check] = (), *, out: TextIO | None = None) -> int:
    """Run every step in order; 0 if all pass, else 1 after printing which step failed.

    `extra_checks` are (name, callable) pairs run last, e.g. the desktop's Qt check (the engine stays Qt-free).
    """
    # A windowed executable (Windows/macOS) has no stdout; the exit code still tells the result there.
    out = out or sys.stdout or sys.stderr or io.StringIO()
    # Never reach for the network: the model is a local folder and nothing else should be fetched.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    kind = "frozen" if is_frozen() else "source"
    print(f"Tansaku self-test ({kind}, Python {sys.version.split()[0]}, {sys.platform})", file=out, flush=True)
    total = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="tansaku-selftest-"))
    run = _Run(tmp)
    failed: str | None = None
    try:
        for name, check in _steps(run, extra_checks):
            if not _run_step(name, check, out):
                failed = name
                break
    finally:
        try:
            run.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _print_patches(out)
    elapsed = time.perf_counter() - total
    if failed:
        print(f"Self-test FAILED at step: {failed} ({elapsed:.1f} s)", file=out, flush=True)
        return 1
    print(f"Self-test passed ({elapsed:.1f} s)", file=out, flush=True)
    return 0


__all__ = ["Check", "run_self_test"]

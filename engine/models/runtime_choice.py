"""Which runtime runs the embedder on a CPU (torch or OpenVINO), and the text that calibrates static int8."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.errors import ConfigError

CPU_RUNTIMES = ("auto", "torch", "openvino")
# What "auto" runs: torch. OpenVINO static int8 must first meet the bar set in issue 18 (>= 1.4x the automatic torch
# path and cosine >= 0.995 on the 0.6B-shaped model, MiniLM nDCG@10 within 0.01 of fp32), measured in one run.
# On a 2-core AVX2 host (no VNNI/bf16, so "auto" is torch fp32; tests/perf/bench_cpu_runtime.py) quality held
# (min cosine 0.9964; all-MiniLM-L6-v2 dense nDCG@10 0.906 vs 0.902 on the whole Milvus dev corpus, 0.761 vs 0.762
# on 1,500 SciFact abstracts) but speed did not: 1.04x on a quiet machine (an earlier 2.14x was measured on a busy
# one). CPUs with VNNI are where it may pass (1.55x in the figures); unmeasured here.
AUTO_CPU_RUNTIME = "torch"
MIN_STORED_CHUNKS = 8  # fewer stored chunks than this: calibrate on the bundled samples instead

CalibrationSource = Callable[[int], Sequence[str]]


@dataclass(frozen=True)
class RuntimeStatus:
    """What the embedder runs on, for the status line: runtime 'openvino' or 'torch', and why when it fell back."""

    runtime: str
    precision: str
    note: str = ""
    converted: bool = False  # this load converted (else a cached conversion was reused)
    calibration_texts: int = 0  # passages used to calibrate static int8 (0: none, or a reused conversion)


def choose_cpu_runtime(requested: str) -> str:
    """'torch' or 'openvino' for a requested 'auto' | 'torch' | 'openvino'."""
    wanted = (requested or "auto").strip().lower()
    if wanted not in CPU_RUNTIMES:
        raise ConfigError(f"Unknown CPU runtime {requested!r}; choose one of {', '.join(CPU_RUNTIMES)}.")
    return AUTO_CPU_RUNTIME if wanted == "auto" else wanted


def calibration_sample(stored: Sequence[str], n: int) -> list[str]:
    """Up to n passages spread evenly over the user's stored chunks; the bundled samples when there are too few."""
    texts = [t for t in stored if t and t.strip()]
    if len(texts) < MIN_STORED_CHUNKS:
        return bundled_calibration(n)
    step = max(1, len(texts) // n)
    return texts[::step][:n]


def bundled_calibration(n: int) -> list[str]:
    """Paragraphs of the bundled sample documents (resources/samples; ~45 paragraphs, ~800 tokens in all) and each
    whole document, so that long passages are seen too; at most n."""
    from engine.resources_path import resource_path

    paragraphs: list[str] = []
    documents: list[str] = []
    for path in sorted(resource_path("samples").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        documents.append(text)
        paragraphs += [p.strip() for p in text.split("\n\n") if len(p.strip()) > 40]
    texts = documents + paragraphs
    return texts[:n]

"""Where models run and in which precision: device choice, dtype, and the CPU fast path."""

from __future__ import annotations

import warnings
from typing import Any

from engine.errors import ConfigError, ModelLoadError

FAST_PATHS = ("auto", "int8", "fp32")
_DTYPE_LABELS = {"torch.float16": "fp16", "torch.bfloat16": "bf16", "torch.float32": "fp32"}


def resolve_device(requested: str) -> str:
    """'auto' picks cuda, then mps, then cpu; an explicit device that is not usable is a ModelLoadError."""
    import torch

    wanted = (requested or "auto").strip().lower()
    if wanted == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if _mps_available(torch):
            return "mps"
        return "cpu"
    if wanted == "cpu":
        return "cpu"
    if wanted == "mps":
        if not _mps_available(torch):
            raise ModelLoadError(
                "Device 'mps' was requested but Apple Metal (MPS) is not available here; use 'auto' or 'cpu'."
            )
        return "mps"
    if wanted == "cuda" or wanted.startswith("cuda:"):
        return _check_cuda(torch, wanted)
    raise ModelLoadError(f"Unknown device {requested!r}; choose auto, cpu, cuda, cuda:N or mps.")


def _mps_available(torch: Any) -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _check_cuda(torch: Any, wanted: str) -> str:
    if not torch.cuda.is_available():
        raise ModelLoadError(
            f"Device {wanted!r} was requested but no CUDA GPU is available "
            f"(PyTorch {torch.__version__}, CUDA build: {torch.version.cuda or 'none'}); use 'auto' or 'cpu'."
        )
    if ":" in wanted:
        index_text = wanted.split(":", 1)[1]
        if not index_text.isdigit() or int(index_text) >= torch.cuda.device_count():
            raise ModelLoadError(
                f"Device {wanted!r} does not exist; this machine has {torch.cuda.device_count()} CUDA device(s)."
            )
    return wanted


def torch_dtype_for(device: str) -> Any:
    """Half precision on GPUs (bf16 where supported); fp32 on CPU, where fp16/bf16 are far slower."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def choose_fast_path(requested: str, device: str) -> str:
    """The precision path actually used: 'int8' (dynamic int8 Linear layers, CPU only), 'fp32', 'fp16' or 'bf16'.

    The CPU default lives in the one line marked below so a benchmark can change it in one place.
    """
    wanted = (requested or "auto").strip().lower()
    if wanted not in FAST_PATHS:
        raise ConfigError(f"Unknown CPU fast path {requested!r}; choose one of {', '.join(FAST_PATHS)}.")
    if device != "cpu":
        return _DTYPE_LABELS.get(str(torch_dtype_for(device)), "fp32")
    if wanted == "auto":
        return "fp32"  # CPU default: dynamic int8 lost 3.8 nDCG points (MiniLM, milvus dev) and rerank Spearman 0.976.
    return wanted


def fast_path_label(fast_path: str) -> str:
    """A short label for status lines and logs."""
    return "int8-dynamic" if fast_path == "int8" else fast_path


def apply_cpu_fast_path(module: Any, fast_path: str) -> Any:
    """Quantise nn.Linear weights to int8 in place when the int8 path is chosen; other paths leave the module as is."""
    if fast_path != "int8":
        return module
    import torch

    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao, which is not a dependency; it still works.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)

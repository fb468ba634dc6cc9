"""Where models run and in which precision: device choice, dtype, and the CPU fast path."""

from __future__ import annotations

import warnings
from typing import Any

from engine.errors import ConfigError, ModelLoadError

FAST_PATHS = ("auto", "bf16", "int8", "fp32")
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


def torch_dtype_for(device: str, fast_path: str | None = None) -> Any:
    """Half precision on GPUs (bf16 where supported); on CPU bf16 for the bf16 path, else fp32."""
    import torch

    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.bfloat16 if fast_path == "bf16" else torch.float32


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AVX512-BF16 or AMX); elsewhere bf16 is emulated and slow."""
    import torch

    cpu = getattr(torch, "cpu", None)
    checks = [getattr(cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    try:
        return any(bool(check()) for check in checks if callable(check))
    except Exception:  # a private torch API: if it changes, stay on the safe fp32 path
        return False


def choose_fast_path(requested: str, device: str) -> str:
    """The precision path actually used: 'bf16' or 'int8' (CPU fast paths), 'fp32', or on GPUs 'fp16'/'bf16'.

    CPU 'auto' is bf16 where the CPU has bf16 hardware: Qwen3 ships bf16 weights, the 0.6B-shaped model ran 1.96x
    faster than fp32 with cosine 0.9999 to it. Elsewhere fp32. Dynamic int8 stays a setting only: it lost 3.5 nDCG
    points on MiniLM (1.9 with per-channel weights, 1.3 leaving the FFN output layers in fp32), over the 1-point budget.
    """
    wanted = (requested or "auto").strip().lower()
    if wanted not in FAST_PATHS:
        raise ConfigError(f"Unknown CPU fast path {requested!r}; choose one of {', '.join(FAST_PATHS)}.")
    if device != "cpu":
        return _DTYPE_LABELS.get(str(torch_dtype_for(device)), "fp32")
    if wanted == "auto":
        return "bf16" if cpu_has_fast_bf16() else "fp32"
    return wanted


def effective_batch_size(device: str | None, fast_path: str | None, batch_size: int) -> int:
    """Sequences per forward pass: one on a CPU, `batch_size` on a GPU.

    On a CPU the 0.6B model is compute-bound at batch 1, and batching only adds padding work and attention memory
    traffic: bench_indexing measured bf16 at 176 tokens/s with batches of 16 and 269 tokens/s one by one. On the int8
    path batching is also wrong, not just slow: dynamic int8 quantises each Linear's input with one scale per call,
    so in a padded batch a passage's vector depended on its batch-mates (and on the padding).
    """
    if fast_path == "int8" or (device or "cpu") == "cpu":
        return 1
    return batch_size


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

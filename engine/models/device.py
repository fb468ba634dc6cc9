"""Where models run and in which precision: device choice, dtype, and the CPU fast path."""

from __future__ import annotations

from typing import Any

from engine import patches
from engine.errors import ConfigError, ModelLoadError

FAST_PATHS = ("auto", "bf16", "int8", "fp32")
INT8_MIN_WIDTH = 1024  # hidden size from which automatic precision picks int8 (see choose_fast_path)
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
    if fast_path == "bf16" or (fast_path == "int8" and cpu_has_fast_bf16()):
        return torch.bfloat16  # on the int8 path only norms and attention stay in floating point
    return torch.float32


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 in hardware (AVX512-BF16 or AMX); elsewhere bf16 is emulated and slow.

    Asks torch.cpu's private feature checks (patch "cpu_bf16_detection"); if one is missing or raises, no (the safe
    float path), with one warning.
    """
    found = _cpu_reports(patches.CPU_BF16_DETECTION, "_is_avx512_bf16_supported", "_is_amx_tile_supported")
    if found is None:
        return False
    patches.activate(
        patches.CPU_BF16_DETECTION, f"torch.cpu reports bf16 hardware (AVX512-BF16 or AMX): {'yes' if found else 'no'}"
    )
    return found


def _cpu_reports(patch: str, *checks: str) -> bool | None:
    """Whether any of torch.cpu's private feature checks says yes; None (recorded as the patch's failure, with one
    warning) when one of them is missing or raises, and from then on for that patch."""
    if patches.failed(patch):
        return None
    import torch

    cpu = getattr(torch, "cpu", None)
    answers = []
    for name in checks:
        check = getattr(cpu, name, None)
        if not callable(check):
            patches.fail(patch, f"missing torch.cpu.{name}")
            return None
        try:
            answers.append(bool(check()))
        except Exception as exc:
            patches.fail(patch, f"torch.cpu.{name}() raised {type(exc).__name__}: {exc}")
            return None
    return any(answers)


def choose_fast_path(requested: str, device: str, *, int8_on_auto: bool = True, width: int | None = None) -> str:
    """The precision path actually used: 'int8', 'bf16' or 'fp32' on a CPU; on GPUs 'fp16'/'bf16'.

    CPU 'auto' is int8 (engine/int8_linear.py, per-token scales) where the CPU has int8 dot-product instructions
    (VNNI) and the caller allows it: for the embedder, the 0.6B-shaped model's vectors stay within cosine 0.998 of
    fp32 and all-MiniLM-L6-v2 kept its nDCG@10 on the Milvus questions (dense 0.902 vs 0.887 fp32, hybrid 0.923 vs
    0.909); on SciFact it lost 2.5 points dense but 0.8 hybrid, the mode the app searches with. The reranker passes
    int8_on_auto=False: its int8 scores ranked 10 candidates with Spearman 0.988 to fp32, under the 0.99 bar, where
    bf16 keeps 1.000. Next: bf16 where the CPU has bf16 hardware (cosine 0.9999 to fp32), else fp32.
    `width` (the model's hidden size, when known) below INT8_MIN_WIDTH also rules int8 out on auto: at 384
    (all-MiniLM-L6-v2) quantising each token costs as much as the int8 products save, and MiniLM indexed no faster
    than in fp32 (and slower than bf16); at 1024 (Qwen3-0.6B) the int8 pass is ~1.5x bf16.
    Untested here: int8 speed on CPUs without VNNI (they stay on bf16/fp32).
    """
    wanted = (requested or "auto").strip().lower()
    if wanted not in FAST_PATHS:
        raise ConfigError(f"Unknown CPU fast path {requested!r}; choose one of {', '.join(FAST_PATHS)}.")
    if device != "cpu":
        return _DTYPE_LABELS.get(str(torch_dtype_for(device)), "fp32")
    if wanted == "auto":
        if int8_on_auto and (width is None or width >= INT8_MIN_WIDTH) and cpu_has_int8_dot():
            return "int8"
        return "bf16" if cpu_has_fast_bf16() else "fp32"
    return wanted


def cpu_has_int8_dot() -> bool:
    """Whether this CPU has int8 dot products in hardware (AVX512-VNNI, AVX-VNNI or AMX) and torch can use them.

    Both halves are torch internals (patch "cpu_int8"): its private feature checks and its private `torch._int_mm`.
    """
    from engine.models.int8_linear import int8_matmul_problem

    found = _cpu_reports(patches.CPU_INT8, "_is_vnni_supported", "_is_amx_tile_supported")
    if not found:
        if found is False:
            patches.unused(patches.CPU_INT8, "not used: this CPU has no int8 dot-product instructions (VNNI, AMX)")
        return False
    problem = int8_matmul_problem()
    if problem is not None:
        patches.fail(patches.CPU_INT8, problem)
        return False
    return True


def effective_batch_size(device: str | None, fast_path: str | None, batch_size: int) -> int:
    """Sequences per forward pass: one on a CPU, `batch_size` on a GPU.

    On a CPU the 0.6B model is compute-bound at batch 1, and batching only adds padding work and attention memory
    traffic: bench_indexing measured bf16 at 176 tokens/s with batches of 16 and 269 tokens/s one by one.
    """
    if (device or "cpu") == "cpu":
        return 1
    return batch_size


def apply_cpu_fast_path(module: Any, fast_path: str) -> str:
    """Tune a model loaded for the CPU, in place, and return the path it now runs: int8 Linear layers on the int8
    path (engine/int8_linear.py), and grouped-query attention (engine/cpu_attention.py) wherever activations are
    bf16 (fp32 matmuls gain nothing).

    Never raises: both are patches of torch's or transformers' internals, and one that cannot be applied leaves that
    part of the model stock (recorded in engine.patches, one warning). Without int8 the model keeps the float dtype
    it was loaded in, so the path returned is then 'bf16' or 'fp32'.
    """
    effective = fast_path
    if fast_path == "int8":
        effective = _apply_int8(module)
    elif patches.state(patches.CPU_INT8) is None:  # else keep what choosing said (e.g. "no VNNI on this CPU")
        patches.unused(patches.CPU_INT8, f"not used: the {fast_path} path was chosen")
    _apply_grouped_attention(module)
    return effective


def note_not_on_cpu(device: str) -> None:
    """Record that the CPU patches are not used by a model that runs on `device` (a GPU)."""
    for name in (patches.CPU_BF16_DETECTION, patches.CPU_INT8, patches.CPU_ATTENTION):
        patches.unused(name, f"not used: model runs on {device}")


def _float_label(module: Any) -> str:
    import torch

    try:
        dtype = next(iter(module.parameters())).dtype
    except Exception:
        return "fp32"
    return "bf16" if dtype == torch.bfloat16 else "fp32"


def _apply_int8(module: Any) -> str:
    if patches.failed(patches.CPU_INT8):
        return _float_label(module)
    try:
        from engine.models.int8_linear import int8_matmul_problem, quantize_linears

        problem = int8_matmul_problem()
        if problem is None:
            quantize_linears(module)  # replaces all Linear layers or none
    except Exception as exc:
        problem = f"failed at install: {type(exc).__name__}: {exc}"
    if problem is not None:
        patches.fail(patches.CPU_INT8, problem)
        return _float_label(module)
    patches.activate(patches.CPU_INT8, "int8 Linear layers through torch._int_mm")
    return "int8"


def _apply_grouped_attention(module: Any) -> None:
    try:
        import torch
        from transformers import PreTrainedModel

        from engine.models.cpu_attention import use_grouped_attention

        models = [m for m in module.modules() if isinstance(m, PreTrainedModel) and m.dtype == torch.bfloat16]
    except Exception as exc:
        patches.fail(patches.CPU_ATTENTION, f"failed at install: {type(exc).__name__}: {exc}")
        return
    if not models:
        patches.unused(patches.CPU_ATTENTION, "not used: the model runs in fp32 (the grouped attention is for bf16)")
    for model in models:
        use_grouped_attention(model)

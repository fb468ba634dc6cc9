"""The CPU int8 path: Linear layers as int8 x int8 matrix products with a scale per token and per output channel.

Why not torch's dynamic quantisation (`quantize_dynamic`): it scales each call's whole input with one number, so a
few outlier activations squeeze every other token into a handful of levels. all-MiniLM-L6-v2 lost 3.5 nDCG@10
points on the Milvus questions that way (1.9 with per-channel weights). Scaling each token (row) on its own keeps
that loss within the 1-point budget, and because no token's scale depends on another token, a passage's vector never
depends on its batch-mates or on padding. The product runs in `torch._int_mm`, which uses the CPU's int8
dot-product instructions (VNNI): on the 0.6B-shaped Qwen3 model that is ~1.5x the speed of bf16 and ~2.7x fp32.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from engine import patches

_LEVELS = 127.0  # symmetric int8: -127..127, so negating a value never overflows


_calls_ok = True  # False once torch._int_mm raised in a forward pass: every Int8Linear then runs in float


def int8_matmul_problem() -> str | None:
    """Why this torch build cannot multiply int8 matrices on the CPU, or None when it can (`torch._int_mm` is a
    private op: probe it rather than trust it)."""
    int_mm = getattr(torch, "_int_mm", None)
    if int_mm is None:
        return "missing torch._int_mm"
    try:
        a = torch.ones((2, 8), dtype=torch.int8)
        b = torch.ones((8, 8), dtype=torch.int8)
        value = int_mm(a, b)[0, 0].item()
    except Exception as exc:
        return f"torch._int_mm failed: {type(exc).__name__}: {exc}"
    return None if value == 8 else f"torch._int_mm gave {value} for 8"


def int8_matmul_available() -> bool:
    """Whether this torch build multiplies int8 matrices on the CPU."""
    return int8_matmul_problem() is None


def _turn_off(exc: Exception) -> None:
    global _calls_ok
    _calls_ok = False
    patches.fail(patches.CPU_INT8, f"failed at call: {type(exc).__name__}: {exc}")


def quantise_rows(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """int8 rows and their fp32 scales (one per row), symmetric."""
    rows = rows.float()
    scale = rows.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / _LEVELS
    return torch.round(rows / scale).to(torch.int8), scale


class Int8Linear(nn.Module):
    """A frozen nn.Linear: int8 weights with one scale per output channel, inputs quantised per token at call time."""

    weight_t: torch.Tensor
    weight_scale: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp(min=1e-12) / _LEVELS
        quantised = torch.round(weight / scale[:, None]).clamp(-_LEVELS, _LEVELS).to(torch.int8)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight_t", quantised.t().contiguous())  # (in, out), the layout _int_mm reads
        self.register_buffer("weight_scale", scale)
        bias = linear.bias
        self.register_buffer("bias", None if bias is None else bias.detach().float().clone())
        self._float_weight_t: torch.Tensor | None = None  # built only if the int8 product ever fails

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The int8 product; should it raise (torch._int_mm is private), this call and all later ones run
        `_float_forward` instead, and the "cpu_int8" patch is recorded as off."""
        if _calls_ok:
            try:
                return self._int8_forward(x)
            except Exception as exc:
                _turn_off(exc)
        return self._float_forward(x)

    def _float_forward(self, x: torch.Tensor) -> torch.Tensor:
        """A float Linear with the dequantised weights, kept in the activations' dtype after the first call."""
        weight = self._float_weight_t
        if weight is None or weight.dtype != x.dtype:
            weight = self._float_weight_t = (self.weight_t.float() * self.weight_scale).to(x.dtype)
        out = x.reshape(-1, self.in_features) @ weight
        if self.bias is not None:
            out = out + self.bias.to(x.dtype)
        return out.reshape(*x.shape[:-1], self.out_features)

    def _int8_forward(self, x: torch.Tensor) -> torch.Tensor:
        quantised, scale = quantise_rows(x.reshape(-1, self.in_features))
        out = torch._int_mm(quantised, self.weight_t).float().mul_(scale).mul_(self.weight_scale)
        if self.bias is not None:
            out.add_(self.bias)
        return out.to(x.dtype).reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def quantize_linears(module: Any) -> int:
    """Replace every nn.Linear under `module` with an Int8Linear, in place; returns how many were replaced.

    The tensors that stay float (embeddings, norms) are first copied into memory of their own: transformers maps the
    checkpoint file and hands out views of that mapping, and while one view lived, the whole file (read through once
    for quantising) stayed resident. With the copy the mapping goes once the last float weight is replaced:
    0.6B-shaped model, resident after loading 1341 MiB instead of 1897; the load peak rises from 1911 to 2487 MiB,
    about half of it clean file pages the OS can drop (tests/perf/bench_app_memory).
    """
    with torch.no_grad():
        for owner in module.modules():
            if type(owner) is nn.Linear:
                continue
            for tensor in [*owner.parameters(recurse=False), *owner.buffers(recurse=False)]:
                if tensor.is_floating_point():
                    tensor.data = tensor.data.clone()
    # All replacements are built before the first is swapped in: should one fail, the model stays all float.
    replacements = [
        (parent, name, Int8Linear(child))
        for parent in list(module.modules())
        for name, child in list(parent.named_children())
        if type(child) is nn.Linear
    ]
    for parent, name, replacement in replacements:
        setattr(parent, name, replacement)
    return len(replacements)

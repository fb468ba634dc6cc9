"""Attention for grouped-query models (Qwen3) on a CPU: each key/value head meets all its query heads in one GEMM.

Why: torch's CPU flash-attention kernel (what transformers' "sdpa" runs) took 13 ms per layer for Qwen3-0.6B's
shape at 512 tokens in bf16 on a 2-core Zen 4, under 80 GFLOPS on a CPU that multiplies bf16 matrices at ~400.
Stacking the query heads that share a key/value head gives two large batched GEMMs per block of key/value heads
(scaled scores plus the causal mask in one `baddbmm`, then the weighted sum); softmax accumulates in fp32. That is
7 ms per layer, and with the Linear layers in int8 (where attention had become 30% of a pass) whole passes got
1.04-1.16x faster at 160-576 tokens (A/B interleaved, same process). Scores stay in bf16 as in transformers' eager
attention for bf16 models; the fp32 version of this is slower than sdpa, so it is used for bf16 activations only.

Registered with transformers under IMPLEMENTATION together with transformers' own sdpa mask builder, so padding
masks and KV caches reach it exactly as they reach "sdpa". Those registries are transformers internals, so this is a
patch that fails soft ("cpu_attention" in engine.patches): if registering fails the model keeps its attention, and if
the grouped function raises in a pass, transformers' sdpa function answers that call and every later one.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch

from engine import patches

IMPLEMENTATION = "tansaku_grouped_cpu"


def grouped_query_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """query (B, H, L, D), key/value (B, KV, S, D) -> (B, L, H, D), as transformers' attention functions return.

    `attention_mask` is transformers' sdpa mask: None (causal, nothing padded), or (B, 1, L|1, S) booleans where
    True means "may attend" (or additive floats). Inference only: dropout is ignored.
    """
    batch, heads, length, dim = query.shape
    kv_heads, kv_length = key.shape[1], key.shape[2]
    group = heads // kv_heads
    scale = scaling if scaling is not None else dim**-0.5
    causal = is_causal if is_causal is not None else getattr(module, "is_causal", True)
    # Query heads h*group .. h*group+group-1 share key/value head h: stack them as rows of one matrix.
    stacked = query.reshape(batch, kv_heads, group * length, dim)
    out = torch.empty(batch, kv_heads, group * length, dim, dtype=value.dtype, device=value.device)
    step = max(1, SCORES_BUDGET // (group * length * kv_length * query.element_size()))
    for b in range(batch):
        bias = _bias(attention_mask, b, length, kv_length, causal, query).repeat(group, 1)  # (group*L, S)
        for h in range(0, kv_heads, step):
            keys, values = key[b, h : h + step], value[b, h : h + step]
            # scale * q @ k^T + mask in one GEMM; softmax accumulates in fp32 even for bf16 scores.
            probs = torch.softmax(
                torch.baddbmm(bias, stacked[b, h : h + step], keys.transpose(-1, -2), alpha=scale), -1
            )
            if attention_mask is not None:
                probs.nan_to_num_(0.0)  # a fully masked (padding) row: zeros, not NaN
            torch.matmul(probs, values, out=out[b, h : h + step])
    return out.view(batch, heads, length, dim).transpose(1, 2).contiguous(), None


# Scores per step: ~4 MB keeps them in cache (all 8 of Qwen3-0.6B's kv heads at 512 tokens in fp32, 17 MB, ran 2x
# slower than this).
SCORES_BUDGET = 4 << 20


def _bias(
    attention_mask: torch.Tensor | None, b: int, length: int, kv_length: int, causal: bool, like: torch.Tensor
) -> torch.Tensor:
    """Additive (L, S) mask for batch item b in the queries' dtype: 0 where a query may look, -inf elsewhere."""
    bias = torch.zeros(length, kv_length, dtype=like.dtype, device=like.device)
    if attention_mask is not None:
        mask = attention_mask[b, 0, -length:, -kv_length:].expand(length, kv_length)
        if mask.dtype == torch.bool:
            return bias.masked_fill_(~mask, float("-inf"))
        return bias.add_(mask.to(like.dtype))
    if causal and length > 1:  # the queries are the last `length` positions of the keys
        future = torch.ones(length, kv_length, dtype=torch.bool, device=like.device).triu(kv_length - length + 1)
        bias.masked_fill_(future, float("-inf"))
    return bias


_registered = False
_calls_ok = True  # False once grouped_query_attention raised: the registered function then runs transformers' sdpa
_stock_attention: Any = None  # transformers' sdpa attention function, looked up when registering


def attention(module: torch.nn.Module, *args: Any, **kwargs: Any) -> Any:
    """What is registered under IMPLEMENTATION: `grouped_query_attention`, or transformers' own sdpa attention (the
    stock path, whose masks IMPLEMENTATION shares) once it raised; then the "cpu_attention" patch is off for good."""
    global _calls_ok
    if _calls_ok:
        try:
            return grouped_query_attention(module, *args, **kwargs)
        except Exception as exc:
            _calls_ok = False
            patches.fail(patches.CPU_ATTENTION, f"failed at call: {type(exc).__name__}: {exc}")
    return _stock_attention(module, *args, **kwargs)


def _register() -> str | None:
    """Register with transformers' attention and mask registries (its internals); why not, or None once done."""
    global _registered, _stock_attention
    if _registered:
        return None
    try:
        from transformers import masking_utils, modeling_utils
    except ImportError as exc:
        return f"transformers' modeling_utils/masking_utils do not import: {exc}"
    needed = (
        (modeling_utils, "AttentionInterface"),
        (modeling_utils, "ALL_ATTENTION_FUNCTIONS"),
        (masking_utils, "AttentionMaskInterface"),
        (masking_utils, "sdpa_mask"),
    )
    for module, name in needed:
        if not hasattr(module, name):
            return f"missing {module.__name__}.{name}"
    try:
        stock = modeling_utils.ALL_ATTENTION_FUNCTIONS["sdpa"]
        modeling_utils.AttentionInterface.register(IMPLEMENTATION, attention)
        masking_utils.AttentionMaskInterface.register(IMPLEMENTATION, masking_utils.sdpa_mask)
    except Exception as exc:
        return f"failed at install: {type(exc).__name__}: {exc}"
    _stock_attention, _registered = stock, True
    return None


def use_grouped_attention(model: Any) -> bool:
    """Switch a loaded grouped-query model to this attention; other models (e.g. BERT) are left alone.

    Returns whether it switched. Meant for CPU inference only: on GPUs the fused sdpa kernels are faster. Never
    raises: if transformers' registries or `set_attn_implementation` are not as expected, the model keeps the
    attention it was loaded with, and the "cpu_attention" patch is recorded as off (one warning).
    """
    config = getattr(model, "config", None)
    heads = getattr(config, "num_attention_heads", None)
    kv_heads = getattr(config, "num_key_value_heads", None)
    if not (isinstance(heads, int) and isinstance(kv_heads, int) and 0 < kv_heads < heads and heads % kv_heads == 0):
        patches.unused(patches.CPU_ATTENTION, "not used: the model has no grouped-query heads")
        return False
    if patches.failed(patches.CPU_ATTENTION):
        return False
    problem = _register()
    if problem is None:
        previous = getattr(config, "_attn_implementation", None)
        try:
            model.set_attn_implementation(IMPLEMENTATION)
        except Exception as exc:
            problem = f"failed at install: {type(exc).__name__}: {exc}"
            if previous:
                with contextlib.suppress(Exception):
                    model.set_attn_implementation(previous)
    if problem is not None:
        patches.fail(patches.CPU_ATTENTION, problem)
        return False
    patches.activate(patches.CPU_ATTENTION, "grouped-query attention for bf16 activations on the CPU")
    return True

"""The CPU int8 path's Linear layer: close to float, one scale per token, weights stored as int8."""

from __future__ import annotations

import torch
from torch import nn

from engine.models.int8_linear import Int8Linear, int8_matmul_available, quantize_linears


def _linear(bias: bool = True) -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(64, 48, bias=bias)


def _relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got - want).detach().norm() / want.norm())


def test_int8_matmul_is_available_on_this_torch() -> None:
    assert int8_matmul_available()


def test_output_follows_the_float_layer_with_and_without_bias() -> None:
    for bias in (True, False):
        linear = _linear(bias)
        x = torch.randn(3, 7, 64)
        got = Int8Linear(linear)(x)
        assert got.shape == (3, 7, 48) and got.dtype == x.dtype
        assert _relative_error(got, linear(x).detach()) < 0.02


def test_one_loud_token_does_not_blur_the_others() -> None:
    """A per-call scale would give the quiet rows only a few int8 levels; per-token scales keep them exact-ish."""
    linear = _linear()
    quiet = torch.randn(5, 64)
    loud = torch.randn(1, 64) * 1000
    together = Int8Linear(linear)(torch.cat([quiet, loud]))[:5]
    assert _relative_error(together, linear(quiet).detach()) < 0.02
    torch.testing.assert_close(together, Int8Linear(linear)(quiet))  # each row is scaled on its own


def test_bf16_inputs_come_back_as_bf16() -> None:
    linear = _linear()
    x = torch.randn(4, 64)
    got = Int8Linear(linear)(x.to(torch.bfloat16))
    assert got.dtype == torch.bfloat16
    assert _relative_error(got.float(), linear(x).detach()) < 0.03


def test_quantize_linears_replaces_every_linear_and_keeps_int8_weights() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Sequential(nn.Linear(32, 8), nn.LayerNorm(8)))
    x = torch.randn(2, 16)
    want = model(x).detach()
    assert quantize_linears(model) == 2
    assert not any(type(m) is nn.Linear for m in model.modules())
    assert all(m.weight_t.dtype == torch.int8 for m in model.modules() if isinstance(m, Int8Linear))
    assert _relative_error(model(x), want) < 0.05

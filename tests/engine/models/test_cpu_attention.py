"""The CPU grouped-query attention gives what transformers' sdpa gives: alone, padded in a batch, and after a cache."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModel, AutoModelForCausalLM, DynamicCache

from engine.models.cpu_attention import IMPLEMENTATION, use_grouped_attention
from engine.models.reranker import cache_argument


def _pair(folder, cls=AutoModel, dtype=torch.float32):
    reference = cls.from_pretrained(str(folder), dtype=dtype, attn_implementation="sdpa").eval()
    grouped = cls.from_pretrained(str(folder), dtype=dtype, attn_implementation="sdpa").eval()
    assert use_grouped_attention(grouped)
    assert grouped.config._attn_implementation == IMPLEMENTATION
    return reference, grouped


def _ids(length: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(10, 200, (1, length), generator=torch.Generator().manual_seed(seed))


@torch.inference_mode()
def test_one_sequence_matches_sdpa(tiny_models) -> None:
    reference, grouped = _pair(tiny_models.embed_dir)
    ids = _ids(37)
    want = reference(input_ids=ids).last_hidden_state
    torch.testing.assert_close(grouped(input_ids=ids).last_hidden_state, want, atol=1e-5, rtol=1e-4)


@torch.inference_mode()
@pytest.mark.parametrize("side", ["left", "right"])
def test_padded_batch_matches_each_sequence_alone(tiny_models, side: str) -> None:
    reference, grouped = _pair(tiny_models.embed_dir)
    short, long = _ids(9, seed=1)[0], _ids(23, seed=2)[0]
    pad = torch.zeros(len(long) - len(short), dtype=torch.long)
    padded = torch.cat([pad, short]) if side == "left" else torch.cat([short, pad])
    real = torch.cat([torch.zeros_like(pad), torch.ones_like(short)]) if side == "left" else None
    if real is None:
        real = torch.cat([torch.ones_like(short), torch.zeros_like(pad)])
    batch = grouped(input_ids=torch.stack([padded, long]), attention_mask=torch.stack([real, torch.ones_like(long)]))
    hidden = batch.last_hidden_state
    assert not torch.isnan(hidden).any()
    short_alone = reference(input_ids=short[None]).last_hidden_state[0]
    long_alone = reference(input_ids=long[None]).last_hidden_state[0]
    torch.testing.assert_close(hidden[0][real.bool()], short_alone, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(hidden[1], long_alone, atol=1e-5, rtol=1e-4)


@torch.inference_mode()
def test_continuing_from_a_cache_matches_one_pass(tiny_models) -> None:
    """The reranker scores each candidate after a cached prompt head: the tail must see the head, causally."""
    reference, grouped = _pair(tiny_models.rerank_dir, AutoModelForCausalLM)
    ids = _ids(30, seed=3)
    head, tail = ids[:, :18], ids[:, 18:]
    cache = {cache_argument(grouped): DynamicCache(config=grouped.config)}
    grouped(input_ids=head, use_cache=True, **cache)
    continued = grouped(input_ids=tail, use_cache=True, **cache).logits
    torch.testing.assert_close(continued, reference(input_ids=ids).logits[:, 18:], atol=1e-4, rtol=1e-4)


@torch.inference_mode()
def test_bf16_stays_close_to_sdpa(tiny_models) -> None:
    reference, grouped = _pair(tiny_models.embed_dir, dtype=torch.bfloat16)
    ids = _ids(64, seed=4)
    got = grouped(input_ids=ids).last_hidden_state[0, -1].float()
    want = reference(input_ids=ids).last_hidden_state[0, -1].float()
    assert torch.nn.functional.cosine_similarity(got, want, dim=0) > 0.999


def test_models_without_grouped_heads_are_left_alone() -> None:
    from transformers import BertConfig, BertModel

    bert = BertModel(BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=4, intermediate_size=64))
    assert not use_grouped_attention(bert)
    assert bert.config._attn_implementation != IMPLEMENTATION

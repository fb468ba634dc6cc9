"""The models' patches of torch and transformers internals fail soft: a renamed private name or a fast path that
raises leaves the stock code running, the model still loads and embeds, and engine.patches says why (one warning)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import patches
from engine.models import cpu_attention, int8_linear
from engine.models.device import choose_fast_path, cpu_has_fast_bf16, cpu_has_int8_dot
from engine.models.embedder import Embedder

MODEL_PATCHES = (patches.CPU_BF16_DETECTION, patches.CPU_INT8, patches.CPU_ATTENTION)
TEXTS = ["Where does Milvus store data?", "Milvus stores inserted data in object storage as incremental logs."]


@pytest.fixture(autouse=True)
def fresh_patches(monkeypatch: pytest.MonkeyPatch):
    """Each test starts with nothing recorded and every patch able to run; nothing it breaks outlives it."""
    for name in MODEL_PATCHES:
        patches.forget(name)
    monkeypatch.setattr(cpu_attention, "_registered", False)
    monkeypatch.setattr(cpu_attention, "_calls_ok", True)
    monkeypatch.setattr(int8_linear, "_calls_ok", True)
    yield
    for name in MODEL_PATCHES:
        patches.forget(name)


def _warnings(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "engine.patches" and r.levelno == logging.WARNING and name in r.getMessage()
    ]


def _off(name: str) -> str:
    state = patches.state(name)
    assert state is not None and not state.active, state
    return state.why


def _embedder(tiny_models, tmp_path: Path, fast_path: str) -> Embedder:
    emb = Embedder(str(tiny_models.embed_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path=fast_path)
    emb.load()
    return emb


def _modules(emb: Embedder) -> list[torch.nn.Module]:
    return list(emb._st.modules())


# ---- torch.cpu's private feature checks ----------------------------------------------------------------------------


def test_a_renamed_bf16_check_means_fp32_and_the_embedder_still_embeds(tiny_models, tmp_path, monkeypatch, caplog):
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported")
    with caplog.at_level(logging.WARNING, logger="engine.patches"):
        emb = _embedder(tiny_models, tmp_path, "auto")
        vectors = emb.embed_documents(TEXTS)
        assert cpu_has_fast_bf16() is False  # asked again: no second warning
    assert emb.fast_path == "fp32"
    assert vectors.shape == (2, emb.dimension) and np.isfinite(vectors).all()
    assert _off(patches.CPU_BF16_DETECTION) == "missing torch.cpu._is_avx512_bf16_supported"
    assert len(_warnings(caplog, patches.CPU_BF16_DETECTION)) == 1


def test_a_renamed_vnni_check_keeps_automatic_precision_off_int8(monkeypatch, caplog):
    monkeypatch.delattr(torch.cpu, "_is_vnni_supported")
    with caplog.at_level(logging.WARNING, logger="engine.patches"):
        assert cpu_has_int8_dot() is False
        assert choose_fast_path("auto", "cpu", width=1024) in {"bf16", "fp32"}
    assert _off(patches.CPU_INT8) == "missing torch.cpu._is_vnni_supported"
    assert len(_warnings(caplog, patches.CPU_INT8)) == 1


def test_the_detection_state_is_active_when_torch_answers() -> None:
    found = cpu_has_fast_bf16()
    state = patches.state(patches.CPU_BF16_DETECTION)
    assert state is not None and state.active and state.why.endswith("yes" if found else "no")


# ---- the int8 path (torch._int_mm) -----------------------------------------------------------------------------------


def _raise_in_int8_linear(self, linear):
    raise RuntimeError("cannot quantise")


@pytest.mark.parametrize("breakage", ["torch._int_mm removed", "quantising raises"])
def test_int8_that_cannot_be_applied_leaves_the_model_in_float(tiny_models, tmp_path, monkeypatch, caplog, breakage):
    if breakage == "torch._int_mm removed":
        monkeypatch.delattr(torch, "_int_mm")
        reason = "missing torch._int_mm"
    else:
        monkeypatch.setattr(int8_linear.Int8Linear, "__init__", _raise_in_int8_linear)
        reason = "failed at install: RuntimeError: cannot quantise"
    with caplog.at_level(logging.WARNING, logger="engine.patches"):
        emb = _embedder(tiny_models, tmp_path / "int8", "int8")  # loads: no ModelLoadError, no raw exception
        vectors = emb.embed_documents(TEXTS)
    float_path = "bf16" if cpu_has_fast_bf16() else "fp32"
    assert emb.fast_path == float_path
    assert not any(isinstance(m, int8_linear.Int8Linear) for m in _modules(emb))
    reference = _embedder(tiny_models, tmp_path / "float", float_path).embed_documents(TEXTS)
    np.testing.assert_allclose(vectors, reference, atol=1e-5)
    assert _off(patches.CPU_INT8) == reason
    assert len(_warnings(caplog, patches.CPU_INT8)) == 1


def test_int8_failing_at_call_time_runs_float_for_that_call_and_after(tiny_models, tmp_path, monkeypatch, caplog):
    emb = _embedder(tiny_models, tmp_path, "int8")
    assert emb.fast_path == "int8" and patches.state(patches.CPU_INT8) == patches.PatchState(
        True, "int8 Linear layers through torch._int_mm"
    )
    int8_vectors = emb.embed_documents(TEXTS)
    calls = []

    def broken_int_mm(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("_int_mm is not supported here any more")

    monkeypatch.setattr(torch, "_int_mm", broken_int_mm)
    with caplog.at_level(logging.WARNING, logger="engine.patches"):
        fallback = emb.embed_documents(TEXTS)
        again = emb.embed_documents(TEXTS)
    assert len(calls) == 1  # the first failure turned the int8 product off for every layer
    np.testing.assert_array_equal(fallback, again)
    for got, want in zip(fallback, int8_vectors, strict=True):
        assert float(got @ want) > 0.99  # rows are unit length: the dequantised float product is close to int8
    assert _off(patches.CPU_INT8) == "failed at call: RuntimeError: _int_mm is not supported here any more"
    assert len(_warnings(caplog, patches.CPU_INT8)) == 1


def test_the_reranker_loads_when_int8_cannot_be_applied(tiny_models, tmp_path, monkeypatch) -> None:
    from engine.models.reranker import Reranker

    monkeypatch.setattr(int8_linear.Int8Linear, "__init__", _raise_in_int8_linear)
    rr = Reranker(str(tiny_models.rerank_dir), cache_dir=tmp_path, device="cpu", cpu_fast_path="int8")
    rr.load()
    scores = rr.score("Where does Milvus store data?", TEXTS)
    assert rr.fast_path in {"bf16", "fp32"} and len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)
    assert _off(patches.CPU_INT8).startswith("failed at install")


# ---- transformers' attention registries --------------------------------------------------------------------------


def test_a_missing_mask_registry_keeps_the_stock_attention(tiny_models, tmp_path, monkeypatch, caplog) -> None:
    from transformers import masking_utils

    monkeypatch.delattr(masking_utils, "AttentionMaskInterface")
    with caplog.at_level(logging.WARNING, logger="engine.patches"):
        emb = _embedder(tiny_models, tmp_path, "bf16")  # bf16 activations: where the grouped attention applies
        vectors = emb.embed_documents(TEXTS)
    assert emb.fast_path == "bf16" and np.isfinite(vectors).all()
    config = emb._st[0].auto_model.config
    assert config._attn_implementation != cpu_attention.IMPLEMENTATION
    assert _off(patches.CPU_ATTENTION) == "missing transformers.masking_utils.AttentionMaskInterface"
    assert len(_warnings(caplog, patches.CPU_ATTENTION)) == 1


def test_a_failing_set_attn_implementation_leaves_the_model_as_loaded(tiny_models, monkeypatch) -> None:
    from transformers import AutoModel, PreTrainedModel

    model = AutoModel.from_pretrained(str(tiny_models.embed_dir), dtype=torch.float32, attn_implementation="sdpa")
    stock = PreTrainedModel.set_attn_implementation

    def refuse(self, implementation, *args, **kwargs):
        if implementation == cpu_attention.IMPLEMENTATION:
            raise ValueError("unknown attention implementation")
        return stock(self, implementation, *args, **kwargs)

    monkeypatch.setattr(PreTrainedModel, "set_attn_implementation", refuse)
    assert cpu_attention.use_grouped_attention(model) is False
    assert model.config._attn_implementation == "sdpa"
    assert _off(patches.CPU_ATTENTION) == "failed at install: ValueError: unknown attention implementation"


@torch.inference_mode()
def test_grouped_attention_failing_at_call_time_answers_with_sdpa(tiny_models, monkeypatch, caplog) -> None:
    from transformers import AutoModel

    reference = AutoModel.from_pretrained(str(tiny_models.embed_dir), attn_implementation="sdpa").eval()
    grouped = AutoModel.from_pretrained(str(tiny_models.embed_dir), attn_implementation="sdpa").eval()
    assert cpu_attention.use_grouped_attention(grouped)
    assert patches.state(patches.CPU_ATTENTION) is not None and patches.state(patches.CPU_ATTENTION).active
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise TypeError("grouped_query_attention() got an unexpected keyword argument 'sinks'")

    monkeypatch.setattr(cpu_attention, "grouped_query_attention", broken)
    ids = torch.randint(10, 200, (1, 29), generator=torch.Generator().manual_seed(0))
    want = reference(input_ids=ids).last_hidden_state
    with caplog.at_level(logging.WARNING, logger="engine.patches"):
        got = grouped(input_ids=ids).last_hidden_state
        again = grouped(input_ids=ids).last_hidden_state
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(again, want)
    assert len(calls) == 1  # the first layer's failure turned it off for every later layer and pass
    assert _off(patches.CPU_ATTENTION).startswith("failed at call: TypeError")
    assert len(_warnings(caplog, patches.CPU_ATTENTION)) == 1


def test_models_on_a_gpu_record_the_cpu_patches_as_not_used() -> None:
    from engine.models.device import note_not_on_cpu

    patches.activate(patches.CPU_INT8, "int8 Linear layers through torch._int_mm")  # another model uses it
    note_not_on_cpu("cuda")
    assert patches.states()[patches.CPU_ATTENTION] == {"active": False, "why": "not used: model runs on cuda"}
    assert patches.states()[patches.CPU_INT8]["active"] is True

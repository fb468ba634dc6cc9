"""The OpenVINO CPU runtime (engine/models/openvino_runtime.py) on the tiny Qwen3 model: conversion cache reuse,
fallback to torch, cancel during conversion, and vectors that match torch's. Skipped where OpenVINO has no wheel."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cancel import CancelToken
from engine.errors import Cancelled, ConfigError
from engine.models.embedder import Embedder
from engine.models.runtime_choice import bundled_calibration, calibration_sample, choose_cpu_runtime

TEXTS = [
    "Where does Milvus store data?",
    "Milvus stores inserted data in object storage as incremental logs and keeps metadata in etcd.",
    "The quick brown fox jumps over the lazy dog while the cat sleeps in the sun. " * 6,
]


@pytest.fixture(scope="module")
def ovr():
    pytest.importorskip("openvino")
    pytest.importorskip("nncf")
    from engine.models import openvino_runtime

    return openvino_runtime


@pytest.fixture(scope="module")
def torch_vectors(tiny_models, tmp_path_factory) -> tuple[np.ndarray, np.ndarray]:
    e = Embedder(str(tiny_models.embed_dir), cache_dir=tmp_path_factory.mktemp("t"), device="cpu", cpu_fast_path="fp32")
    return e.embed_documents(TEXTS), e.embed_query(TEXTS[0])


def ov_embedder(model: Path, cache: Path, precision: str = "fp32") -> Embedder:
    return Embedder(str(model), cache_dir=cache, device="cpu", cpu_fast_path=precision, cpu_runtime="openvino")


def cache_entries(cache: Path) -> list[str]:
    root = cache / "openvino"
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_fp32_and_bf16_match_torch_and_second_load_reuses_the_conversion(ovr, tiny_models, torch_vectors, tmp_path):
    docs, query = torch_vectors
    for precision, bound in (("fp32", 0.9999), ("bf16", 0.999)):
        before = ovr.conversions
        first = ov_embedder(tiny_models.embed_dir, tmp_path, precision)
        vectors = first.embed_documents(TEXTS)
        assert first.runtime is not None and first.runtime.runtime == "openvino", first.runtime
        assert first.runtime.converted and first.fast_path == precision
        assert np.sum(vectors * docs, axis=1).min() >= bound
        assert float(first.embed_query(TEXTS[0]) @ query) >= bound  # the query prompt goes through the same path
        # A left-padded batch (one per pass is the CPU's way, but st.encode may batch): no NaN, same vectors.
        batched = first._st.encode(TEXTS, batch_size=len(TEXTS))
        batched /= np.linalg.norm(batched, axis=1, keepdims=True)
        assert np.sum(batched * docs, axis=1).min() >= bound
        second = ov_embedder(tiny_models.embed_dir, tmp_path, precision)
        again = second.embed_documents(TEXTS)
        assert ovr.conversions == before + 1, "the second load converted again"
        assert second.runtime is not None and second.runtime.runtime == "openvino" and not second.runtime.converted
        np.testing.assert_allclose(again, vectors, atol=1e-5)
    assert len(cache_entries(tmp_path)) == 2  # one per precision, no temporary folders left


def test_int8_calibrates_on_the_bundled_samples_and_stays_close(ovr, tiny_models, torch_vectors, tmp_path):
    docs, _ = torch_vectors
    e = ov_embedder(tiny_models.embed_dir, tmp_path, "int8")
    vectors = e.embed_documents(TEXTS)
    assert e.runtime is not None and e.runtime.runtime == "openvino" and e.fast_path == "int8"
    assert e.runtime.calibration_texts == len(bundled_calibration(ovr.CALIBRATION_TEXTS)) > 10
    # The tiny model's weights are random and 10x wider than real ones; real MiniLM is measured in the benchmark.
    assert np.sum(vectors * docs, axis=1).min() >= 0.9


def test_a_failing_conversion_falls_back_to_torch_and_says_why(ovr, tiny_models, torch_vectors, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("conversion exploded")

    monkeypatch.setattr(ovr, "convert", broken)
    e = ov_embedder(tiny_models.embed_dir, tmp_path)
    vectors = e.embed_documents(TEXTS)
    assert e.runtime is not None and e.runtime.runtime == "torch"
    assert "conversion exploded" in e.runtime.note
    np.testing.assert_allclose(vectors, torch_vectors[0], atol=1e-5)
    assert cache_entries(tmp_path) == []


def test_a_corrupt_cache_falls_back_then_converts_again(ovr, tiny_models, torch_vectors, tmp_path):
    ov_embedder(tiny_models.embed_dir, tmp_path).load()
    (entry,) = cache_entries(tmp_path)
    (tmp_path / "openvino" / entry / "model.xml").write_text("<net>not a model", encoding="utf-8")
    broken = ov_embedder(tiny_models.embed_dir, tmp_path)
    np.testing.assert_allclose(broken.embed_documents(TEXTS), torch_vectors[0], atol=1e-5)
    assert broken.runtime is not None and broken.runtime.runtime == "torch" and broken.runtime.note
    before = ovr.conversions
    healed = ov_embedder(tiny_models.embed_dir, tmp_path)
    healed.load()
    assert healed.runtime is not None and healed.runtime.runtime == "openvino" and ovr.conversions == before + 1


@pytest.mark.parametrize("cancel_at", [1, 4])  # 1: before tracing; 4: between int8 calibration passages
def test_cancel_during_conversion_leaves_no_cache_and_a_clean_embedder(ovr, tiny_models, tmp_path, cancel_at):
    token = CancelToken()
    steps: list[tuple[int, int]] = []

    def on_convert(done: int, total: int) -> None:
        steps.append((done, total))
        if done == cancel_at:
            token.cancel()

    e = ov_embedder(tiny_models.embed_dir, tmp_path, "int8")
    with pytest.raises(Cancelled):
        e.load(cancel=token, on_convert=on_convert)
    assert steps[-1][0] == cancel_at and steps[-1][1] > cancel_at
    assert not e.loaded
    assert cache_entries(tmp_path) == []
    e.load()  # a later load converts from scratch
    assert e.runtime is not None and e.runtime.runtime == "openvino" and e.runtime.converted


def test_without_openvino_the_embedder_stays_on_torch(tiny_models, torch_vectors, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino now raises ImportError
    e = ov_embedder(tiny_models.embed_dir, tmp_path)
    np.testing.assert_allclose(e.embed_documents(TEXTS), torch_vectors[0], atol=1e-5)
    assert e.runtime is not None and e.runtime.runtime == "torch" and "openvino does not import here" in e.runtime.note


def test_runtime_choice_and_calibration_sample():
    assert choose_cpu_runtime("auto") == "torch" and choose_cpu_runtime("OpenVINO") == "openvino"
    with pytest.raises(ConfigError):
        choose_cpu_runtime("onnx")
    stored = [f"chunk {i}" for i in range(100)]
    picked = calibration_sample(stored, 10)
    assert len(picked) == 10 and picked[0] == "chunk 0" and picked[-1] == "chunk 90"
    assert calibration_sample(stored[:3], 10) == bundled_calibration(10)  # too few of the user's own


def test_engine_converts_with_progress_and_calibrates_on_the_stored_chunks(ovr, tiny_models, tmp_path):
    from engine.config import EngineConfig
    from engine.engine import Engine
    from tests.support.tiny_models import builtin_corpus

    docs = tmp_path / "docs"
    docs.mkdir()
    lines = builtin_corpus()
    for i in range(12):
        (docs / f"note{i}.md").write_text(f"# Note {i}\n\n" + " ".join(lines[i * 5 : i * 5 + 5]), encoding="utf-8")
    config = EngineConfig(
        data_dir=tmp_path / "data", embed_model=str(tiny_models.embed_dir), device="cpu", cpu_fast_path="fp32"
    )
    with Engine(config) as engine:
        stored = engine.index_library(docs).chunks_embedded
    stages: list[str] = []
    with Engine(config.with_changes(cpu_runtime="openvino", cpu_fast_path="int8")) as engine:
        engine.load_models(on_progress=lambda stage, done, total: stages.append(stage), rerank=False)
        state = engine.models_state()
        assert state["cpu_runtime"] == "openvino" and state["fast_path"] == "int8", state
        assert engine.embedder.runtime is not None and engine.embedder.runtime.calibration_texts == stored >= 8
        assert engine.search("Where does Milvus store data?", k=3, mode="dense", rerank=False)
    assert "OpenVINO conversion" in stages


@pytest.mark.slow
def test_cli_index_says_when_it_converts_and_reuses_the_conversion(ovr, tiny_models, tmp_path):
    from tests.integration.helpers import write_library
    from tests.integration.test_cli import run_cli

    lib = write_library(tmp_path / "lib", n_files=2)
    data = tmp_path / "data"
    int8 = ["--cpu-runtime", "openvino", "--cpu-fast-path", "int8"]
    first = run_cli(["index", str(lib), *int8], data, tiny_models)
    assert "Converting the embedding model for OpenVINO" in first.stderr and "2 indexed" in first.stdout
    again = run_cli(["index", str(lib), *int8], data, tiny_models)
    assert "Converting" not in again.stderr  # cached in the data folder
    # A conversion under --json (a fresh data folder): nncf's calibration progress bar stays off stdout
    quiet = run_cli(["index", str(lib), *int8, "--json"], tmp_path / "data-json", tiny_models)
    assert json.loads(quiet.stdout)[0]["files_indexed"] == 2

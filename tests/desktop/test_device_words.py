"""The status bar's device words: the precision, OpenVINO when it runs the embedder, and why it does not when asked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop.controller import ModelsView
from desktop.state_words import device_tooltip, device_words
from engine import Engine, EngineConfig


def test_device_words_name_the_runtime_and_precision() -> None:
    assert device_words(ModelsView("loading", device="auto")) == "Device: AUTO"
    assert (
        device_words(ModelsView("ready", device="cpu", fast_path="int8", cpu_runtime="torch")) == "Device: CPU (int8)"
    )
    openvino = ModelsView("ready", device="cpu", fast_path="int8", cpu_runtime="openvino")
    assert device_words(openvino) == "Device: CPU (OpenVINO int8)"
    assert device_tooltip(openvino) == ""
    assert device_words(ModelsView("ready", device="cuda", fast_path="bf16")) == "Device: CUDA (bf16)"


def test_a_fallback_from_openvino_is_explained_where_the_device_is_shown(
    tiny_models, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the engine: OpenVINO asked for but not usable (here: it does not import, as where it has no wheel)
    gives the torch path and a note, and the window's words carry both."""
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino now raises ImportError
    config = EngineConfig(
        data_dir=tmp_path / "data",
        embed_model=str(tiny_models.embed_dir),
        device="cpu",
        cpu_fast_path="fp32",
        cpu_runtime="openvino",
        rerank=False,
    )
    with Engine(config) as engine:
        engine.load_models(rerank=False)
        state = engine.models_state()
    assert state["cpu_runtime"] == "torch" and state["cpu_runtime_note"]
    view = ModelsView(
        "ready",
        device=state["device"],
        fast_path=state["fast_path"],
        cpu_runtime=state["cpu_runtime"],
        cpu_runtime_note=state["cpu_runtime_note"],
    )
    assert device_words(view) == "Device: CPU (fp32)"
    tip = device_tooltip(view)
    assert (
        tip.startswith("OpenVINO could not be used, so embedding runs on PyTorch") and "OpenVINO" in tip.splitlines()[1]
    )

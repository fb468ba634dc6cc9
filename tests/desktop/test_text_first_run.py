"""The scripted first run: no models, a folder of 20 notes -> keyword answers; the models arrive -> vectors join."""

from __future__ import annotations

import shutil

import pytest

import engine.ingest.indexer as indexer_module
from desktop.widgets.library_panel import SUBTITLE_ROLE
from engine.config import EngineConfig
from engine.engine import Engine
from tests.desktop.helpers import ask, wait_library_state, wait_ready
from tests.integration.helpers import write_library

pytestmark = pytest.mark.slow


def test_first_run_keyword_search_before_the_models_then_vectors_join(
    qtbot, make_window, tiny_models, tmp_path, monkeypatch
):
    loads: list[str] = []
    real_load = indexer_module.load_document
    monkeypatch.setattr(
        indexer_module, "load_document", lambda path, **kw: loads.append(str(path)) or real_load(path, **kw)
    )

    notes = write_library(tmp_path / "notes", n_files=20, paragraphs=2)
    embed_dir, rerank_dir = tmp_path / "models" / "embedder", tmp_path / "models" / "reranker"
    # A fresh data folder and neither model on this computer; dims=64 names the index's dimension without weights
    # (as the Qwen3 ids do), so that the text can be stored at once.
    config = EngineConfig(
        data_dir=tmp_path / "data",
        embed_model=str(embed_dir),
        rerank_model=str(rerank_dir),
        dims=64,
        device="cpu",
        cpu_fast_path="fp32",
    )
    window = make_window(config)
    qtbot.waitUntil(lambda: window.controller.models.state == "missing", timeout=30_000)

    window.add_folders([str(notes)])
    library = str(notes.resolve())
    wait_library_state(qtbot, window, library, "keyword_only", timeout=60_000)
    row = window.library_panel.list.item(0)
    assert row.data(SUBTITLE_ROLE) == "Keyword search ready · 20 files wait for the embedding model"
    qtbot.waitUntil(lambda: "notes: keyword search ready; 20 files wait" in window.statusBar().currentMessage())
    assert sorted(loads) == sorted(str(p) for p in notes.iterdir())

    turn = ask(qtbot, window, "Which passage has the identifier ZX13Q1?")
    assert turn.mode == "search_only"
    assert turn.hits[0].chunk.path.endswith("doc_13.md")
    assert turn.hits[0].scores.dense is None

    # The models arrive (copied in, as from a USB stick); the banner's button loads them the way the app does.
    shutil.copytree(tiny_models.embed_dir, embed_dir)
    shutil.copytree(tiny_models.rerank_dir, rerank_dir)
    loads.clear()
    window.model_banner.download_button.click()
    wait_ready(qtbot, window)
    wait_library_state(qtbot, window, library, "ready", timeout=60_000)
    assert loads == []  # unchanged files were not read again: their stored text was embedded
    assert row.data(SUBTITLE_ROLE).startswith("Ready · 20 files")

    turn = ask(qtbot, window, "Which passage has the identifier ZX13Q1?")
    assert turn.mode == "search_only"  # no answer endpoint in tests: the ranked passages are the answer
    # Hybrid now asks both sides (the tiny reranker's random weights then reorder them, so no rank is asserted).
    assert any(h.scores.dense is not None for h in turn.hits) and any(h.scores.bm25 is not None for h in turn.hits)
    window.close()
    window.controller.host.shutdown()

    with Engine(config) as engine:  # the store itself: every row has its vector, dense search alone finds rows
        assert engine.store().unembedded_ids(library) == []
        question = "Which passage has the identifier ZX13Q1?"
        dense = engine.search(question, mode="dense", rerank=False)
        assert dense and all(h.scores.dense is not None for h in dense)
        hybrid = engine.search(question, k=10, rerank=False)
        assert not hybrid.dense_unavailable and any(h.scores.dense is not None for h in hybrid)
        assert any(h.chunk.path.endswith("doc_13.md") and h.scores.bm25 is not None for h in hybrid)


def test_a_model_of_unknown_dimension_says_when_keyword_search_starts(qtbot, make_window, docs, tmp_path):
    # A model folder that is not there and no dims setting: the index's dimension cannot be known yet.
    config = EngineConfig(data_dir=tmp_path / "data", embed_model=str(tmp_path / "absent"), rerank=False, device="cpu")
    window = make_window(config)
    qtbot.waitUntil(lambda: window.controller.models.state == "missing", timeout=30_000)
    window.add_folders([str(docs)])
    library = str(docs.resolve())
    wait_library_state(qtbot, window, library, "waiting")
    view = window.library_panel.view(library)
    assert view.detail == "Keyword search starts once the embedding model is on this computer"
    assert not window.errors

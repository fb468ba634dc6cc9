"""Keyword search before the embedding model exists: text first, vectors join later without re-reading files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

import engine.ingest.indexer as indexer_module
from tests.integration.helpers import open_engine, tiny_config, write_library

pytestmark = pytest.mark.slow


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """Every path the indexer reads with a loader, in order."""
    calls: list[str] = []
    real = indexer_module.load_document

    def counting(path, **kwargs):
        calls.append(str(path))
        return real(path, **kwargs)

    monkeypatch.setattr(indexer_module, "load_document", counting)
    return calls


def test_keyword_search_first_then_vectors_join_without_rereading(tmp_path, tiny_models, loads):
    library = write_library(tmp_path / "lib", n_files=6, paragraphs=3)
    model_dir = tmp_path / "embedder"  # not there yet; dims=64 tells the index's dimension without it
    config = tiny_config(tmp_path / "data", tiny_models, embed_model=str(model_dir), dims=64, rerank=False)
    engine = open_engine(config)
    try:
        first = engine.index_library(library)
        assert (first.files_awaiting_embedding, first.files_indexed, first.chunks_embedded) == (6, 0, 0)
        assert str(model_dir) in first.embedder_unavailable
        assert engine.models_state()["embedder"] == "not_loaded"
        assert len(loads) == 6

        keyword = engine.search("ZX4Q2", mode="bm25")
        assert keyword[0].chunk.path.endswith("doc_04.md")
        hybrid = engine.search("ZX4Q2")  # no model: ranked by keywords alone, and says so
        assert hybrid.dense_unavailable and hybrid[0].chunk.path.endswith("doc_04.md")
        assert all(h.scores.dense is None for h in hybrid)
        info = engine.libraries()[0]
        assert (info.files, info.indexed, info.pending) == (6, 0, 6)

        shutil.copytree(tiny_models.embed_dir, model_dir)  # the model arrives
        loads.clear()
        second = engine.index_library(library)
        assert loads == []  # unchanged files were not read again
        # Not read again, yet embedded now: they count as indexed, not unchanged, and the library as 6 files.
        assert (second.files_seen, second.files_unchanged, second.files_indexed) == (6, 0, 6)
        assert second.files_awaiting_embedding == 0
        stored = engine.store().count(str(library))
        assert second.chunks_embedded == stored > 0
        assert engine.store().unembedded_ids(str(library)) == []

        dense = engine.search("ZX4Q2", mode="dense")
        assert dense and all(h.scores.dense is not None for h in dense)
        hybrid = engine.search("ZX4Q2", k=10)
        assert not hybrid.dense_unavailable
        assert any(h.scores.dense is not None for h in hybrid)
        assert any(h.chunk.path.endswith("doc_04.md") and h.scores.bm25 is not None for h in hybrid)
        assert engine.libraries()[0].indexed == 6
    finally:
        engine.close()


def test_cli_index_without_the_model_says_what_waits(tmp_path, tiny_models):
    library = write_library(tmp_path / "lib", n_files=3, paragraphs=2)
    data_dir = tmp_path / "data"
    model_dir = tmp_path / "embedder"
    common = ["--data-dir", str(data_dir), "--embed-model", str(model_dir), "--dims", "64", "--device", "cpu"]
    cli = [sys.executable, "-m", "engine.cli"]
    done = subprocess.run([*cli, "index", str(library), *common], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    wait_line = done.stdout.strip().splitlines()[-1]
    assert wait_line.startswith("stored text for keyword search; 3 files wait for the embedding model")
    assert "--embed-model DIR" in wait_line and "tansaku index" in wait_line

    again = subprocess.run(
        [*cli, "index", str(library), "--json", *common], capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)[0]["files_awaiting_embedding"] == 3

    found = subprocess.run(
        [*cli, "search", "ZX1Q1", "--no-rerank", "--json", *common], capture_output=True, text=True, timeout=300
    )
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert hits[0]["path"].endswith("doc_01.md")
    notes = [line for line in found.stderr.splitlines() if line.startswith("tansaku:")]
    assert len(notes) == 1 and "ranked by keyword" in notes[0]

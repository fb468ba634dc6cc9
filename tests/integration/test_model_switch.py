"""Switching the embedding model: the previous index keeps answering until the new one covers every library."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.cancel import CancelToken
from engine.types import Progress
from tests.integration.helpers import open_engine, tiny_config, write_library


@pytest.fixture()
def second_model(tmp_path: Path, tiny_models) -> Path:
    """Another embedding model: a copy of the tiny one under another name, so it gets its own collection."""
    return Path(shutil.copytree(tiny_models.embed_dir, tmp_path / "embed-b"))


def test_previous_index_answers_until_the_new_model_covers_every_library(
    tmp_path: Path, tiny_models, second_model: Path
) -> None:
    data = tmp_path / "data"
    lib = write_library(tmp_path / "lib", n_files=4)
    config_a = tiny_config(data, tiny_models)
    with open_engine(config_a) as engine:
        engine.index_library(lib)
        first = engine.answering_from()
        assert first is not None and first["previous"] is False and first["model"] == config_a.embed_model
        assert engine.search("ZX1Q2", mode="bm25", rerank=False, k=1)

    config_b = config_a.with_changes(embed_model=str(second_model))
    with open_engine(config_b) as engine:
        # Before the new model has embedded anything, questions go to the old index, with the old model.
        source = engine.answering_from()
        assert source == {"model": config_a.embed_model, "collection": first["collection"], "previous": True}
        assert len(engine.search("query nodes", k=3, mode="dense", rerank=False)) == 3  # the new collection is empty
        assert "ZX1Q2" in engine.search("ZX1Q2", k=1, mode="bm25", rerank=False)[0].chunk.text
        fallback = engine._serving_fallback()
        assert fallback is not None and fallback.loaded_embedder().model_name == config_a.embed_model

        # Re-embedding stopped part-way: the new collection holds some files, the old one still answers.
        token = CancelToken()

        def stop_after_first_file(p: Progress) -> None:
            if p.files_done >= 1:
                token.cancel()

        report = engine.index_library(lib, cancel=token, on_progress=stop_after_first_file)
        assert report.cancelled
        assert engine.answering_from()["previous"] is True
        assert {h.chunk.path for h in engine.search("passage", k=20, mode="bm25", rerank=False)} == {
            str(lib / f"doc_{i:02d}.md") for i in range(4)
        }  # every file, although the new collection has only some of them

        # Finished: the new index takes over, and the old model is no longer loaded for queries.
        assert not engine.index_library(lib).cancelled
        source = engine.answering_from()
        assert source["previous"] is False and source["model"] == config_b.embed_model
        assert source["collection"] != first["collection"]
        assert engine._serving_fallback() is None
        assert engine.search("ZX1Q2", mode="bm25", rerank=False, k=1)[0].chunk.text.count("ZX1Q2") == 1

    # Back to the first model: its index is complete, so it answers at once with nothing re-embedded.
    with open_engine(config_a) as engine:
        assert engine.answering_from() == first
        assert engine.index_library(lib).chunks_embedded == 0


def _two_libraries(tmp_path: Path, tiny_models, second_model: Path):
    """Libraries 'kept' and 'dropped', and the configs of the first and the second model (same data folder)."""
    kept = write_library(tmp_path / "kept", n_files=2)
    dropped = write_library(tmp_path / "dropped", n_files=2)
    config_a = tiny_config(tmp_path / "data", tiny_models)
    return kept, dropped, config_a, config_a.with_changes(embed_model=str(second_model))


def _bm25_paths(engine) -> set[str]:
    return {h.chunk.path for h in engine.search("passage", k=50, mode="bm25", rerank=False)}


def test_a_library_removed_under_another_model_leaves_no_chunks_behind(
    tmp_path: Path, tiny_models, second_model: Path
) -> None:
    kept, dropped, config_a, config_b = _two_libraries(tmp_path, tiny_models, second_model)
    with open_engine(config_a) as engine:
        engine.index_library(kept)
        engine.index_library(dropped)

    with open_engine(config_b) as engine:
        assert engine.answering_from()["previous"] is True
        engine.remove_library(dropped)  # removed from the answering (old) index too
        paths = _bm25_paths(engine)
        assert paths and all(p.startswith(str(kept)) for p in paths)
        engine.index_library(kept)
        assert engine.answering_from()["previous"] is False

    with open_engine(config_a) as engine:
        paths = _bm25_paths(engine)
        assert paths and all(p.startswith(str(kept)) for p in paths)


def test_cancelled_first_index_has_no_fallback(tmp_path: Path, tiny_models) -> None:
    """A first model with no complete index yet simply answers from what it has (nothing to fall back to)."""
    lib = write_library(tmp_path / "lib", n_files=3)
    with open_engine(tiny_config(tmp_path / "data", tiny_models)) as engine:
        token = CancelToken()
        token.cancel()
        assert engine.index_library(lib, cancel=token).cancelled
        assert engine.answering_from()["previous"] is False


def test_switching_back_drops_chunks_of_libraries_removed_meanwhile(
    tmp_path: Path, tiny_models, second_model: Path
) -> None:
    kept, dropped, config_a, config_b = _two_libraries(tmp_path, tiny_models, second_model)
    for config in (config_a, config_b):
        with open_engine(config) as engine:
            engine.index_library(kept)
            engine.index_library(dropped)
            assert engine.answering_from()["previous"] is False
    with open_engine(config_b) as engine:
        engine.remove_library(dropped)  # model A's collection is not open now
    with open_engine(config_a) as engine:
        assert engine.answering_from()["previous"] is False  # A still covers every (remaining) library
        paths = _bm25_paths(engine)
        assert paths and all(p.startswith(str(kept)) for p in paths)

"""Hybrid retrieval with a real embedding model: an exact identifier only BM25 finds, a paraphrase only dense finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import EngineConfig
from engine.engine import Engine
from tests.support.tiny_models import minilm_path

DOCS = {
    "pets.md": "# Pets\n\nCats sleep for most of the day and purr when they are content.\n",
    "errors.md": "# Errors\n\nThe server returned code ERR_7731X when the collection was locked.\n",
    "cooking.md": "# Cooking\n\nBoil the pasta in salted water for nine minutes, then drain it.\n",
    "weather.md": "# Weather\n\nHeavy rain is expected along the coast tomorrow afternoon.\n",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("semantics")
    lib = root / "lib"
    lib.mkdir()
    for name, text in DOCS.items():
        (lib / name).write_text(text, encoding="utf-8")
    eng = Engine(
        EngineConfig(
            data_dir=root / "data",
            embed_model=str(minilm_path()),
            device="cpu",
            chunk_tokens=200,
            chunk_overlap_tokens=20,
            rerank=False,
        )
    )
    eng.open()
    eng.index_library(lib)
    yield eng
    eng.close()


def _first(hits) -> str:
    return Path(hits[0].chunk.path).name if hits else ""


@pytest.mark.slow
def test_identifier_only_bm25_finds(engine) -> None:
    assert _first(engine.search("ERR_7731X", mode="bm25", k=4)) == "errors.md"
    assert _first(engine.search("ERR_7731X", mode="hybrid", k=4)) == "errors.md"


@pytest.mark.slow
def test_paraphrase_only_dense_finds(engine) -> None:
    question = "How do felines spend their time napping?"
    assert not any(Path(h.chunk.path).name == "pets.md" for h in engine.search(question, mode="bm25", k=4))
    assert _first(engine.search(question, mode="dense", k=4)) == "pets.md"
    assert _first(engine.search(question, mode="hybrid", k=4)) == "pets.md"

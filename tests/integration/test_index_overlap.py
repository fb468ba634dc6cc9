"""The indexing pipeline overlaps its stages: the model embeds and vectors are stored while later files are read.

Events, not timings: the last file's loader waits until the first vectors are stored (it would wait forever, here
until GATE_S, if embedding only began after every file was read), and cancel/failure are injected at exact points.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import engine.ingest.indexer as indexer_module
from engine.cancel import CancelToken
from engine.errors import StoreError
from engine.ingest.chunk_rows import ID_PREFIX, file_prefix
from tests.integration.helpers import open_engine, snapshot, tiny_config, write_library

pytestmark = pytest.mark.slow

N_FILES = 10
GATE_S = 20.0  # how long the last file's loader waits for the first stored vectors before giving up


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return write_library(tmp_path / "lib", n_files=N_FILES, paragraphs=4)


@pytest.fixture
def engine(tmp_path: Path, tiny_models):
    eng = open_engine(tiny_config(tmp_path / "data", tiny_models, embed_batch_size=4, rerank=False))
    yield eng
    eng.close()


class Gate:
    """Records the pipeline's events in order; the last file's loader waits for the first stored vectors."""

    def __init__(self, monkeypatch, engine, last_name: str) -> None:
        self.events: list[str] = []
        self.lock = threading.Lock()
        self.vectors_stored = threading.Event()
        self.gate_opened = False
        self.on_vectors = lambda: None
        real_load = indexer_module.load_document
        store = engine.store()
        real_set = store.set_vectors
        real_embed = engine.embedder.embed_documents

        def load(path, **kwargs):
            if Path(path).name == last_name:
                self.gate_opened = self.vectors_stored.wait(GATE_S)
            doc = real_load(path, **kwargs)
            self.note(f"loaded {Path(path).name}")
            return doc

        def embed(texts, **kwargs):
            self.note("embed")
            return real_embed(texts, **kwargs)

        def set_vectors(ids, vectors):
            real_set(ids, vectors)
            self.note("vectors")
            try:
                self.on_vectors()  # before the gate opens: the last file is still unread then
            finally:
                self.vectors_stored.set()

        monkeypatch.setattr(indexer_module, "load_document", load)
        monkeypatch.setattr(engine.embedder, "embed_documents", embed)
        monkeypatch.setattr(store, "set_vectors", set_vectors)

    def note(self, event: str) -> None:
        with self.lock:
            self.events.append(event)


def consistent(engine, library: Path) -> dict[str, str]:
    """Assert the manifest and the store agree; return path -> status."""
    store = engine.store()
    unembedded = {i[:ID_PREFIX] for i in store.unembedded_ids(None)}
    rows: dict[str, int] = {}
    for chunk in store.iter_chunks():
        rows[chunk.path] = rows.get(chunk.path, 0) + 1
    statuses = {}
    for outcome in engine.report():
        statuses[outcome.path] = outcome.status
        if outcome.status == "indexed":  # never indexed while a row still lacks its vector
            assert file_prefix(outcome.path) not in unembedded, outcome.path
        if outcome.status in ("indexed", "embedding"):  # all its text rows are stored
            assert rows.get(outcome.path) == outcome.chunks > 0, outcome.path
    for path in rows:  # no row of a file the manifest does not vouch for (pending files are redone)
        assert statuses.get(path) in ("indexed", "embedding", "pending"), path
    return statuses


def test_embedding_and_vector_writes_start_before_the_last_file_is_read(engine, library: Path, monkeypatch) -> None:
    gate = Gate(monkeypatch, engine, last_name=f"doc_{N_FILES - 1:02d}.md")
    report = engine.index_library(library)
    assert gate.gate_opened, "no vectors were stored while files were still being read"
    events = gate.events
    last_loaded = events.index(f"loaded doc_{N_FILES - 1:02d}.md")
    assert events.index("embed") < last_loaded and events.index("vectors") < last_loaded
    assert report.files_indexed == N_FILES and not report.cancelled
    assert set(consistent(engine, library).values()) == {"indexed"}
    assert dict(report.stages)["embed"] > 0


def test_cancel_mid_pipeline_leaves_a_consistent_index_that_resumes(
    engine, library: Path, monkeypatch, tmp_path: Path, tiny_models
) -> None:
    gate = Gate(monkeypatch, engine, last_name=f"doc_{N_FILES - 1:02d}.md")
    token = CancelToken()
    gate.on_vectors = token.cancel  # cancel as the first vectors land, while the last file is still unread
    first = engine.index_library(library, cancel=token)
    assert first.cancelled and "vectors" in gate.events
    statuses = consistent(engine, library)
    assert f"doc_{N_FILES - 1:02d}.md" not in {Path(p).name for p in statuses}  # never read: nothing stored
    monkeypatch.undo()
    second = engine.index_library(library)
    assert not second.cancelled
    assert set(consistent(engine, library).values()) == {"indexed"}
    assert first.chunks_embedded + second.chunks_embedded == engine.status()["chunks"]  # nothing embedded twice
    clean = open_engine(tiny_config(tmp_path / "clean", tiny_models, embed_batch_size=4, rerank=False))
    try:
        clean.index_library(library)
        assert snapshot(engine) == snapshot(clean)
    finally:
        clean.close()


@pytest.mark.timeout(120)
def test_a_failing_writer_fails_the_run_and_stops_its_threads(engine, library: Path, monkeypatch) -> None:
    gate = Gate(monkeypatch, engine, last_name=f"doc_{N_FILES - 1:02d}.md")

    def crash() -> None:
        raise StoreError("disk full (simulated)")

    gate.on_vectors = crash
    with pytest.raises(StoreError, match="simulated"):
        engine.index_library(library)
    assert not [t for t in threading.enumerate() if t.name == "tansaku-embed"]
    consistent(engine, library)
    monkeypatch.undo()
    assert engine.index_library(library).files_indexed > 0
    assert set(consistent(engine, library).values()) == {"indexed"}


def test_progress_callback_never_shares_the_model_with_a_running_batch(engine, library: Path, monkeypatch) -> None:
    """The desktop serves searches from inside the progress callback: they embed queries with the same model."""
    inside = {"documents": 0, "overlaps": 0, "queries": 0}
    lock = threading.Lock()
    real_embed, real_query = engine.embedder.embed_documents, engine.embedder.embed_query

    def enter(kind: str) -> None:
        with lock:
            if inside["documents"]:
                inside["overlaps"] += 1
            inside[kind] += 1

    def embed(texts, **kwargs):
        enter("documents")
        try:
            loaded.wait(5.0)  # hold the batch open while later files arrive and progress is reported
            return real_embed(texts, **kwargs)
        finally:
            with lock:
                inside["documents"] -= 1

    def query(text):
        enter("queries")
        return real_query(text)

    loaded = threading.Event()
    real_load = indexer_module.load_document

    def load(path, **kwargs):
        doc = real_load(path, **kwargs)
        if Path(path).name == f"doc_{N_FILES - 1:02d}.md":
            loaded.set()
        return doc

    monkeypatch.setattr(engine.embedder, "embed_documents", embed)
    monkeypatch.setattr(engine.embedder, "embed_query", query)
    monkeypatch.setattr(indexer_module, "load_document", load)

    def on_progress(p) -> None:
        if p.phase in ("storing", "embedding"):
            engine.search("vector search", mode="dense", rerank=False, k=1)

    report = engine.index_library(library, on_progress=on_progress)
    assert report.files_indexed == N_FILES
    assert inside["queries"] > 0 and inside["overlaps"] == 0

"""ChunkStore against a real Milvus Lite in a temporary folder."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import numpy as np
import pytest

from engine.errors import StoreError, StoreLockedError
from engine.store.chunk_store import ChunkStore, SearchFilters
from engine.store.filters import build_filter, quote, suffix_of
from engine.types import Chunk

DIMS = 8
MODEL = "Qwen/Qwen3-Embedding-0.6B"
NASTY = "/lib/we\"ird\\dir\nname/ünï 日本 'q'.md"


def make_chunk(path: str, no: int, text: str, *, library: str = "/lib", page: int | None = None) -> Chunk:
    return Chunk(
        id=f"{abs(hash(path)) % 10**12}-{no}",
        library=library,
        path=path,
        chunk_no=no,
        text=text,
        char_start=no * 100,
        char_end=no * 100 + len(text),
        page=page,
        headings=("Guide", f"Part {no}"),
        file_sha256="ab" * 32,
    )


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIMS)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def db_uri(tmp_path: Path) -> str:
    return str(tmp_path / "data" / "milvus.db")


@pytest.fixture
def store(db_uri: str):
    s = ChunkStore(db_uri, collection=ChunkStore.collection_name_for(MODEL, DIMS), dims=DIMS, model_name=MODEL)
    s.open()
    yield s
    s.close()


def fill(store: ChunkStore) -> tuple[list[Chunk], np.ndarray]:
    chunks = [
        make_chunk("/lib/a.md", 0, "Milvus stores vectors and scalar fields together."),
        make_chunk("/lib/a.md", 1, "The index type HNSW trades memory for recall."),
        make_chunk("/lib/docs/b.pdf", 0, "Reports are exported as PDF every quarter.", page=3),
        make_chunk("/lib/docs/b.pdf", 1, "Error XK_7731_frobnicate means the cache is stale.", page=4),
        make_chunk("/other/c.txt", 0, "Another library about cooking pasta al dente.", library="/other"),
        make_chunk(NASTY, 0, "A file whose path needs escaping everywhere."),
        make_chunk(NASTY, 1, "Its second chunk, also about escaping."),
    ]
    vectors = unit_vectors(len(chunks))
    store.insert_chunks(chunks, vectors)
    return chunks, vectors


def test_collection_name_is_valid_readable_and_distinct() -> None:
    name = ChunkStore.collection_name_for("Qwen/Qwen3-Embedding-0.6B", 1024)
    assert name.startswith("tansaku_qwen_qwen3_embedding_0_6b_d1024_")
    assert all(ch.isalnum() or ch == "_" for ch in name) and name[0].isalpha()
    assert name != ChunkStore.collection_name_for("Qwen/Qwen3-Embedding-0.6B", 256)
    assert name != ChunkStore.collection_name_for("qwen/qwen3-embedding-0.6b", 1024)


def test_insert_then_dense_search_round_trips_chunks(store: ChunkStore) -> None:
    chunks, vectors = fill(store)
    hits = store.search_dense(vectors[2], 3)
    assert [h.scores.dense_rank for h in hits] == [1, 2, 3]
    assert hits[0].chunk == chunks[2]  # every field, page and headings included
    assert hits[0].scores.dense == pytest.approx(1.0, abs=1e-4)
    assert hits[0].scores.dense >= hits[1].scores.dense >= hits[2].scores.dense
    assert hits[0].scores.bm25 is None
    assert store.count() == len(chunks)


def test_bm25_finds_an_exact_rare_identifier(store: ChunkStore) -> None:
    chunks, _ = fill(store)
    hits = store.search_bm25("what does XK_7731_frobnicate mean", 3)
    assert hits[0].chunk.id == chunks[3].id
    assert hits[0].scores.bm25_rank == 1 and hits[0].scores.bm25 > 0
    assert all(h.scores.dense is None for h in hits)
    assert store.search_bm25("   ", 3) == []


def test_bm25_scores_are_sorted_best_first(store: ChunkStore) -> None:
    fill(store)
    hits = store.search_bm25("escaping chunk", 5)
    scores = [h.scores.bm25 for h in hits]
    assert len(hits) >= 2 and scores == sorted(scores, reverse=True)
    assert hits[0].chunk.path == NASTY


def test_delete_file_with_quotes_backslash_newline_and_unicode(store: ChunkStore) -> None:
    chunks, _ = fill(store)
    decoy = make_chunk(NASTY + ".bak", 0, "A decoy sharing the prefix of the nasty path.")
    store.insert_chunks([decoy], unit_vectors(1, seed=5))
    assert store.chunk_ids_for_file(NASTY) == [chunks[5].id, chunks[6].id]
    assert store.delete_file(NASTY) == 2
    assert store.chunk_ids_for_file(NASTY) == []
    assert store.chunk_ids_for_file(NASTY + ".bak") == [decoy.id]
    assert store.count() == len(chunks) - 2 + 1
    assert all(h.chunk.path != NASTY for h in store.search_bm25("escaping", 10))
    assert store.delete_file("/no/such/file.md") == 0


def test_delete_library_and_count_per_library(store: ChunkStore) -> None:
    chunks, _ = fill(store)
    assert store.count("/other") == 1
    assert store.count("/lib") == len(chunks) - 1
    assert store.delete_library("/lib") == len(chunks) - 1
    assert store.count() == 1
    assert [c.library for c in store.iter_chunks()] == ["/other"]


def test_filters_library_prefix_and_file_type(store: ChunkStore) -> None:
    chunks, vectors = fill(store)
    by_lib = store.search_dense(vectors[4], 10, filters=SearchFilters(libraries=("/other",)))
    assert [h.chunk.id for h in by_lib] == [chunks[4].id]
    under_docs = store.search_bm25("reports error cache", 10, filters=SearchFilters(path_prefix="/lib/docs/"))
    assert {h.chunk.path for h in under_docs} == {"/lib/docs/b.pdf"}
    pdfs = store.search_dense(vectors[0], 10, filters=SearchFilters(file_types=("PDF",)))
    assert {h.chunk.path for h in pdfs} == {"/lib/docs/b.pdf"}
    both = SearchFilters(libraries=("/lib", "/other"), file_types=("md", "txt"))
    assert {h.chunk.path for h in store.search_dense(vectors[0], 10, filters=both)} == {
        "/lib/a.md",
        "/other/c.txt",
        NASTY,
    }
    nasty_prefix = store.search_dense(vectors[0], 10, filters=SearchFilters(path_prefix=NASTY[:12]))
    assert {h.chunk.path for h in nasty_prefix} == {NASTY}


def test_path_prefix_is_literal_not_a_like_pattern(store: ChunkStore) -> None:
    store.insert_chunks(
        [make_chunk("/lib/a_b/x.md", 0, "underscore folder"), make_chunk("/lib/aXb/y.md", 0, "underscore lookalike")],
        unit_vectors(2),
    )
    hits = store.search_bm25("underscore", 10, filters=SearchFilters(path_prefix="/lib/a_b/"))
    assert [h.chunk.path for h in hits] == ["/lib/a_b/x.md"]


def test_rows_without_vectors_are_bm25_only_until_set_vectors(store: ChunkStore) -> None:
    chunks, vectors = fill(store)
    late = [make_chunk("/lib/late.md", i, f"Freshly loaded zebra text number {i}.") for i in range(2)]
    store.insert_chunks(late, None)
    assert store.search_bm25("zebra", 5)[0].chunk.path == "/lib/late.md"
    late_vectors = unit_vectors(2, seed=9)
    assert all(h.chunk.path != "/lib/late.md" for h in store.search_dense(late_vectors[0], 20))
    assert sorted(store.unembedded_ids()) == sorted(c.id for c in late)
    store.set_vectors([c.id for c in late], late_vectors)
    assert store.search_dense(late_vectors[0], 1)[0].chunk == late[0]
    assert store.unembedded_ids() == []
    assert store.search_bm25("zebra", 5)[0].chunk.path == "/lib/late.md"
    assert store.count() == len(chunks) + 2


def test_reinserting_a_file_replaces_rather_than_duplicates(store: ChunkStore) -> None:
    chunks, vectors = fill(store)
    store.insert_chunks(chunks[:2], vectors[:2])
    store.flush(force=True)
    store.insert_chunks(chunks[:2], vectors[:2])
    assert store.count() == len(chunks)
    assert len(store.search_bm25("HNSW", 10)) == 1


def test_writes_are_visible_with_and_without_flush(db_uri: str) -> None:
    with ChunkStore(db_uri, dims=DIMS, model_name=MODEL, flush_rows=3) as s:
        fill(s)  # 7 rows: two automatic flushes, one row still unflushed
        assert s.count() == 7
        assert len(s.search_dense(unit_vectors(1)[0], 10)) == 7
        s.flush(force=True)
        assert len(s.search_bm25("escaping", 10)) == 2


def test_reopen_keeps_rows_and_model_record(db_uri: str) -> None:
    with ChunkStore(db_uri, dims=DIMS, model_name=MODEL) as s:
        chunks, vectors = fill(s)
    with ChunkStore(db_uri, dims=DIMS, model_name=MODEL) as s:
        assert s.stored_model() == (MODEL, DIMS)
        assert s.count() == len(chunks)
        assert s.search_dense(vectors[1], 1)[0].chunk == chunks[1]
        assert s.search_bm25("xk_7731_frobnicate", 1)[0].chunk == chunks[3]  # one token: \w+ keeps underscores
        assert sorted(c.id for c in s.iter_chunks("/lib")) == sorted(c.id for c in chunks if c.library == "/lib")


def test_existing_collection_with_other_dims_or_model_is_refused(db_uri: str) -> None:
    name = ChunkStore.collection_name_for(MODEL, DIMS)
    with ChunkStore(db_uri, collection=name, dims=DIMS, model_name=MODEL):
        pass
    with pytest.raises(StoreError, match="16"):
        ChunkStore(db_uri, collection=name, dims=16, model_name=MODEL).open()
    with pytest.raises(StoreError, match="other/model"):
        ChunkStore(db_uri, collection=name, dims=DIMS, model_name="other/model").open()
    other = ChunkStore(db_uri, dims=16, model_name=MODEL)  # its own collection: fine, side by side
    with other:
        assert other.collection != name and other.count() == 0


def test_two_stores_share_one_lite_folder(db_uri: str) -> None:
    first = ChunkStore(db_uri, dims=DIMS, model_name=MODEL)
    second = ChunkStore(db_uri, dims=16, model_name=MODEL)  # e.g. the old model answering while the new one fills
    with first, second:
        first.insert_chunks([make_chunk("/a.md", 0, "alpha")], unit_vectors(1))
        first.close()
        second.insert_chunks([make_chunk("/b.md", 0, "beta")], np.ones((1, 16)))
        assert [h.chunk.path for h in second.search_bm25("beta", 2)] == ["/b.md"]
    with first:
        assert first.count() == 1


def test_a_data_dir_locked_by_another_process_is_reported(tmp_path: Path) -> None:
    data = tmp_path / "milvus.db"
    data.mkdir()
    fd = os.open(data / "LOCK", os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a separate open file: conflicts like another process
        with pytest.raises(StoreLockedError, match="another process"):
            ChunkStore(str(data), dims=DIMS, model_name=MODEL).open()
    finally:
        os.close(fd)


def test_close_releases_the_lock_for_the_next_opener(db_uri: str) -> None:
    s = ChunkStore(db_uri, dims=DIMS, model_name=MODEL)
    s.open()
    s.close()
    fd = os.open(Path(db_uri) / "LOCK", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the closed store still held it
    finally:
        os.close(fd)


def test_unusable_locations_raise_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the data folder"):
        ChunkStore(str(blocker / "milvus.db"), dims=DIMS, model_name=MODEL).open()
    with pytest.raises(StoreError, match=r"\.db"):
        ChunkStore(str(tmp_path / "milvus"), dims=DIMS, model_name=MODEL).open()


def test_unreachable_server_raises_store_error() -> None:
    s = ChunkStore("http://127.0.0.1:9", dims=DIMS, model_name=MODEL, timeout_s=2)
    with pytest.raises(StoreError, match="127.0.0.1:9"):
        s.open()
    assert not s.is_open


def test_misuse_raises_store_error(db_uri: str) -> None:
    s = ChunkStore(db_uri, dims=DIMS, model_name=MODEL)
    with pytest.raises(StoreError, match="not open"):
        s.search_bm25("x", 1)
    with s:
        with pytest.raises(StoreError, match="vectors"):
            s.insert_chunks([make_chunk("/a.md", 0, "x")], np.ones((1, DIMS + 1)))
        with pytest.raises(StoreError):
            s.set_vectors(["missing-id"], unit_vectors(1))


def test_oversized_text_and_headings_are_clipped_not_rejected(store: ChunkStore) -> None:
    long = Chunk(
        id="long-0",
        library="/lib",
        path="/lib/long.md",
        chunk_no=0,
        text="wörd " * 20000,
        char_start=0,
        char_end=100000,
        headings=tuple("h" * 400 for _ in range(40)),
    )
    store.insert_chunks([long], unit_vectors(1))
    (hit,) = store.search_bm25("wörd", 1)
    assert 60000 < len(hit.chunk.text.encode()) <= 65535
    assert hit.chunk.headings and len(hit.chunk.headings[-1]) == 300


def test_filter_expressions_escape_every_value() -> None:
    assert quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'
    assert build_filter(None) == ""
    expr = build_filter(SearchFilters(libraries=('x"y',), path_prefix="/p", file_types=(".MD",)), embedded_only=True)
    assert (
        expr == '(embedded == true) and (library == "x\\"y") and (path >= "/p") and (path < "/q") and (suffix == "md")'
    )
    assert suffix_of("/a/b.tar.GZ") == "gz" and suffix_of("/a/.bashrc") == "" and suffix_of("C:\\x\\y.Pdf") == "pdf"

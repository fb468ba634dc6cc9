"""The vectorised Milvus Lite BM25 internals agree with the stock pure-Python ones."""

from __future__ import annotations

import random

import numpy as np
import pytest

from engine.store.lite_patch import fast_bytes_to_sparse, fast_sparse_to_bytes, install, make_fast_index_class


def random_docs(n: int, seed: int = 0) -> list[dict[int, float]]:
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        doc: dict[int, float] = {}
        for _ in range(rng.randint(0, 40)):  # some empty docs too
            term = int(rng.paretovariate(1.2) * 7) % 2000  # Zipf-like: a few very common terms
            doc[term] = doc.get(term, 0.0) + 1.0
        docs.append(doc)
    return docs


def test_sparse_codec_matches_stock() -> None:
    from milvus_lite.analyzer.sparse import bytes_to_sparse, sparse_to_bytes

    for doc in random_docs(200) + [{2**32 - 1: 0.5, 0: 3.25}]:
        packed = sparse_to_bytes(doc)
        assert fast_sparse_to_bytes(doc) == packed
        assert fast_bytes_to_sparse(packed) == bytes_to_sparse(packed)
    with pytest.raises(ValueError):
        fast_bytes_to_sparse(b"\x00" * 7)


@pytest.mark.parametrize("decoded", ["fast", "plain"])
def test_fast_index_scores_like_stock(decoded: str) -> None:
    from milvus_lite.analyzer.sparse import sparse_to_bytes
    from milvus_lite.index.sparse_inverted import SparseInvertedIndex

    docs = random_docs(1500)
    rows = [fast_bytes_to_sparse(sparse_to_bytes(d)) for d in docs] if decoded == "fast" else docs
    rng = np.random.default_rng(1)
    build_mask = rng.random(len(docs)) > 0.1
    stock = SparseInvertedIndex(k1=1.2, b=0.75)
    stock.build(docs, valid_mask=build_mask)
    fast = make_fast_index_class(SparseInvertedIndex)(k1=1.2, b=0.75)
    fast.build(rows, valid_mask=build_mask)
    assert fast.doc_count == stock.doc_count and fast.avgdl == pytest.approx(stock.avgdl)
    queries = [
        {int(t): float(w) for t, w in zip(rng.integers(0, 60, 3), rng.integers(1, 3, 3), strict=True)}
        for _ in range(40)
    ]
    queries.append({987654321: 1.0})  # unknown term: no hits
    for search_mask in (None, rng.random(len(docs)) > 0.3):
        ids_s, dist_s = stock.search(queries, 15, valid_mask=search_mask)
        ids_f, dist_f = fast.search(queries, 15, valid_mask=search_mask)
        np.testing.assert_allclose(dist_f, dist_s, rtol=1e-5)
        # Ids may differ only in tie order: every id scoring strictly better than the last shown is in both.
        for q in range(len(queries)):
            last = dist_s[q][-1]
            clear = dist_s[q] < last - 1e-6 * max(1.0, abs(last)) if np.isfinite(last) else ids_s[q] >= 0
            assert set(ids_s[q][clear]) <= set(ids_f[q]), q
            assert len(set(ids_f[q][ids_f[q] >= 0])) == (ids_f[q] >= 0).sum()


def test_install_is_idempotent_and_keeps_bm25_working(tmp_path) -> None:
    from engine.store.chunk_store import ChunkStore
    from engine.types import Chunk

    assert install() is install()
    with ChunkStore(str(tmp_path / "m.db"), dims=4, model_name="m") as store:
        chunk = Chunk(id="1", library="/l", path="/l/a.md", chunk_no=0, text="Quasar pulses", char_start=0, char_end=13)
        store.insert_chunks([chunk], np.ones((1, 4)))
        store.flush(force=True)
        assert [h.chunk.id for h in store.search_bm25("quasar", 3)] == ["1"]


def _store_words(rng: random.Random, n: int) -> list[str]:
    vocab = [f"w{i}" for i in range(300)] + ["quasar", "pulsar", "nebula"]
    return [
        " ".join(rng.choice(vocab[: rng.choice((40, 300, 303))]) for _ in range(rng.randint(5, 60))) for _ in range(n)
    ]


def _bm25_scores(tmp_path, name: str, texts: list[str], flush_every: int) -> dict[str, dict[str, float]]:
    from engine.store.chunk_store import ChunkStore
    from engine.types import Chunk

    scores: dict[str, dict[str, float]] = {}
    with ChunkStore(str(tmp_path / f"{name}.db"), dims=4, model_name="m", flush_rows=0) as store:
        assert store.lite_speedups
        for start in range(0, len(texts), flush_every):
            batch = [
                Chunk(id=str(i), library="/l", path=f"/l/{i}.md", chunk_no=0, text=t, char_start=0, char_end=len(t))
                for i, t in enumerate(texts[start : start + flush_every], start)
            ]
            store.insert_chunks(batch, None)
            store.flush(force=True)
        store.insert_chunks(
            [Chunk(id="tail", library="/l", path="/l/t.md", chunk_no=0, text="quasar w1", char_start=0, char_end=9)],
            None,
        )  # one row left in the memtable
        for query in ("quasar", "nebula w7", "w3 pulsar w250"):
            scores[query] = {h.chunk.id: h.scores.bm25 for h in store.search_bm25(query, 400)}
    return scores


def test_bm25_scores_do_not_depend_on_segment_layout(tmp_path) -> None:
    """The same rows flushed as one segment or as many score the same: statistics are collection-wide."""
    texts = _store_words(random.Random(5), 400)
    one_segment = _bm25_scores(tmp_path, "one", texts, flush_every=len(texts))
    many_segments = _bm25_scores(tmp_path, "many", texts, flush_every=150)  # 3 segments: Lite compacts at 4
    for query, expected in one_segment.items():
        assert expected, query
        got = many_segments[query]
        assert got.keys() == expected.keys(), query
        for chunk_id, score in expected.items():
            assert got[chunk_id] == pytest.approx(score, rel=1e-5), (query, chunk_id)

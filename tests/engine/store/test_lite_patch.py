"""The vectorised Milvus Lite BM25 internals agree with the stock pure-Python ones."""

from __future__ import annotations

import logging
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


# ---- failing soft: a Lite without some name, or a fast path that raises, leaves BM25 search working ----------------


@pytest.fixture
def stock_lite():
    """Start from Lite's own code and a clean record; put everything back afterwards."""
    from engine.store import lite_patch

    lite_patch.uninstall()
    yield lite_patch
    lite_patch.uninstall()


TEXTS = ["Quasar pulses", "pulsar timing and quasar light", "nebula dust", "quasar quasar jets", "plain words"]


def _fill(store) -> None:
    from engine.types import Chunk

    chunks = [
        Chunk(id=str(i), library="/l", path=f"/l/{i}.md", chunk_no=0, text=t, char_start=0, char_end=len(t))
        for i, t in enumerate(TEXTS)
    ]
    store.insert_chunks(chunks, np.ones((len(chunks), 4)))
    store.flush(force=True)


def _search(store, query: str = "quasar") -> list[tuple[str, float]]:
    return [(h.chunk.id, h.scores.bm25) for h in store.search_bm25(query, 10)]


def _patch_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "engine.patches" and r.levelno == logging.WARNING]


@pytest.mark.parametrize("name", ["empty_results", "validate_mask"])
def test_a_missing_lite_name_keeps_lite_stock_and_bm25_working(stock_lite, monkeypatch, tmp_path, caplog, name) -> None:
    from milvus_lite.index import sparse_common

    from engine import patches
    from engine.store.chunk_store import ChunkStore

    monkeypatch.delattr(sparse_common, name)  # as a minor Lite release could
    with caplog.at_level(logging.WARNING, logger="engine.patches"):
        for attempt in ("a", "b"):  # a second store: no second warning
            with ChunkStore(str(tmp_path / f"{attempt}.db"), dims=4, model_name="m") as store:
                assert not store.lite_speedups
                _fill(store)
                assert {i for i, _ in _search(store)} == {"0", "1", "3"}
    state = patches.state(patches.MILVUS_LITE_BM25)
    assert state is not None and not state.active
    assert state.why == f"missing milvus_lite.index.sparse_common.{name}"
    warnings = _patch_warnings(caplog)
    assert len(warnings) == 1 and "milvus_lite_bm25" in warnings[0] and name in warnings[0]


def test_another_lite_version_is_left_alone(stock_lite, monkeypatch, caplog) -> None:
    import milvus_lite

    from engine import patches

    monkeypatch.setattr(milvus_lite, "__version__", "4.0.0")
    with caplog.at_level(logging.WARNING, logger="engine.patches"):
        assert stock_lite.install() is False
    assert patches.states()[patches.MILVUS_LITE_BM25] == {"active": False, "why": "milvus-lite 4.0.0 not supported"}
    assert len(_patch_warnings(caplog)) == 1


def test_disabled_by_the_environment_is_recorded_without_a_warning(stock_lite, monkeypatch, caplog) -> None:
    from engine import patches

    monkeypatch.setenv("TANSAKU_LITE_SPEEDUPS", "0")
    with caplog.at_level(logging.WARNING, logger="engine.patches"):
        assert stock_lite.install() is False
    assert patches.states()[patches.MILVUS_LITE_BM25] == {
        "active": False,
        "why": "disabled by TANSAKU_LITE_SPEEDUPS=0",
    }
    assert _patch_warnings(caplog) == []


@pytest.mark.parametrize("breakage", ["empty_results removed after install", "statistics raise"])
def test_a_failure_at_call_time_runs_lite_for_that_call_and_turns_the_patch_off(
    stock_lite, monkeypatch, tmp_path, caplog, breakage
) -> None:
    from milvus_lite.index import sparse_common

    from engine import patches
    from engine.store.chunk_store import ChunkStore

    with ChunkStore(str(tmp_path / "m.db"), dims=4, model_name="m") as store:
        assert store.lite_speedups
        _fill(store)  # one segment, empty memtable: collection-wide and per-segment statistics agree
        fast = _search(store)
        assert {i for i, _ in fast} == {"0", "1", "3"}
        if breakage == "statistics raise":

            def boom(*args, **kwargs):
                raise RuntimeError("Lite moved its segments")

            monkeypatch.setattr(stock_lite, "collection_bm25_stats", boom)
        else:
            monkeypatch.delattr(sparse_common, "empty_results")
        with caplog.at_level(logging.WARNING, logger="engine.patches"):
            stock = _search(store)
            again = _search(store)
        assert [i for i, _ in stock] == [i for i, _ in fast] == [i for i, _ in again]
        for (_, got), (_, want) in zip(stock, fast, strict=True):
            assert got == pytest.approx(want, rel=1e-5)
    state = patches.state(patches.MILVUS_LITE_BM25)
    assert state is not None and not state.active and state.why.startswith("failed at call")
    assert ("RuntimeError" if breakage == "statistics raise" else "ImportError") in state.why
    warnings = _patch_warnings(caplog)
    assert len(warnings) == 1 and "milvus_lite_bm25" in warnings[0]
    with ChunkStore(str(tmp_path / "later.db"), dims=4, model_name="m") as later:  # stays on the stock code
        assert not later.lite_speedups
        _fill(later)
        assert {i for i, _ in _search(later)} == {"0", "1", "3"}

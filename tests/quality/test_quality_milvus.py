"""Retrieval quality on the Milvus 2.4 docs with all-MiniLM-L6-v2, indexed once through the real pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.engine import Engine
from tests.quality.corpora import Corpus
from tests.quality.harness import IndexStats, evaluate, file_ranking

# The session fixture indexes the whole corpus with MiniLM (~6-9 min on 2 busy cores): more than the default 600 s.
pytestmark = [pytest.mark.quality, pytest.mark.slow, pytest.mark.timeout(1800)]


def test_every_doc_is_indexed(milvus_index: tuple[Engine, Corpus, IndexStats]) -> None:
    engine, corpus, _ = milvus_index  # the report, not this run's count: a reused index indexes nothing new
    assert len(engine.report(statuses=["indexed"])) == len(list(Path(corpus.folder).rglob("*.md")))
    assert engine.report(statuses=["failed"]) == []


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_where_does_milvus_store_data_ranks_product_faq_first(
    milvus_index: tuple[Engine, Corpus, IndexStats], mode: str
) -> None:
    engine, corpus, _ = milvus_index
    hits = engine.search("Where does Milvus store data?", k=10, mode=mode, rerank=False)
    assert file_ranking(hits, corpus.folder)[0] == "faq/product_faq.md"


# Measured with all-MiniLM-L6-v2, fp32, collection-wide BM25 statistics: dense 0.887, bm25 0.869, hybrid 0.909 (weighted)
# nDCG@10 (python -m tests.quality.harness --corpus milvus --no-rerank). Before the BM25 statistics were collection-wide,
# BM25 ranged 0.79-0.83 with the segment layout and hybrid could fall below dense.
# The floors sit ~5 points below, so they catch a broken stage without tripping on small model/CPU differences.
FLOORS = {"dense": 0.83, "bm25": 0.82, "hybrid": 0.86}
# The fusion tuned on this set and confirmed on SciFact (now also EngineConfig's default), stated here so the claim
# "hybrid beats both single modes" stays pinned to the setting it was measured for.
TUNED_FUSION = {"fusion": "weighted", "dense_weight": 0.5, "bm25_weight": 0.5}


def test_every_mode_stays_above_its_floor(milvus_index: tuple[Engine, Corpus, IndexStats]) -> None:
    engine, corpus, _ = milvus_index
    results = evaluate(engine, corpus, ("dense", "bm25", "hybrid"))
    summary = {mode: round(m.ndcg10, 3) for mode, m in results.items()}
    for mode, floor in FLOORS.items():
        assert results[mode].ndcg10 >= floor, summary


def test_tuned_hybrid_beats_dense_and_bm25(milvus_index: tuple[Engine, Corpus, IndexStats]) -> None:
    engine, corpus, _ = milvus_index
    defaults = engine.config
    engine.config = defaults.with_changes(**TUNED_FUSION)
    try:
        results = evaluate(engine, corpus, ("dense", "bm25", "hybrid"))
    finally:
        engine.config = defaults
    summary = {mode: round(m.ndcg10, 3) for mode, m in results.items()}
    assert results["hybrid"].ndcg10 > max(results["dense"].ndcg10, results["bm25"].ndcg10), summary

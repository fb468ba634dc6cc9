"""Japanese keyword search quality: the Japanese Milvus docs and dev-ja questions, BM25 over segmented words."""

from __future__ import annotations

import pytest

from engine.engine import Engine
from tests.quality.corpora import Corpus
from tests.quality.harness import IndexStats, evaluate, file_ranking

# The session fixture indexes the whole corpus with MiniLM (~6-9 min on 2 busy cores): more than the default 600 s.
pytestmark = [pytest.mark.quality, pytest.mark.slow, pytest.mark.timeout(1800)]

# Measured: python -m tests.quality.harness --corpus milvus-ja --no-rerank (MiniLM's 256-token chunks): BM25 hit@5
# 0.975, MRR@10 0.887, nDCG@10 0.903. Before word segmentation: hit@5 0.700, MRR@10 0.644 (issue 15); segmented but
# with the docs' HTML read as text (before mostly-HTML markdown was rendered): hit@5 0.900, MRR@10 0.836.
# The floors are issue 15's goals, a few points below the measurement.
FLOORS = {"hit5": 0.90, "mrr10": 0.85}


def test_japanese_bm25_stays_above_its_floors(milvus_ja_index: tuple[Engine, Corpus, IndexStats]) -> None:
    engine, corpus, _ = milvus_ja_index
    metrics = evaluate(engine, corpus, ("bm25",))["bm25"]
    summary = {"hit5": round(metrics.hit5, 3), "mrr10": round(metrics.mrr10, 3)}
    for name, floor in FLOORS.items():
        assert getattr(metrics, name) >= floor, summary


def test_a_question_in_japanese_finds_its_faq(milvus_ja_index: tuple[Engine, Corpus, IndexStats]) -> None:
    engine, corpus, _ = milvus_ja_index
    question = next(q for q in corpus.questions if q.id == "d001-ja")  # max_length, VARCHAR, バイト数 ...
    hits = engine.search(question.text, k=20, mode="bm25", rerank=False)
    assert set(file_ranking(hits, corpus.folder)[:5]) & set(question.relevant)

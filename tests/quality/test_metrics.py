"""The harness's file-level metrics on hand-computed rankings."""

from __future__ import annotations

import math

import pytest

from tests.quality.metrics import dedupe, hit_at, mrr_at, ndcg_at, score_runs


def test_dedupe_keeps_each_file_at_its_best_rank() -> None:
    assert dedupe(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


def test_hit_and_mrr_count_the_first_relevant_file() -> None:
    ranked = ["x", "y", "rel", "z"]
    relevant = {"rel": 1.0}
    assert hit_at(ranked, relevant, 1) == 0.0
    assert hit_at(ranked, relevant, 3) == 1.0
    assert mrr_at(ranked, relevant, 10) == pytest.approx(1 / 3)
    assert mrr_at(ranked, relevant, 2) == 0.0


def test_ndcg_with_two_relevant_files() -> None:
    relevant = {"a": 1.0, "b": 1.0}
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at(["a", "b", "c"], relevant, 10) == pytest.approx(1.0)
    assert ndcg_at(["c", "a", "b"], relevant, 10) == pytest.approx((1 / math.log2(3) + 1 / 2) / ideal)
    assert ndcg_at(["c", "d"], relevant, 10) == 0.0
    assert ndcg_at(["c", "a"], relevant, 1) == 0.0


def test_score_runs_averages_over_questions() -> None:
    m = score_runs([(["a", "b"], {"a": 1.0}), (["b", "a"], {"a": 1.0})])
    assert m.n == 2
    assert m.hit1 == pytest.approx(0.5)
    assert m.mrr10 == pytest.approx(0.75)
    assert m.ndcg10 == pytest.approx((1 + 1 / math.log2(3)) / 2)

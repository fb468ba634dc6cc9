"""fuse(): RRF and weighted fusion of dense and BM25 hit lists."""

from __future__ import annotations

import pytest

from engine.search.fusion import fuse
from engine.types import Chunk, Hit, Scores


def chunk(cid: str) -> Chunk:
    return Chunk(id=cid, library="/lib", path=f"/lib/{cid}.md", chunk_no=0, text=cid, char_start=0, char_end=len(cid))


def dense_hits(*pairs: tuple[str, float]) -> list[Hit]:
    return [Hit(chunk(c), Scores(dense=s, dense_rank=r)) for r, (c, s) in enumerate(pairs, start=1)]


def bm25_hits(*pairs: tuple[str, float]) -> list[Hit]:
    return [Hit(chunk(c), Scores(bm25=s, bm25_rank=r)) for r, (c, s) in enumerate(pairs, start=1)]


DENSE = dense_hits(("a", 0.9), ("b", 0.8), ("c", 0.1))
BM25 = bm25_hits(("c", 12.0), ("d", 6.0), ("a", 3.0))


def ids(hits: list[Hit]) -> list[str]:
    return [h.chunk.id for h in hits]


def test_rrf_rewards_hits_found_by_both_and_keeps_every_score() -> None:
    fused = fuse(DENSE, BM25, limit=10)
    assert ids(fused) == ["a", "c", "b", "d"]  # a: ranks 1+3, c: ranks 3+1 (tie, dense-first order), then singles
    a = fused[0].scores
    assert (a.dense, a.dense_rank, a.bm25, a.bm25_rank) == (0.9, 1, 3.0, 3)
    assert a.fused == pytest.approx(0.5 / 61 + 0.5 / 63)
    d = fused[3].scores
    assert (d.dense, d.dense_rank, d.bm25, d.bm25_rank) == (None, None, 6.0, 2)
    assert [h.scores.fused for h in fused] == sorted((h.scores.fused for h in fused), reverse=True)


def test_limit_and_empty_inputs() -> None:
    assert ids(fuse(DENSE, BM25, limit=2)) == ["a", "c"]
    assert fuse([], [], limit=5) == []
    assert ids(fuse(DENSE, [], limit=5)) == ["a", "b", "c"]
    assert ids(fuse([], BM25, limit=5)) == ["c", "d", "a"]
    assert fuse(DENSE, BM25, limit=0) == []


def test_rrf_weights_shift_the_order() -> None:
    assert ids(fuse(DENSE, BM25, dense_weight=1.0, bm25_weight=0.0, limit=4))[:3] == ["a", "b", "c"]
    assert ids(fuse(DENSE, BM25, dense_weight=0.0, bm25_weight=1.0, limit=4))[:3] == ["c", "d", "a"]
    assert fuse(DENSE, BM25, k=1, limit=1)[0].scores.fused == pytest.approx(0.5 / 2 + 0.5 / 4)


def test_weighted_normalises_each_list_to_unit_range() -> None:
    fused = fuse(DENSE, BM25, method="weighted", limit=10)
    by_id = {h.chunk.id: h.scores.fused for h in fused}
    assert by_id["a"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)  # best dense, worst bm25
    assert by_id["c"] == pytest.approx(0.5 * 0.0 + 0.5 * 1.0)
    assert by_id["b"] == pytest.approx(0.5 * (0.7 / 0.8))
    assert by_id["d"] == pytest.approx(0.5 * (3.0 / 9.0))
    assert ids(fused) == ["a", "c", "b", "d"]
    heavy_bm25 = fuse(DENSE, BM25, method="weighted", dense_weight=0.2, bm25_weight=0.8, limit=10)
    assert ids(heavy_bm25)[:2] == ["c", "d"]


def test_weighted_single_hit_lists_do_not_divide_by_zero() -> None:
    fused = fuse(dense_hits(("x", 0.3)), bm25_hits(("x", 2.0)), method="weighted", limit=3)
    assert fused[0].scores.fused == pytest.approx(1.0)


def test_duplicates_within_a_list_keep_their_best_position() -> None:
    dup = dense_hits(("a", 0.9), ("a", 0.5), ("b", 0.4))
    fused = fuse(dup, [], limit=5)
    assert ids(fused) == ["a", "b"] and fused[0].scores.dense == 0.9


def test_missing_ranks_come_from_list_order_and_bad_method_is_refused() -> None:
    unranked = [Hit(chunk("p"), Scores(dense=0.5)), Hit(chunk("q"), Scores(dense=0.4))]
    fused = fuse(unranked, [], limit=5)
    assert [h.scores.dense_rank for h in fused] == [1, 2]
    with pytest.raises(ValueError, match="rrf"):
        fuse(DENSE, BM25, method="max", limit=3)

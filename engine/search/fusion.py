"""Fuse dense and BM25 hit lists into one ranking (RRF or weighted min-max), keeping every stage's scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from engine.types import Hit, Scores

METHODS = ("rrf", "weighted")


def fuse(
    dense: Sequence[Hit],
    bm25: Sequence[Hit],
    *,
    method: str = "rrf",
    k: int = 60,
    dense_weight: float = 0.5,
    bm25_weight: float = 0.5,
    limit: int,
) -> list[Hit]:
    """Merge by chunk id; `fused` = sum of w/(k+rank) (rrf) or of w*min-max-normalised score (weighted).

    Ranks come from each list's order when a hit lacks one. Ties keep dense-first, then BM25 order, so the result is
    deterministic.
    """
    if method not in METHODS:
        raise ValueError(f"unknown fusion method {method!r}; use one of {METHODS}")
    if limit <= 0:
        return []
    merged = _merge(dense, bm25)
    if method == "rrf":
        fused = {cid: _rrf(s, k, dense_weight, bm25_weight) for cid, (_, s) in merged.items()}
    else:
        fused = _weighted(merged, dense_weight, bm25_weight)
    order = sorted(merged, key=lambda cid: -fused[cid])  # sorted() is stable: ties keep first-seen order
    return [Hit(merged[cid][0].chunk, replace(merged[cid][1], fused=fused[cid])) for cid in order[:limit]]


def _merge(dense: Sequence[Hit], bm25: Sequence[Hit]) -> dict[str, tuple[Hit, Scores]]:
    """chunk id -> (a hit carrying the chunk, the union of both stages' scores)."""
    merged: dict[str, tuple[Hit, Scores]] = {}
    for rank, hit in enumerate(dense, start=1):
        if hit.chunk.id in merged:
            continue  # a duplicate in one list: keep its best (first) position
        s = hit.scores
        merged[hit.chunk.id] = (hit, replace(s, dense_rank=s.dense_rank or rank))
    seen_bm25: set[str] = set()
    for rank, hit in enumerate(bm25, start=1):
        cid = hit.chunk.id
        if cid in seen_bm25:
            continue
        seen_bm25.add(cid)
        s = hit.scores
        bm25_rank = s.bm25_rank or rank
        if cid in merged:
            first, scores = merged[cid]
            merged[cid] = (first, replace(scores, bm25=s.bm25, bm25_rank=bm25_rank))
        else:
            merged[cid] = (hit, replace(s, bm25_rank=bm25_rank))
    return merged


def _rrf(s: Scores, k: int, dense_weight: float, bm25_weight: float) -> float:
    total = 0.0
    if s.dense_rank is not None:
        total += dense_weight / (k + s.dense_rank)
    if s.bm25_rank is not None:
        total += bm25_weight / (k + s.bm25_rank)
    return total


def _min_max(values: list[float]) -> tuple[float, float]:
    return (min(values), max(values)) if values else (0.0, 0.0)


def _norm(value: float | None, lo: float, hi: float) -> float:
    """Min-max to [0, 1]; a single (or all-equal) score counts as 1. A hit missing from a list contributes 0."""
    if value is None:
        return 0.0
    return 1.0 if hi <= lo else (value - lo) / (hi - lo)


def _weighted(merged: dict[str, tuple[Hit, Scores]], dense_weight: float, bm25_weight: float) -> dict[str, float]:
    d_lo, d_hi = _min_max([s.dense for _, s in merged.values() if s.dense is not None])
    b_lo, b_hi = _min_max([s.bm25 for _, s in merged.values() if s.bm25 is not None])
    return {
        cid: dense_weight * _norm(s.dense, d_lo, d_hi) + bm25_weight * _norm(s.bm25, b_lo, b_hi)
        for cid, (_, s) in merged.items()
    }

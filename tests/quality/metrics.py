"""File-level retrieval metrics: hit@k, MRR@k, nDCG@k over rankings deduplicated by file."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


def dedupe(ranked: Iterable[str]) -> list[str]:
    """Keep each file at its first (best) rank: several chunks of one file count as one result."""
    seen: set[str] = set()
    out: list[str] = []
    for item in ranked:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def hit_at(ranked: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    """1.0 if any relevant file is in the top k."""
    return 1.0 if any(r in relevant for r in ranked[:k]) else 0.0


def mrr_at(ranked: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    """Reciprocal rank of the first relevant file within the top k, else 0."""
    for rank, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    """nDCG with linear gains (as pytrec_eval/BEIR): sum gain/log2(rank+1), over the ideal ordering's."""
    gains = [g for g in relevant.values() if g > 0]
    if not gains:
        return 0.0
    dcg = sum(relevant.get(item, 0.0) / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], start=1))
    ideal = sum(g / math.log2(rank + 1) for rank, g in enumerate(sorted(gains, reverse=True)[:k], start=1))
    return dcg / ideal


@dataclass(frozen=True)
class Metrics:
    """Means over questions; `n` questions were scored."""

    n: int
    hit1: float
    hit5: float
    hit10: float
    mrr10: float
    ndcg10: float

    def row(self) -> list[str]:
        return [f"{v:.3f}" for v in (self.hit1, self.hit5, self.hit10, self.mrr10, self.ndcg10)]


def score_runs(runs: Sequence[tuple[Sequence[str], Mapping[str, float]]]) -> Metrics:
    """Average the per-question metrics of (file ranking, relevant files -> gain) pairs."""
    n = len(runs)
    if n == 0:
        return Metrics(0, 0.0, 0.0, 0.0, 0.0, 0.0)

    def mean(values: Iterable[float]) -> float:
        return sum(values) / n

    return Metrics(
        n=n,
        hit1=mean(hit_at(r, rel, 1) for r, rel in runs),
        hit5=mean(hit_at(r, rel, 5) for r, rel in runs),
        hit10=mean(hit_at(r, rel, 10) for r, rel in runs),
        mrr10=mean(mrr_at(r, rel, 10) for r, rel in runs),
        ndcg10=mean(ndcg_at(r, rel, 10) for r, rel in runs),
    )

"""Reranking within a time budget: score candidates batch by batch in fused order until the budget is spent."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True)
class BudgetedScores:
    """Scores by candidate index for the candidates reached; `seconds` is the time spent scoring."""

    scores: dict[int, float]
    seconds: float


def score_within(
    batches: Iterator[list[tuple[int, float]]],
    budget_s: float | None,
    *,
    clock: Clock = time.monotonic,
) -> BudgetedScores:
    """Take batches of (index, score) until the next one would end past the budget; the first always runs.

    The next batch is expected to take as long as the slowest one so far (a batch's pairs differ in length), so a
    search rarely overshoots its budget by more than one batch's spread. `budget_s` None or <= 0 means no limit.
    The iterator is closed when it is left unfinished, so that a generator frees its model state at once.
    """
    limit = budget_s if budget_s is not None and budget_s > 0 else None
    started = clock()
    scores: dict[int, float] = {}
    slowest = 0.0
    try:
        while True:
            now = clock()
            if limit is not None and scores and (now - started) + slowest > limit:
                break
            batch = next(batches, None)
            if batch is None:
                break
            slowest = max(slowest, clock() - now)
            scores.update(batch)
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    return BudgetedScores(scores, clock() - started)


MIN_USEFUL = 2  # scoring a single candidate cannot change the order: it is already first, and stays first


@dataclass(frozen=True)
class RerankPlan:
    """Which candidates to score, chosen before any pass from the reranker's expected cost per candidate.

    `chosen`: candidate indices in fused order (those already scored, which cost nothing, and the longest run of the
    best fused candidates whose expected cost fits the budget). `left_out_s`: the expected seconds of the first
    candidate the budget left out (0.0 when none was), for saying why the reranker stopped where it did.
    """

    chosen: list[int]
    left_out_s: float = 0.0


def plan_within(costs: list[float], budget_s: float, *, min_useful: int = MIN_USEFUL) -> RerankPlan:
    """Choose the candidates to score within `budget_s`, given each one's expected seconds (0 for a cached score).

    Candidates are taken in fused order until the next one would end past the budget. When fewer than `min_useful`
    would be scored in all, none that cost time are: one scored candidate ranks first, where it already was, so the
    pass would be time spent for the same order.
    """
    free = [i for i, cost in enumerate(costs) if cost <= 0]
    paid: list[int] = []
    spent = 0.0
    left_out = 0.0
    for i, cost in enumerate(costs):
        if cost <= 0:
            continue
        if spent + cost > budget_s:
            left_out = cost
            break
        paid.append(i)
        spent += cost
    if len(free) + len(paid) < min_useful and paid:
        left_out = costs[paid[0]]
        paid = []
    return RerankPlan(sorted(free + paid), left_out)

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

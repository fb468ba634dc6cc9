"""How a turn's sources were ordered, in words: "Ranking…" while the reranker works, then how far it got."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.engine_worker import SearchResult
from desktop.i18n import translate

RANKING = "ranking"  # the fused list is shown; the reranker is still at work
PARTIAL = "partial"  # the reranker's time budget ran out before it reached every candidate
UNRANKED = "unranked"  # stopped (or failed) while the reranker worked: the fused order stays


@dataclass(frozen=True)
class Ranking:
    """A turn's ranking state; state "" says nothing (no reranker asked for, or every candidate ranked)."""

    state: str = ""
    ranked: int = 0
    candidates: int = 0
    seconds: float = 0.0

    @classmethod
    def early(cls, found: SearchResult) -> Ranking:
        return cls(RANKING, 0, found.rerank_candidates)

    @classmethod
    def final(cls, found: SearchResult) -> Ranking:
        if found.partly_reranked:
            return cls(PARTIAL, found.reranked_count, found.rerank_candidates, found.rerank_seconds)
        return cls()

    def stopped(self) -> Ranking:
        """The turn ended before the reranked list came: the early list stays, in fused order."""
        return Ranking(UNRANKED, 0, self.candidates) if self.state == RANKING else self

    @property
    def pending(self) -> bool:
        return self.state == RANKING


def ranking_words(ranking: Ranking) -> str:
    """One short line above the sources; "" when there is nothing worth saying."""
    if ranking.state == RANKING:
        return translate("Ranking", "Ranking…")
    if ranking.state == PARTIAL:
        return translate(
            "Ranking",
            "{ranked} of {candidates} ranked by the reranker in {seconds} s; the rest keep keyword + meaning order",
        ).format(ranked=ranking.ranked, candidates=ranking.candidates, seconds=f"{ranking.seconds:.1f}")
    if ranking.state == UNRANKED:
        return translate("Ranking", "Not ranked by the reranker: keyword + meaning order")
    return ""


def ranking_tooltip(ranking: Ranking) -> str:
    if ranking.state == RANKING:
        return translate(
            "Ranking",
            "Shown in keyword + meaning order for now. The reranker is reading the passages to put the ones that "
            "answer the question first; the list reorders in place when it is done.",
        )
    if ranking.state == PARTIAL:
        return translate(
            "Ranking",
            "The reranker reads passages in keyword + meaning order until its time is spent (set in Settings → "
            "Models). The ones it ranked come first; the others follow in keyword + meaning order.",
        )
    if ranking.state == UNRANKED:
        return translate(
            "Ranking",
            "The question ended before the reranker finished, so the passages keep the order in which keyword and "
            "meaning search found them.",
        )
    return ""

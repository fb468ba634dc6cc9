"""How a turn's sources were ordered, in words: "Ranking…" while the reranker works, then how far it got."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.engine_worker import SearchResult
from desktop.i18n import translate

KEYWORDS = "keywords"  # the keyword matches are shown; the search by meaning (and the reranker) still at work
RANKING = "ranking"  # the fused list is shown; the reranker is still at work
PARTIAL = "partial"  # the reranker's time budget ran out before it reached every candidate
SKIPPED = "skipped"  # the budget could not fit two candidates at the reranker's measured speed: none was ranked
UNRANKED = "unranked"  # stopped (or failed) while the reranker worked: the fused order stays
KEYWORDS_ONLY = "keywords_only"  # stopped before the search by meaning: the keyword matches stay


@dataclass(frozen=True)
class Ranking:
    """A turn's ranking state; state "" says nothing (no reranker asked for, or every candidate ranked)."""

    state: str = ""
    ranked: int = 0
    candidates: int = 0
    seconds: float = 0.0
    budget: float = 0.0  # SKIPPED: the budget, and `seconds` the expected time of one candidate

    @classmethod
    def early(cls, found: SearchResult) -> Ranking:
        state = KEYWORDS if found.early_stage == "keywords" else RANKING
        return cls(state, 0, found.rerank_candidates)

    @classmethod
    def final(cls, found: SearchResult) -> Ranking:
        if found.reranked and found.reranked_count == 0 and found.rerank_left_out_s > 0:
            return cls(SKIPPED, 0, found.rerank_candidates, found.rerank_left_out_s, found.rerank_budget_s)
        if found.partly_reranked:
            return cls(PARTIAL, found.reranked_count, found.rerank_candidates, found.rerank_seconds)
        return cls()

    def stopped(self) -> Ranking:
        """The turn ended before the final list came: the early list stays, in its own order."""
        if self.state == KEYWORDS:
            return Ranking(KEYWORDS_ONLY, 0, self.candidates)
        return Ranking(UNRANKED, 0, self.candidates) if self.state == RANKING else self

    @property
    def pending(self) -> bool:
        return self.state in (KEYWORDS, RANKING)


def ranking_words(ranking: Ranking) -> str:
    """One short line above the sources; "" when there is nothing worth saying."""
    words = _texts().get(ranking.state, ("", ""))[0]
    return words.format(
        ranked=ranking.ranked,
        candidates=ranking.candidates,
        seconds=f"{ranking.seconds:.1f}",
        budget=f"{ranking.budget:g}",
    )


def ranking_tooltip(ranking: Ranking) -> str:
    return _texts().get(ranking.state, ("", ""))[1]


def _texts() -> dict[str, tuple[str, str]]:
    """Each state's (line, tooltip), translated at each call: the window's language can change while it runs.
    The translate() calls stay literal for lupdate."""
    return {
        KEYWORDS: (
            translate("Ranking", "Keyword matches so far · searching by meaning…"),
            translate(
                "Ranking",
                "These passages contain words of the question. The search by meaning is still running; the list "
                "reorders in place when it is done.",
            ),
        ),
        RANKING: (
            translate("Ranking", "Ranking…"),
            translate(
                "Ranking",
                "Shown in keyword + meaning order for now. The reranker is reading the passages to put the ones that "
                "answer the question first; the list reorders in place when it is done.",
            ),
        ),
        SKIPPED: (
            translate(
                "Ranking",
                "Not ranked: the reranker needs about {seconds} s a passage here, and its {budget} s (Settings → "
                "Models) fit fewer than two",
            ),
            translate(
                "Ranking",
                "The reranker reads each passage in full, which takes this computer longer than the time set for it. "
                "Ranking a single passage could not change the order, so none was ranked and the answer came sooner. "
                "Raise the time in Settings → Models to have the best candidates ranked.",
            ),
        ),
        KEYWORDS_ONLY: (
            translate("Ranking", "Stopped before the search by meaning: keyword matches only"),
            translate(
                "Ranking",
                "The question ended before the search by meaning finished, so these are the passages that contain "
                "its words, in keyword order.",
            ),
        ),
        PARTIAL: (
            translate(
                "Ranking",
                "{ranked} of {candidates} ranked by the reranker in {seconds} s; the rest keep keyword + meaning order",
            ),
            translate(
                "Ranking",
                "The reranker reads passages in keyword + meaning order until its time is spent (set in Settings → "
                "Models). The ones it ranked come first; the others follow in keyword + meaning order.",
            ),
        ),
        UNRANKED: (
            translate("Ranking", "Not ranked by the reranker: keyword + meaning order"),
            translate(
                "Ranking",
                "The question ended before the reranker finished, so the passages keep the order in which keyword "
                "and meaning search found them.",
            ),
        ),
    }

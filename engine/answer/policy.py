"""The answer policy: abstain when nothing is relevant, list passages when no model can answer, else ask the LLM."""

from __future__ import annotations

from collections.abc import Sequence

from engine.answer.citations import format_abstention, format_search_only, list_citations
from engine.types import Answer, Hit, SearchHits

ABSTAINED = "abstained"
SEARCH_ONLY = "search_only"


def decide(hits: Sequence[Hit], *, abstain_threshold: float, llm_available: bool) -> str | None:
    """Return "abstained", "search_only", or None when the LLM should answer."""
    if not hits:
        return ABSTAINED
    reranked = [h.scores.rerank for h in hits if h.scores.rerank is not None]
    # Without a reranker there is no calibrated score to abstain on: fused/RRF scores are ranks, not relevance. After
    # a partial rerank (the time budget ran out) the unscored candidates have no such score either, and any of them
    # may be the relevant one: low scores among the scored few do not show that the documents lack the answer.
    if reranked and max(reranked) < abstain_threshold and not unscored_candidates_remain(hits):
        return ABSTAINED
    return None if llm_available else SEARCH_ONLY


def unscored_candidates_remain(hits: Sequence[Hit]) -> bool:
    """Some candidates were left unscored by a reranking cut short by its time budget.

    Said by `SearchHits` counts (which also cover candidates below the top k), or seen in the hits themselves: a mix
    of scored and unscored passages only comes from a partial rerank.
    """
    if isinstance(hits, SearchHits) and hits.reranked and hits.reranked_count < hits.rerank_candidates:
        return True
    scored = [h.scores.rerank is not None for h in hits]
    return any(scored) and not all(scored)


def search_only_answer(question: str, hits: Sequence[Hit]) -> Answer:
    """No key and no endpoint: the ranked passages are the answer, labelled as such."""
    hits = tuple(hits)
    return Answer(question, format_search_only(question, hits), "search_only", hits, list_citations(hits))


def abstention_answer(question: str, hits: Sequence[Hit]) -> Answer:
    """Nothing relevant enough: say so and show the closest passages; no LLM call."""
    hits = tuple(hits)
    return Answer(question, format_abstention(question, hits), "abstained", hits, list_citations(hits))

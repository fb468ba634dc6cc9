"""The answer policy after a reranking cut short by its time budget: low scores among the few scored passages do not
make "not in your documents" while unscored candidates remain."""

from __future__ import annotations

from engine.answer.policy import ABSTAINED, SEARCH_ONLY, decide, unscored_candidates_remain
from engine.types import Chunk, Hit, Scores, SearchHits

THRESHOLD = 0.05


def hit(n: int, rerank: float | None) -> Hit:
    chunk = Chunk(f"c{n}", "lib", f"docs/file{n}.md", n, f"passage {n}", 0, 9)
    return Hit(chunk, Scores(fused=1.0 / (60 + n), rerank=rerank))


def test_fully_reranked_low_scores_abstain() -> None:
    hits = SearchHits([hit(1, 0.01), hit(2, 0.02)], reranked=True, reranked_count=2, rerank_candidates=2)
    assert not unscored_candidates_remain(hits)
    assert decide(hits, abstain_threshold=THRESHOLD, llm_available=True) == ABSTAINED


def test_partial_rerank_below_the_top_k_does_not_abstain() -> None:
    # The top k are all scored (scored hits rank first) and low, but 8 of 10 candidates were never scored.
    hits = SearchHits([hit(1, 0.01), hit(2, 0.02)], reranked=True, reranked_count=2, rerank_candidates=10)
    assert unscored_candidates_remain(hits)
    assert decide(hits, abstain_threshold=THRESHOLD, llm_available=True) is None
    assert decide(hits, abstain_threshold=THRESHOLD, llm_available=False) == SEARCH_ONLY


def test_partial_rerank_seen_in_a_plain_list_of_hits_does_not_abstain() -> None:
    # The desktop sends hits across threads; a list mixing scored and unscored passages is a partial rerank too.
    hits = [hit(1, 0.01), hit(2, None), hit(3, None)]
    assert unscored_candidates_remain(hits)
    assert decide(hits, abstain_threshold=THRESHOLD, llm_available=True) is None


def test_a_relevant_scored_passage_still_answers_and_no_hits_still_abstain() -> None:
    hits = SearchHits([hit(1, 0.9), hit(2, None)], reranked=True, reranked_count=1, rerank_candidates=2)
    assert decide(hits, abstain_threshold=THRESHOLD, llm_available=True) is None
    assert decide(SearchHits(), abstain_threshold=THRESHOLD, llm_available=True) == ABSTAINED
    assert decide([hit(1, 0.01)], abstain_threshold=THRESHOLD, llm_available=True) == ABSTAINED

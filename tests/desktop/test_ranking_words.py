"""The line under the sources for each ranking state, from the search's own counts (desktop/ranking.py)."""

from __future__ import annotations

from desktop.engine_worker import SearchResult
from desktop.ranking import Ranking, ranking_tooltip, ranking_words


def test_each_early_stage_has_its_words_and_stopping_keeps_the_right_order_named() -> None:
    keywords = Ranking.early(SearchResult((), rerank_pending=True, rerank_candidates=20, early_stage="keywords"))
    fused = Ranking.early(SearchResult((), rerank_pending=True, rerank_candidates=20, early_stage="fused"))
    assert ranking_words(keywords) == "Keyword matches so far · searching by meaning…" and keywords.pending
    assert ranking_words(fused) == "Ranking…" and fused.pending
    assert ranking_words(keywords.stopped()) == "Stopped before the search by meaning: keyword matches only"
    assert ranking_words(fused.stopped()) == "Not ranked by the reranker: keyword + meaning order"
    assert not keywords.stopped().pending and "keyword order" in ranking_tooltip(keywords.stopped())


def test_final_words_tell_a_skipped_reranker_from_a_partial_and_a_full_one() -> None:
    skipped = Ranking.final(
        SearchResult(
            (), reranked=True, reranked_count=0, rerank_candidates=20, rerank_budget_s=3.0, rerank_left_out_s=4.04
        )
    )
    assert ranking_words(skipped) == (
        "Not ranked: the reranker needs about 4.0 s a passage here, and its 3 s (Settings → Models) fit fewer than two"
    )
    partial = Ranking.final(
        SearchResult(
            (), reranked=True, reranked_count=2, rerank_candidates=20, rerank_seconds=2.6, rerank_left_out_s=1.3
        )
    )
    assert ranking_words(partial).startswith("2 of 20 ranked by the reranker in 2.6 s")
    full = Ranking.final(SearchResult((), reranked=True, reranked_count=20, rerank_candidates=20))
    assert ranking_words(full) == "" and ranking_tooltip(full) == ""
    # A search whose reranker was off or missing never claims a skipped ranking.
    assert ranking_words(Ranking.final(SearchResult((), rerank_left_out_s=4.0))) == ""

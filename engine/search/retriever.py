"""Question -> dense and BM25 candidates -> fusion -> Qwen3 rerank -> the top hits."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Protocol

from engine.cancel import CancelToken
from engine.config import EngineConfig
from engine.errors import ConfigError, ModelLoadError
from engine.models.script_probe import scripts_in
from engine.search.fusion import fuse
from engine.search.rerank_budget import Clock, plan_within, score_within
from engine.types import Hit, SearchHits

MODES = ("hybrid", "dense", "bm25")
# Hybrid search asks the dense side only when the embedder knows at least 95 % of the question's tokens. Measured with
# all-MiniLM-L6-v2 (python -m tests.quality.harness, --no-rerank): dev-ja hybrid MRR@10 0.695 -> 0.875 (BM25 alone
# 0.887; 38 of 40 questions have 3-26 % unknown tokens), English dev 0.912 -> 0.925 (its 3 questions in Japanese or
# Chinese now rank by keywords). Qwen3's byte-level vocabulary has no unknown token, so with it hybrid is unchanged.
# The same bound applies to a plain sentence in each script the question uses (models/script_probe.py): that catches
# "common.usePartitionKeyAsClusteringKey とは" (no unknown token, yet MiniLM cannot read Japanese) and brought dev-ja
# hybrid to BM25's 0.975 / 0.887 / 0.903 (hit@5 / MRR@10 / nDCG@10); English dev unchanged at 0.950 / 0.925 / 0.925.
MAX_UNKNOWN_SHARE = 0.05


class RerankerFailed(ModelLoadError):
    """The reranker's provider could not give one during a search: the search goes on in fused order."""


class QueryEmbedder(Protocol):
    """What the retriever needs of an embedder (models/embedder.py)."""

    def embed_query(self, text: str) -> Any: ...

    def unknown_share(self, text: str) -> float: ...

    def script_unknown_share(self, script: str) -> float: ...


class PassageScorer(Protocol):
    """What the retriever needs of a reranker (models/reranker.py)."""

    @property
    def device(self) -> str: ...

    def score_batches(
        self, query: str, documents: Sequence[str], *, cancel: CancelToken | None = None, in_order: bool = True
    ) -> Iterator[list[tuple[int, float]]]: ...

    def estimate_seconds(self, query: str, documents: Sequence[str]) -> list[float] | None: ...


EarlyHits = Callable[[SearchHits], None]


class Retriever:
    """Runs one search; models come from providers so that BM25-only search never loads them."""

    def __init__(
        self,
        config: EngineConfig,
        store,
        embedder: Callable[[], QueryEmbedder],
        reranker: Callable[[], PassageScorer],
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self.config = config
        self.store = store
        self._embedder = embedder
        self._reranker = reranker
        self._clock = clock  # the rerank budget's; tests pass a fake one

    def search(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: str = "hybrid",
        rerank: bool | None = None,
        filters=None,
        cancel: CancelToken | None = None,
        on_fused: EarlyHits | None = None,
        budget_s: float | None = None,
        on_keywords: EarlyHits | None = None,
    ) -> SearchHits:
        """The top k; with reranking, `on_fused` first gets the fused top k (see `rerank` for `budget_s`), and in
        hybrid mode `on_keywords` gets the keyword matches before the question's embedding is computed. When the
        reranker provider raises RerankerFailed the fused top k come back, `rerank_unavailable` saying why."""
        top = k or self.config.top_n
        do_rerank = self.config.rerank if rerank is None else rerank
        candidates = self.fused(
            question, top=top, mode=mode, rerank=do_rerank, filters=filters, on_keywords=on_keywords
        )
        if cancel:
            cancel.raise_if_cancelled()
        if not do_rerank or not candidates:
            return SearchHits(candidates[:top])
        if on_fused is not None:
            on_fused(early_hits(candidates, top))
        try:
            return self.rerank(question, candidates, top, cancel, budget_s=budget_s)
        except RerankerFailed as exc:
            return SearchHits(candidates[:top], rerank_unavailable=str(exc))

    def fused(
        self,
        question: str,
        *,
        top: int,
        mode: str,
        rerank: bool,
        filters=None,
        on_keywords: EarlyHits | None = None,
    ) -> list[Hit]:
        """The fused candidates: the top `top`, or the reranker's pool (config.candidates) when it is to run.
        In hybrid mode `on_keywords` first gets the keyword matches' top `top` (see `keyword_hits`)."""
        if mode not in MODES:
            raise ConfigError(f"Unknown search mode {mode!r}; use one of {', '.join(MODES)}.")
        pool = max(self.config.candidates, top) if rerank else top
        early = None
        if on_keywords is not None and mode == "hybrid":

            def early(bm25: list[Hit]) -> None:
                on_keywords(keyword_hits(bm25, top, pool if rerank else 0))

        return self.candidates(question, mode=mode, limit=pool, filters=filters, on_keywords=early)

    def candidates(
        self,
        question: str,
        *,
        mode: str,
        limit: int,
        filters=None,
        on_keywords: Callable[[list[Hit]], None] | None = None,
    ) -> list[Hit]:
        """Dense and BM25 candidates, fused. BM25 runs first: it answers in milliseconds, where the question's
        embedding takes about a second on a laptop CPU (and the first one waits for the model to load), so
        `on_keywords` can show its matches at once."""
        dense: list[Hit] = []
        bm25: list[Hit] = []
        if mode in ("hybrid", "bm25"):
            bm25 = self.store.search_bm25(question, limit, filters=filters)
            if on_keywords is not None and bm25:
                on_keywords(bm25)
        if mode == "dense" or (mode == "hybrid" and self.embedder_reads(question)):
            vector = self._embedder().embed_query(question)
            dense = self.store.search_dense(vector, limit, filters=filters)
        c = self.config
        return fuse(
            dense,
            bm25,
            method=c.fusion,
            k=c.rrf_k,
            dense_weight=c.dense_weight,
            bm25_weight=c.bm25_weight,
            limit=limit,
        )

    def embedder_reads(self, question: str) -> bool:
        """Whether the embedding model reads the question well enough for its vector to count: it knows the
        question's tokens, and it knows the tokens of an ordinary sentence in each script the question uses."""
        embedder = self._embedder()
        if embedder.unknown_share(question) > MAX_UNKNOWN_SHARE:
            return False
        return all(embedder.script_unknown_share(s) <= MAX_UNKNOWN_SHARE for s in scripts_in(question))

    def rerank(
        self,
        question: str,
        hits: list[Hit],
        top: int,
        cancel: CancelToken | None = None,
        *,
        budget_s: float | None = None,
    ) -> SearchHits:
        """Score the candidates in fused order until the time budget is spent; the scored ones rank first (by P(yes)),
        the rest follow in fused order. budget_s None: the config's budget for the reranker's device; 0: no limit.

        Once the reranker has measured its speed, the candidates to score are chosen before any pass: the best fused
        ones whose expected cost fits the budget, or none when fewer than two would (see rerank_budget.plan_within),
        so a budget smaller than one pair costs nothing instead of a whole pair. Until then the first pass always
        runs, and teaches the speed."""
        scorer = self._reranker()
        limit = self.config.rerank_budget_for(scorer.device) if budget_s is None else budget_s
        unlimited = limit is None or limit <= 0
        texts = [h.chunk.text for h in hits]
        chosen = list(range(len(hits)))
        left_out = 0.0
        if not unlimited:
            costs = scorer.estimate_seconds(question, texts)
            if costs is not None:
                plan = plan_within(costs, float(limit or 0.0))
                chosen, left_out = plan.chosen, plan.left_out_s
        picked = [texts[i] for i in chosen]
        got_scores: dict[int, float] = {}
        seconds = 0.0
        if picked:
            # With no limit every pair is scored, so the scorer may order them for speed (by length) instead.
            batches = scorer.score_batches(question, picked, cancel=cancel, in_order=not unlimited)
            got = score_within(batches, None if unlimited else limit, clock=self._clock)
            got_scores = {chosen[j]: score for j, score in got.scores.items()}
            seconds = got.seconds
        scored = [
            replace(hits[i], scores=replace(hits[i].scores, rerank=float(got_scores[i]))) for i in sorted(got_scores)
        ]
        scored.sort(key=lambda h: h.scores.rerank or 0.0, reverse=True)  # stable: ties keep their fused order
        rest = [h for i, h in enumerate(hits) if i not in got_scores]
        return SearchHits(
            (scored + rest)[:top],
            reranked=True,
            reranked_count=len(scored),
            rerank_candidates=len(hits),
            rerank_seconds=seconds,
            rerank_budget_s=0.0 if unlimited else float(limit or 0.0),
            rerank_left_out_s=left_out,
        )


def early_hits(candidates: list[Hit], top: int) -> SearchHits:
    """The fused top k, handed out while the reranker is at work on all the candidates."""
    return SearchHits(candidates[:top], rerank_pending=True, rerank_candidates=len(candidates), early_stage="fused")


def keyword_hits(bm25: list[Hit], top: int, rerank_pool: int) -> SearchHits:
    """The keyword matches' top k, handed out while the question's meaning is searched (and, when `rerank_pool` is
    not 0, before the reranker orders that many candidates)."""
    return SearchHits(bm25[:top], rerank_pending=rerank_pool > 0, rerank_candidates=rerank_pool, early_stage="keywords")

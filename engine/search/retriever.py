"""Question -> dense and BM25 candidates -> fusion -> Qwen3 rerank -> the top hits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from engine.cancel import CancelToken
from engine.config import EngineConfig
from engine.errors import ConfigError
from engine.models.script_probe import scripts_in
from engine.search.fusion import fuse
from engine.types import Hit

MODES = ("hybrid", "dense", "bm25")
# Hybrid search asks the dense side only when the embedder knows at least 95 % of the question's tokens. Measured with
# all-MiniLM-L6-v2 (python -m tests.quality.harness, --no-rerank): dev-ja hybrid MRR@10 0.695 -> 0.875 (BM25 alone
# 0.887; 38 of 40 questions have 3-26 % unknown tokens), English dev 0.912 -> 0.925 (its 3 questions in Japanese or
# Chinese now rank by keywords). Qwen3's byte-level vocabulary has no unknown token, so with it hybrid is unchanged.
# The same bound applies to a plain sentence in each script the question uses (models/script_probe.py): that catches
# "common.usePartitionKeyAsClusteringKey とは" (no unknown token, yet MiniLM cannot read Japanese) and brought dev-ja
# hybrid to BM25's 0.975 / 0.887 / 0.903 (hit@5 / MRR@10 / nDCG@10); English dev unchanged at 0.950 / 0.925 / 0.925.
MAX_UNKNOWN_SHARE = 0.05


class QueryEmbedder(Protocol):
    """What the retriever needs of an embedder (models/embedder.py)."""

    def embed_query(self, text: str) -> Any: ...

    def unknown_share(self, text: str) -> float: ...

    def script_unknown_share(self, script: str) -> float: ...


class PassageScorer(Protocol):
    """What the retriever needs of a reranker (models/reranker.py)."""

    def score(self, query: str, documents: Sequence[str], *, cancel: CancelToken | None = None) -> Sequence[float]: ...


class Retriever:
    """Runs one search; models come from providers so that BM25-only search never loads them."""

    def __init__(
        self,
        config: EngineConfig,
        store,
        embedder: Callable[[], QueryEmbedder],
        reranker: Callable[[], PassageScorer],
    ) -> None:
        self.config = config
        self.store = store
        self._embedder = embedder
        self._reranker = reranker

    def search(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: str = "hybrid",
        rerank: bool | None = None,
        filters=None,
        cancel: CancelToken | None = None,
    ) -> list[Hit]:
        if mode not in MODES:
            raise ConfigError(f"Unknown search mode {mode!r}; use one of {', '.join(MODES)}.")
        top = k or self.config.top_n
        do_rerank = self.config.rerank if rerank is None else rerank
        pool = max(self.config.candidates, top) if do_rerank else top
        candidates = self.candidates(question, mode=mode, limit=pool, filters=filters)
        if cancel:
            cancel.raise_if_cancelled()
        if not do_rerank or not candidates:
            return candidates[:top]
        return self.rerank(question, candidates, top, cancel)

    def candidates(self, question: str, *, mode: str, limit: int, filters=None) -> list[Hit]:
        dense: list[Hit] = []
        bm25: list[Hit] = []
        if mode == "dense" or (mode == "hybrid" and self.embedder_reads(question)):
            vector = self._embedder().embed_query(question)
            dense = self.store.search_dense(vector, limit, filters=filters)
        if mode in ("hybrid", "bm25"):
            bm25 = self.store.search_bm25(question, limit, filters=filters)
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

    def rerank(self, question: str, hits: list[Hit], top: int, cancel: CancelToken | None) -> list[Hit]:
        scores = self._reranker().score(question, [h.chunk.text for h in hits], cancel=cancel)
        rescored = [replace(h, scores=replace(h.scores, rerank=float(s))) for h, s in zip(hits, scores, strict=True)]
        rescored.sort(key=lambda h: h.scores.rerank or 0.0, reverse=True)
        return rescored[:top]

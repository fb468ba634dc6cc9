"""Hybrid search skips the dense side when the embedding model cannot read the question (unknown tokens)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.config import EngineConfig
from engine.search.retriever import MAX_UNKNOWN_SHARE, Retriever
from engine.types import Chunk, Hit, Scores


def chunk(cid: str) -> Chunk:
    return Chunk(id=cid, library="/lib", path=f"/lib/{cid}.md", chunk_no=0, text=cid, char_start=0, char_end=len(cid))


@dataclass
class FakeStore:
    dense_calls: int = 0

    def search_dense(self, vector, k, *, filters=None) -> list[Hit]:
        self.dense_calls += 1
        return [Hit(chunk("by-meaning"), Scores(dense=0.9, dense_rank=1))]

    def search_bm25(self, text, k, *, filters=None) -> list[Hit]:
        return [Hit(chunk("by-words"), Scores(bm25=7.0, bm25_rank=1))]


@dataclass
class FakeEmbedder:
    share: float
    queries: list[str] = field(default_factory=list)
    script_shares: dict[str, float] = field(default_factory=dict)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return np.ones(4, dtype=np.float32)

    def unknown_share(self, text: str) -> float:
        return self.share

    def script_unknown_share(self, script: str) -> float:
        return self.script_shares.get(script, 0.0)


def retriever(share: float, **script_shares: float) -> tuple[Retriever, FakeStore]:
    store = FakeStore()
    embedder = FakeEmbedder(share, script_shares=script_shares)
    return Retriever(EngineConfig(rerank=False), store, lambda: embedder, lambda: None), store  # type: ignore[arg-type,return-value]


def test_hybrid_uses_both_sides_when_the_model_knows_the_question() -> None:
    r, store = retriever(0.0)
    assert {h.chunk.id for h in r.search("q", k=5, mode="hybrid")} == {"by-meaning", "by-words"}
    assert store.dense_calls == 1


def test_hybrid_ranks_by_keywords_when_the_model_does_not_know_the_question() -> None:
    r, store = retriever(MAX_UNKNOWN_SHARE + 0.01)
    assert [h.chunk.id for h in r.search("q", k=5, mode="hybrid")] == ["by-words"]
    assert store.dense_calls == 0


def test_dense_mode_is_asked_for_and_always_runs() -> None:
    r, store = retriever(0.5)
    assert [h.chunk.id for h in r.search("q", k=5, mode="dense")] == ["by-meaning"]
    assert store.dense_calls == 1


def test_a_question_in_a_script_the_model_cannot_read_ranks_by_keywords() -> None:
    """Every token of this question is known, but the model has shown on a plain Japanese sentence that it cannot
    read Japanese: its vector would rank by the identifier's letters alone."""
    question = "common.usePartitionKeyAsClusteringKey とは"
    r, store = retriever(0.0, ja=0.30)
    assert [h.chunk.id for h in r.search(question, k=5, mode="hybrid")] == ["by-words"]
    assert store.dense_calls == 0
    r, store = retriever(0.0, ja=0.30)  # an English question is not affected by the model's Japanese
    r.search("What is a partition key?", k=5, mode="hybrid")
    assert store.dense_calls == 1
    r, store = retriever(0.0, ja=0.0)  # a model that reads Japanese (Qwen3) keeps both sides
    r.search(question, k=5, mode="hybrid")
    assert store.dense_calls == 1

"""Reranking within a time budget: fused order first, a fake clock, counts, the early list, cancellation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from engine.cancel import CancelToken
from engine.config import EngineConfig
from engine.errors import Cancelled
from engine.search.rerank_budget import score_within
from engine.search.retriever import Retriever
from engine.types import Chunk, Hit, Scores, SearchHits


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeScorer:
    """Scores batches of `batch` pairs in the order given; each batch moves the fake clock by `seconds`."""

    clock: FakeClock
    scores: dict[str, float]
    batch: int = 2
    seconds: float = 1.0
    device: str = "cpu"
    calls: list[list[str]] = field(default_factory=list)
    in_order: list[bool] = field(default_factory=list)

    def score_batches(
        self, query: str, documents: Sequence[str], *, cancel: CancelToken | None = None, in_order: bool = True
    ) -> Iterator[list[tuple[int, float]]]:
        self.in_order.append(in_order)
        for start in range(0, len(documents), self.batch):
            if cancel is not None:
                cancel.raise_if_cancelled()
            idx = list(range(start, min(start + self.batch, len(documents))))
            self.calls.append([documents[i] for i in idx])
            self.clock.now += self.seconds
            yield [(i, self.scores[documents[i]]) for i in idx]


def hit(name: str, fused: float) -> Hit:
    chunk = Chunk(id=name, library="/lib", path=f"/lib/{name}.md", chunk_no=0, text=name, char_start=0, char_end=1)
    return Hit(chunk, Scores(bm25=fused, bm25_rank=1, fused=fused))


# Fused order a..f; the reranker prefers the later ones.
FUSED = [hit(name, 1.0 - n / 10) for n, name in enumerate("abcdef")]
P_YES = {"a": 0.2, "b": 0.7, "c": 0.9, "d": 0.1, "e": 0.95, "f": 0.5}


@dataclass
class FakeStore:
    def search_dense(self, vector, k, *, filters=None) -> list[Hit]:
        return []

    def search_bm25(self, text, k, *, filters=None) -> list[Hit]:
        return FUSED[:k]


def make(config: EngineConfig | None = None, **scorer) -> tuple[Retriever, FakeScorer]:
    clock = FakeClock()
    fake = FakeScorer(clock, P_YES, **scorer)
    config = config or EngineConfig(rerank_budget_cpu_s=0.5, rerank_budget_gpu_s=10.0, candidates=6)
    return Retriever(config, FakeStore(), lambda: None, lambda: fake, clock=clock), fake  # type: ignore[arg-type,return-value]


def names(hits: Sequence[Hit]) -> list[str]:
    return [h.chunk.id for h in hits]


def test_a_tiny_budget_stops_after_the_first_batch_and_the_rest_keep_fused_order() -> None:
    retriever, fake = make()
    hits = retriever.rerank("q", FUSED, top=6)
    assert fake.calls == [["a", "b"]]  # the first batch always runs; the second would end past 0.5 s
    assert names(hits) == ["b", "a", "c", "d", "e", "f"]  # scored by P(yes), then the unscored in fused order
    assert [h.scores.rerank for h in hits] == [0.7, 0.2, None, None, None, None]
    assert (hits.reranked, hits.reranked_count, hits.rerank_candidates) == (True, 2, 6)
    assert hits.rerank_seconds == pytest.approx(1.0)
    assert fake.in_order == [True]  # with a budget the best fused candidates go first


def test_the_budget_allows_as_many_batches_as_fit() -> None:
    retriever, fake = make()
    hits = retriever.rerank("q", FUSED, top=3, budget_s=2.5)  # 1 s a batch: a third would end at 3 s
    assert len(fake.calls) == 2 and hits.reranked_count == 4
    assert names(hits) == ["c", "b", "a"]


def test_no_limit_scores_every_candidate_in_the_scorers_order() -> None:
    retriever, fake = make()
    hits = retriever.rerank("q", FUSED, top=6, budget_s=0)
    assert names(hits) == ["e", "c", "b", "f", "a", "d"] and hits.reranked_count == 6
    assert fake.in_order == [False]  # every pair is scored: the scorer may sort them by length


def test_the_budget_follows_the_rerankers_device() -> None:
    retriever, fake = make(device="cuda")
    assert retriever.rerank("q", FUSED, top=6).reranked_count == 6  # 10 s on a GPU
    config = EngineConfig(rerank_budget_cpu_s=None, rerank_budget_gpu_s=0)
    assert config.rerank_budget_for("cpu") is None and config.rerank_budget_for("cuda:1") is None
    assert EngineConfig().rerank_budget_for("cpu") == EngineConfig.rerank_budget_cpu_s


def test_search_hands_out_the_fused_list_before_reranking() -> None:
    retriever, fake = make()
    seen: list[tuple[SearchHits, int]] = []
    hits = retriever.search("q", k=3, mode="bm25", on_fused=lambda early: seen.append((early, len(fake.calls))))
    [(early, calls_then)] = seen
    assert calls_then == 0  # before any pair was scored
    assert names(early) == ["a", "b", "c"] and early.rerank_pending and not early.reranked
    assert early.rerank_candidates == 6 and all(h.scores.rerank is None for h in early)
    assert not hits.rerank_pending and hits.reranked_count == 2


def test_no_early_list_without_reranking() -> None:
    retriever, _ = make()
    seen: list[SearchHits] = []
    hits = retriever.search("q", k=3, mode="bm25", rerank=False, on_fused=seen.append)
    assert seen == [] and names(hits) == ["a", "b", "c"] and not hits.reranked


def test_cancel_is_checked_between_batches() -> None:
    retriever, fake = make(config=EngineConfig(rerank_budget_cpu_s=0, candidates=6))
    token = CancelToken()
    original = fake.score_batches

    def cancel_after_first(*args, **kwargs):
        for n, batch in enumerate(original(*args, **kwargs)):
            yield batch
            if n == 0:
                token.cancel()

    fake.score_batches = cancel_after_first  # type: ignore[method-assign]
    with pytest.raises(Cancelled):
        retriever.rerank("q", FUSED, top=6, cancel=token)
    assert len(fake.calls) == 1


def test_score_within_closes_an_unfinished_generator() -> None:
    clock = FakeClock()
    closed: list[bool] = []

    def batches():
        try:
            for i in range(5):
                clock.now += 1.0
                yield [(i, 0.5)]
        finally:
            closed.append(True)

    got = score_within(batches(), 1.5, clock=clock)
    assert sorted(got.scores) == [0] and closed == [True]

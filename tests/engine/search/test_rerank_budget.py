"""Reranking within a time budget: fused order first, a fake clock, counts, the early list, cancellation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from engine.cancel import CancelToken
from engine.config import EngineConfig
from engine.errors import Cancelled
from engine.search.rerank_budget import plan_within, score_within
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
    costs: dict[str, float] | None = None  # the expected seconds per document once "measured"; None: not yet

    def estimate_seconds(self, query: str, documents: Sequence[str]) -> list[float] | None:
        return None if self.costs is None else [self.costs[d] for d in documents]

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
    events: list[str] = field(default_factory=list)

    def search_dense(self, vector, k, *, filters=None) -> list[Hit]:
        self.events.append("dense")
        return []

    def search_bm25(self, text, k, *, filters=None) -> list[Hit]:
        self.events.append("bm25")
        return FUSED[:k]


@dataclass
class FakeEmbedder:
    """Reads every question; records when the question's embedding is computed (the slow step on a CPU)."""

    events: list[str]

    def embed_query(self, text: str):
        self.events.append("embed")
        return [0.0]

    def unknown_share(self, text: str) -> float:
        return 0.0

    def script_unknown_share(self, script: str) -> float:
        return 0.0


def make(config: EngineConfig | None = None, **scorer) -> tuple[Retriever, FakeScorer]:
    clock = FakeClock()
    fake = FakeScorer(clock, P_YES, **scorer)
    config = config or EngineConfig(rerank_budget_cpu_s=0.5, rerank_budget_gpu_s=10.0, candidates=6)
    store = FakeStore()
    embedder = FakeEmbedder(store.events)
    return Retriever(config, store, lambda: embedder, lambda: fake, clock=clock), fake  # type: ignore[arg-type,return-value]


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


def test_plan_takes_the_best_fused_candidates_that_fit_and_the_cached_ones_free() -> None:
    plan = plan_within([1.0, 0.0, 1.5, 1.0, 0.0, 0.5], 2.6)
    assert plan.chosen == [0, 1, 2, 4]  # 1.0 + 1.5 fit; the next (1.0) would end at 3.5; cached ones cost nothing
    assert plan.left_out_s == 1.0
    assert plan_within([1.0, 1.0], 5.0) == type(plan)([0, 1], 0.0)


def test_plan_scores_none_when_fewer_than_two_would_fit() -> None:
    plan = plan_within([2.0, 2.0, 2.0], 3.0)  # one fits: ranking it first would leave the fused order as it was
    assert plan.chosen == [] and plan.left_out_s == 2.0
    assert plan_within([0.0, 2.0, 2.0], 3.0).chosen == [0, 1]  # a cached score makes one paid pass worth it
    assert plan_within([7.0, 1.0], 3.0) == type(plan)([], 7.0)  # fused order is kept: no skipping ahead


def test_a_measured_speed_keeps_the_search_within_its_budget() -> None:
    retriever, fake = make(batch=1, costs=dict.fromkeys("abcdef", 1.0))
    hits = retriever.rerank("q", FUSED, top=6, budget_s=2.5)
    assert fake.calls == [["a"], ["b"]]  # two passes of the expected 1 s each; a third would end at 3 s
    assert hits.reranked_count == 2 and hits.rerank_seconds <= 2.5
    assert (hits.rerank_budget_s, hits.rerank_left_out_s) == (2.5, 1.0)


def test_a_budget_that_fits_one_pass_spends_none() -> None:
    retriever, fake = make(batch=1, costs=dict.fromkeys("abcdef", 7.0))
    hits = retriever.rerank("q", FUSED, top=6, budget_s=3.0)
    assert fake.calls == []  # where the first pass always ran, this budget cost 7 s for the same order
    assert names(hits) == list("abcdef") and all(h.scores.rerank is None for h in hits)
    assert (hits.reranked, hits.reranked_count, hits.rerank_candidates) == (True, 0, 6)
    assert hits.rerank_left_out_s == 7.0 and hits.rerank_seconds == 0.0


def test_hybrid_search_hands_out_keyword_matches_before_the_embedding() -> None:
    retriever, fake = make()
    store = retriever.store
    seen: list[tuple[str, SearchHits, list[str]]] = []
    retriever.search(
        "q",
        k=3,
        mode="hybrid",
        on_keywords=lambda early: seen.append(("keywords", early, list(store.events))),
        on_fused=lambda early: seen.append(("fused", early, list(store.events))),
    )
    (stage, keywords, events_then), (later, fused, _) = seen
    assert (stage, later) == ("keywords", "fused")
    assert events_then == ["bm25"]  # before the question's embedding and the dense search
    assert keywords.early_stage == "keywords" and names(keywords) == ["a", "b", "c"]
    assert keywords.rerank_pending and keywords.rerank_candidates == 6
    assert fused.early_stage == "fused" and store.events == ["bm25", "embed", "dense"]


def test_keyword_matches_are_not_an_early_list_when_they_are_the_search() -> None:
    retriever, _ = make()
    seen: list[SearchHits] = []
    retriever.search("q", k=3, mode="bm25", on_keywords=seen.append)
    assert seen == []


def test_the_pass_rate_keeps_the_fastest_pass_so_one_slow_spell_cannot_lock_the_reranker_out() -> None:
    from engine.models.pass_rate import PassRate

    rate = PassRate()
    assert rate.estimate(100) is None
    rate.record(100, 1.0)
    rate.record(100, 9.0)  # the machine was busy for a moment
    assert rate.estimate(300) == pytest.approx(3.0)
    rate.record(200, 1.0)
    assert rate.estimate(300) == pytest.approx(1.5)
    rate.record(0, 1.0)  # nothing measured: ignored
    assert rate.seconds_per_token == pytest.approx(0.005)


def test_the_pass_rate_is_kept_between_runs_per_machine_key(tmp_path) -> None:
    from engine.models.pass_rate import PassRate

    store = tmp_path / "data" / "rerank_speed.json"
    rate = PassRate(store, "model|cpu|fp32")
    rate.record(100, 2.0)
    assert PassRate(store, "model|cpu|fp32").seconds_per_token == pytest.approx(0.02)  # the next run plans at once
    assert PassRate(store, "model|cuda|bf16").seconds_per_token is None  # another device is measured afresh
    PassRate(store, "model|cuda|bf16").record(100, 0.1)
    assert PassRate(store, "model|cpu|fp32").seconds_per_token == pytest.approx(0.02)  # both kept
    store.write_text("not json", encoding="utf-8")
    assert PassRate(store, "model|cpu|fp32").seconds_per_token is None  # unreadable: learned again
    PassRate(store, "model|cpu|fp32").record(10, 1.0)
    assert PassRate(store, "model|cpu|fp32").seconds_per_token == pytest.approx(0.1)

"""Progressive results: the fused list first, then the reranked one, in the engine and in the CLI (--early)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.types import SearchHits
from tests.integration.helpers import open_engine, tiny_config, write_library
from tests.integration.test_cli import run_cli
from tests.support.fake_openai import FakeOpenAIServer, Reply


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, tiny_models) -> Path:
    root = tmp_path_factory.mktemp("progressive")
    lib = write_library(root / "lib", n_files=3)
    data = root / "data"
    engine = open_engine(tiny_config(data, tiny_models))  # 64-token chunks: enough candidates to rank
    try:
        engine.index_library(lib)
    finally:
        engine.close()
    return data


def ids(hits) -> list[str]:
    return [h.chunk.id for h in hits]


@pytest.mark.slow
def test_engine_hands_out_fused_then_reranked_and_ask_answers_from_the_reranked(indexed: Path, tiny_models) -> None:
    events: list[str] = []
    with FakeOpenAIServer() as server:
        server.push(Reply("Object storage [1]."))
        config = tiny_config(indexed, tiny_models, rerank_cache_size=0, candidates=8, llm_base_url=server.base_url)
        engine = open_engine(config)
        try:
            early: list[SearchHits] = []
            keywords: list[SearchHits] = []
            hits = engine.search(
                "object storage ZX1Q2", k=4, on_fused=early.append, on_keywords=keywords.append, rerank_budget_s=0
            )
            assert len(keywords) == 1 and keywords[0].early_stage == "keywords" and keywords[0].rerank_pending
            assert all(h.scores.bm25 is not None and h.scores.dense is None for h in keywords[0])
            assert len(early) == 1 and early[0].rerank_pending and len(early[0]) == 4
            assert early[0].early_stage == "fused"
            assert all(h.scores.rerank is None and h.scores.fused is not None for h in early[0])
            assert hits.reranked and hits.reranked_count == hits.rerank_candidates == 8
            assert all(h.scores.rerank is not None for h in hits)

            # A budget smaller than any forward pass: the reranker has measured its speed above, so it knows no
            # pair fits and spends nothing (ranking one alone could not change the order).
            fused = engine.search("segments ZX2Q3", k=8, rerank=False)
            budgeted = engine.search("segments ZX2Q3", k=8, rerank_budget_s=1e-9)
            assert (budgeted.reranked_count, budgeted.rerank_candidates) == (0, 8)
            assert budgeted.rerank_left_out_s > 0 and budgeted.rerank_seconds == 0.0
            assert ids(budgeted) == ids(fused) and all(h.scores.rerank is None for h in budgeted)

            answer = engine.ask(
                "object storage ZX1Q2",
                on_fused=lambda h: events.append("fused"),
                on_sources=lambda h: events.append(f"sources {h.reranked_count}"),
                on_token=lambda t: events.append("token"),
                rerank=True,
            )
        finally:
            engine.close()
    assert answer.mode == "llm"
    assert events[:2] == ["fused", "sources 8"] and events[2:] and set(events[2:]) == {"token"}


@pytest.mark.slow
def test_cli_json_reports_counts_and_early_streams_the_fused_list_first(indexed: Path, tiny_models) -> None:
    out = run_cli(["search", "object storage", "--json", "-k", "3", "--rerank-budget", "0"], indexed, tiny_models)
    [line] = [json.loads(x) for x in out.stdout.splitlines()]
    assert line["reranked"] is True and line["early"] is False
    assert line["reranked_count"] == line["rerank_candidates"] >= 3 and len(line["hits"]) == 3
    assert isinstance(line["rerank_seconds"], float)

    out = run_cli(["search", "object storage", "--json", "-k", "3", "--early"], indexed, tiny_models)
    keywords, early, final = [json.loads(x) for x in out.stdout.splitlines()]
    assert (keywords["stage"], early["stage"], final["stage"]) == ("keywords", "fused", "final")
    assert keywords["early"] is True and keywords["question"] == final["question"] and keywords["hits"]
    assert early["early"] is True and early["reranked"] is False and early["reranked_count"] == 0
    assert all(h["scores"]["rerank"] is None for h in early["hits"])
    assert final["early"] is False and final["reranked"] is True and final["question"] == early["question"]
    assert len(early["hits"]) == len(final["hits"]) == 3 and early["rerank_candidates"] == final["rerank_candidates"]

    text = run_cli(["search", "object storage", "-k", "3", "--early"], indexed, tiny_models).stdout
    early_part, _, final_part = text.partition("Reranked:")
    keyword_part, _, fused_part = early_part.partition("Ranking ")
    assert keyword_part.startswith("Keyword matches so far") and keyword_part.count("  [") >= 1
    assert fused_part.count("  [") == 3
    assert final_part.count("\n[") == 3 and "rerank " in final_part  # the full hits, with their rerank scores


@pytest.mark.slow
def test_a_reranker_that_fails_to_load_leaves_the_fused_list_and_says_why(
    indexed: Path, tiny_models, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-reranker"
    shutil.copytree(tiny_models.rerank_dir, broken)
    for weights in broken.glob("*.safetensors"):
        weights.write_bytes(b"not a safetensors file")
    engine = open_engine(tiny_config(indexed, tiny_models, rerank_model=str(broken), candidates=8))
    try:
        early: list[SearchHits] = []
        hits = engine.search("object storage ZX1Q2", k=4, on_fused=early.append)
        assert hits.rerank_unavailable and not hits.reranked
        assert len(early) == 1 and ids(hits) == ids(early[0])  # the fused order, as shown early, stays
        assert all(h.scores.rerank is None for h in hits)
        assert hits.dense_unavailable == ""
    finally:
        engine.close()

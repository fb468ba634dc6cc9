"""Follow-ups on the Milvus docs: the last turn rewritten in context (by rule, no LLM) finds its files."""

from __future__ import annotations

import pytest

from engine.engine import Engine
from tests.quality.corpora import Corpus
from tests.quality.followups import FOLLOWUPS_DEV, evaluate_followups, load_conversations
from tests.quality.harness import IndexStats

# The session fixture indexes the whole corpus with MiniLM (~6-9 min on 2 busy cores): more than the default 600 s.
pytestmark = [pytest.mark.quality, pytest.mark.slow, pytest.mark.timeout(1800)]

# Measured (python -m tests.quality.harness --corpus milvus-followups --no-rerank): hit@5 as typed 0.233, rewritten
# 0.933. The goal of issue #16: rewritten >= 0.85 and at least 0.25 above the follow-up as typed.
REWRITE_FLOOR = 0.85
MIN_GAIN = 0.25


def test_rewritten_follow_ups_reach_the_goal(milvus_index: tuple[Engine, Corpus, IndexStats]) -> None:
    if not FOLLOWUPS_DEV.is_file():
        pytest.skip(f"{FOLLOWUPS_DEV} is not present")
    engine, _, _ = milvus_index
    results = evaluate_followups(engine, load_conversations())
    typed, rewritten = results["as typed"].hit5, results["rewritten (rule)"].hit5
    summary = {"as typed": round(typed, 3), "rewritten": round(rewritten, 3)}
    assert rewritten >= REWRITE_FLOOR, summary
    assert rewritten - typed >= MIN_GAIN, summary

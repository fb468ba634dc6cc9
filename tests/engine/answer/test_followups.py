"""Follow-up questions: the rewrite request and the answer request's earlier turns, with the real openai SDK against
the loopback OpenAI-compatible server; and the rule-based rewrite used without a model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.answer.answerer import Answerer
from engine.answer.followup import REWRITE_MAX_TOKENS, PriorTurn, is_standalone, rule_rewrite
from engine.answer.prompting import history_messages
from engine.config import EngineConfig
from tests.engine.answer.test_answerer import HITS, KEY, loopback_only  # noqa: F401  (autouse: loopback only)
from tests.support.fake_openai import Fail, FakeOpenAIServer, Reply

FIRST = PriorTurn(
    "How do I install Milvus Lite?",
    "Run pip install pymilvus [1]; Milvus Lite ships inside it [2].",
    ("milvus_lite.md", "install-overview.md"),
)
FOLLOW_UP = "And on Windows?"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake
    assert fake.errors == []


def answerer_for(tmp_path: Path, base_url: str | None, **changes: object) -> Answerer:
    config = EngineConfig(data_dir=tmp_path, llm_base_url=base_url, llm_timeout_s=10.0).with_changes(**changes)
    return Answerer(config, api_key_provider=lambda: KEY)


def test_rewrite_request_carries_the_earlier_turns(server: FakeOpenAIServer, tmp_path: Path) -> None:
    server.push(Reply('Query: "install Milvus Lite on Windows"'))
    rewrite = answerer_for(tmp_path, server.base_url).rewrite_query(FOLLOW_UP, [FIRST])

    assert rewrite.method == "llm" and rewrite.query == "install Milvus Lite on Windows"
    (request,) = server.chat_requests
    assert request.body["max_tokens"] == REWRITE_MAX_TOKENS <= 64
    user = request.body["messages"][-1]["content"]
    assert FIRST.question in user and "pip install pymilvus" in user and FOLLOW_UP in user


def test_failing_rewrite_falls_back_to_the_rule_based_one(server: FakeOpenAIServer, tmp_path: Path) -> None:
    server.push(Fail.server_error())
    rewrite = answerer_for(tmp_path, server.base_url).rewrite_query(FOLLOW_UP, [FIRST])

    assert rewrite.method == "rule" and rewrite.error
    assert rewrite.query == rule_rewrite(FOLLOW_UP, [FIRST]) == "install milvus lite And on Windows?"
    assert len(server.chat_requests) == 1


def test_standalone_question_sends_no_rewrite_request(server: FakeOpenAIServer, tmp_path: Path) -> None:
    question = "Which index types can I build on a sparse vector field?"
    rewrite = answerer_for(tmp_path, server.base_url).rewrite_query(question, [FIRST])
    assert rewrite.method == "as_typed" and rewrite.query == question
    assert server.chat_requests == []


def test_without_an_endpoint_the_rewrite_is_by_rule(tmp_path: Path) -> None:
    answerer = Answerer(EngineConfig(data_dir=tmp_path), api_key_provider=lambda: None)
    rewrite = answerer.rewrite_query(FOLLOW_UP, [FIRST])
    assert rewrite.method == "rule" and "milvus lite" in rewrite.query and "Windows" in rewrite.query


def test_answer_request_carries_earlier_turns_within_the_budget(server: FakeOpenAIServer, tmp_path: Path) -> None:
    old = [PriorTurn(f"Old question {n}?", "x" * 1500, ("a.md",)) for n in range(4)]
    history = [*old, FIRST]
    server.push(Reply("Use the same pip command [1]."))
    answerer = answerer_for(tmp_path, server.base_url, llm_history_chars=3500)
    answer = answerer.stream_answer(FOLLOW_UP, HITS, history=history)

    (request,) = server.chat_requests
    messages = request.body["messages"]
    roles = [m["role"] for m in messages]
    assert roles[0] == "system" and roles[-1] == "user" and FOLLOW_UP in messages[-1]["content"]
    earlier = messages[1:-1]
    assert sum(len(m["content"]) for m in earlier) <= 3500
    # newest kept first: FIRST and the newest old turn fit, the older ones are dropped
    assert FIRST.question in earlier[-2]["content"] and "Old question 3?" in earlier[-4]["content"]
    assert not any("Old question 0?" in m["content"] for m in messages)
    # the earlier answer's [1] and [2] no longer read as citations of the new sources
    assert "[1]" not in earlier[-1]["content"] and "(earlier source: milvus_lite.md)" in earlier[-1]["content"]
    assert '<source id="1" file="file1.md"' in messages[-1]["content"]  # the new sources are numbered afresh
    assert [c.hit for c in answer.citations] == [HITS[0]]


def test_preview_shows_the_rewrite_request_and_the_earlier_turns(server: FakeOpenAIServer, tmp_path: Path) -> None:
    answerer = answerer_for(tmp_path, server.base_url)
    preview = answerer.preview(FOLLOW_UP, HITS, history=[FIRST], searched_for="install Milvus Lite on Windows")
    assert preview.searched_for == "install Milvus Lite on Windows" and preview.earlier_turns == 1
    assert preview.rewrite_messages and FOLLOW_UP in preview.rewrite_messages[-1]["content"]
    text = preview.as_text()
    assert "Searched for: install Milvus Lite on Windows" in text and FIRST.question in text
    assert server.chat_requests == []


@pytest.mark.parametrize(
    ("question", "standalone"),
    [
        ("And on Windows?", False),
        ("How do I turn it off?", False),
        ("What's the default login?", False),
        ("Is that configurable?", False),
        ("What is clustering compaction in Milvus and how do I turn it on?", True),
        ("Where does Milvus store data?", True),
        ("How do I enable access logs in Milvus?", True),
    ],
)
def test_standalone_test(question: str, standalone: bool) -> None:
    assert is_standalone(question) is standalone


def test_history_budget_keeps_whole_turns_newest_first() -> None:
    turns = [PriorTurn(f"q{n}", "a" * 100) for n in range(10)]
    messages = history_messages(turns, 500)
    assert [m["content"] for m in messages if m["role"] == "user"][-1] == "Earlier question: q9"
    assert sum(len(m["content"]) for m in messages) <= 500 and len(messages) % 2 == 0
    assert history_messages(turns, 0) == ()


def test_rule_rewrite_borrows_the_subject_of_the_last_two_questions() -> None:
    history = [
        PriorTurn("How do I enable access logs in Milvus?"),
        PriorTurn("What happens if I leave the filename empty?"),
    ]
    query = rule_rewrite("If I do set one, where are the files written by default?", history)
    assert query.startswith("enable access logs milvus happens leave filename empty")
    assert query.endswith("If I do set one, where are the files written by default?")
    assert rule_rewrite("Where does Milvus store data?", history) == "Where does Milvus store data?"  # standalone

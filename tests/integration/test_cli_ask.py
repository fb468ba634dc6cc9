"""`tansaku ask` against a loopback OpenAI-compatible server: streamed answer, sources, errors, dry run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.helpers import write_library
from tests.integration.test_cli import run_cli
from tests.support.fake_openai import Fail, FakeOpenAIServer, Reply, refused_port


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, tiny_models):
    root = tmp_path_factory.mktemp("ask")
    lib = write_library(root / "lib", n_files=3)
    data = root / "data"
    run_cli(["index", str(lib)], data, tiny_models)
    return data


@pytest.mark.slow
def test_ask_streams_answer_with_sources(indexed: Path, tiny_models) -> None:
    with FakeOpenAIServer() as server:
        server.push(Reply("Milvus keeps data in object storage [1]. See also [9]."))
        out = run_cli(["ask", "ZX1Q2 storage?", "--no-rerank", "--llm-base-url", server.base_url], indexed, tiny_models)
        sent = server.chat_requests[-1].body
    assert "Milvus keeps data in object storage [1]" in out.stdout
    assert "Sources:" in out.stdout and "[1] " in out.stdout
    user = sent["messages"][-1]["content"]
    assert "ZX1Q2 storage?" in user and '<source id="1"' in user
    assert sent["model"] == "gpt-4o" and sent["stream"] is True


@pytest.mark.slow
def test_ask_json_resolves_citations(indexed: Path, tiny_models) -> None:
    with FakeOpenAIServer() as server:
        server.push(Reply("Answer [2] and [1][7]."))
        out = run_cli(
            ["ask", "object storage", "--no-rerank", "--json", "--llm-base-url", server.base_url], indexed, tiny_models
        )
    result = json.loads(out.stdout)
    assert result["mode"] == "llm" and [c["n"] for c in result["citations"]] == [2, 1]
    assert len(result["sources"]) >= 2 and Path(result["citations"][0]["path"]).is_absolute()


@pytest.mark.slow
def test_ask_error_prints_message_and_sources_and_fails(indexed: Path, tiny_models) -> None:
    with FakeOpenAIServer() as server:
        server.push(Fail.unauthorized())
        out = run_cli(
            ["ask", "object storage", "--no-rerank", "--llm-base-url", server.base_url],
            indexed,
            tiny_models,
            check=False,
        )
    assert out.returncode == 3
    assert "API key" in out.stderr and "Sources:" in out.stdout
    refused = run_cli(
        ["ask", "object storage", "--no-rerank", "--llm-base-url", f"http://127.0.0.1:{refused_port()}/v1"],
        indexed,
        tiny_models,
        check=False,
    )
    assert refused.returncode == 3 and "Sources:" in refused.stdout


@pytest.mark.slow
def test_ask_dry_run_sends_nothing(indexed: Path, tiny_models) -> None:
    with FakeOpenAIServer() as server:
        out = run_cli(
            ["ask", "object storage", "--no-rerank", "--dry-run", "--llm-base-url", server.base_url],
            indexed,
            tiny_models,
        )
        assert server.chat_requests == []
    assert "Dry run" in out.stdout and "characters" in out.stdout and "<source" in out.stdout


@pytest.mark.slow
def test_ask_chat_last_continues_the_previous_chat(indexed: Path, tiny_models) -> None:
    with FakeOpenAIServer() as server:
        server.push(Reply("Object storage keeps it [1]."))
        run_cli(
            ["ask", "Where does Milvus keep object storage data?", "--no-rerank", "--llm-base-url", server.base_url],
            indexed,
            tiny_models,
        )
        server.push(Reply("object storage ZX1Q2 passage"), Reply("The passage is ZX1Q2 [1]."))
        out = run_cli(
            [
                "ask",
                "And which passage marks it?",
                "--chat",
                "last",
                "--no-rerank",
                "--json",
                "--llm-base-url",
                server.base_url,
            ],
            indexed,
            tiny_models,
        )
        rewrite, answer = server.chat_requests[-2:]
    assert "Where does Milvus keep object storage data?" in rewrite.body["messages"][-1]["content"]
    assert "And which passage marks it?" in rewrite.body["messages"][-1]["content"]
    earlier = [m["content"] for m in answer.body["messages"][1:-1]]
    assert earlier == [
        "Earlier question: Where does Milvus keep object storage data?",
        "Object storage keeps it (earlier source: " + earlier[1].split("(earlier source: ")[1],
    ]
    result = json.loads(out.stdout)
    assert result["searched_for"] == "object storage ZX1Q2 passage" and result["mode"] == "llm"

    chats = json.loads(run_cli(["chats", "--json"], indexed, tiny_models).stdout)
    assert chats[0]["turns"] == 2 and chats[0]["title"].startswith("Where does Milvus keep")


@pytest.mark.slow
def test_ask_without_chat_starts_a_new_one_and_unknown_chat_fails(indexed: Path, tiny_models) -> None:
    before = json.loads(run_cli(["chats", "--json"], indexed, tiny_models).stdout)
    run_cli(["ask", "object storage", "--no-rerank"], indexed, tiny_models)  # no endpoint: search only, still saved
    after = json.loads(run_cli(["chats", "--json"], indexed, tiny_models).stdout)
    assert len(after) == len(before) + 1 and after[0]["turns"] == 1
    out = run_cli(["ask", "object storage", "--chat", "nope", "--no-rerank"], indexed, tiny_models, check=False)
    assert out.returncode == 1 and "No saved chat" in out.stderr


@pytest.mark.slow
def test_ask_dry_run_in_a_chat_shows_the_rewrite_and_the_earlier_turns(indexed: Path, tiny_models) -> None:
    with FakeOpenAIServer() as server:
        server.push(Reply("Object storage keeps it [1]."))
        run_cli(
            ["ask", "Where is object storage data kept?", "--no-rerank", "--llm-base-url", server.base_url],
            indexed,
            tiny_models,
        )
        out = run_cli(
            [
                "ask",
                "And is it replicated?",
                "--chat",
                "last",
                "--no-rerank",
                "--dry-run",
                "--json",
                "--llm-base-url",
                server.base_url,
            ],
            indexed,
            tiny_models,
        )
        assert len(server.chat_requests) == 1  # the dry run sent neither the rewrite nor the answer
    preview = json.loads(out.stdout)
    assert preview["searched_for"].endswith("And is it replicated?") and "object" in preview["searched_for"]
    assert preview["earlier_turns"] == 1
    assert "Where is object storage data kept?" in preview["rewrite_messages"][-1]["content"]
    assert any(m["content"].startswith("Object storage keeps it") for m in preview["messages"])

"""A follow-up in the window: searched for its rewrite in context, shown above the sources, editable and re-run."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.desktop.helpers import ask, wait_library_state, wait_ready
from tests.support.fake_openai import FakeOpenAIServer, Reply


@pytest.fixture
def server():
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
def window(qtbot, make_window, engine_config, docs, server):
    window = make_window(engine_config.with_changes(llm_base_url=server.base_url))
    wait_ready(qtbot, window)
    window.add_folders([str(docs)])
    wait_library_state(qtbot, window, str(docs.resolve()), "ready")
    return window


def searches(window) -> list[str]:
    """Record the queries the chat sends to the engine's search."""
    host = window.controller.chat._host
    seen: list[str] = []
    submit = host.submit

    def recording(kind, *args, **kwargs):
        if kind == "search":
            seen.append(args[0])
        return submit(kind, *args, **kwargs)

    host.submit = recording
    return seen


def test_follow_up_searches_its_rewrite_and_the_edited_query_reruns(qtbot, window, server):
    seen = searches(window)
    server.push(Reply("The keeper lights the lamp at dusk [1]."))
    first = ask(qtbot, window, "When does the lighthouse keeper light the lamp?")
    assert first.mode == "llm" and not window.chat_pane.turn_view(0).searched_for.isVisibleTo(window)

    server.push(Reply("lighthouse keeper lamp in the morning"), Reply("At dawn it is put out [1]."))
    follow = ask(qtbot, window, "And when is it put out?")

    assert seen == ["When does the lighthouse keeper light the lamp?", "lighthouse keeper lamp in the morning"]
    assert follow.searched_for == "lighthouse keeper lamp in the morning" and follow.mode == "llm"
    rewrite, answer = server.chat_requests[-2:]
    assert "When does the lighthouse keeper light the lamp?" in rewrite.body["messages"][-1]["content"]
    assert [m["role"] for m in answer.body["messages"]] == ["system", "user", "assistant", "user"]
    assert "The keeper lights the lamp at dusk" in answer.body["messages"][2]["content"]
    row = window.chat_pane.turn_view(1).searched_for
    assert row.isVisibleTo(window) and row.edit.text() == "lighthouse keeper lamp in the morning"

    server.push(Reply("Sourdough rises overnight [1]."))
    row.edit.setFocus()
    row.edit.selectAll()
    qtbot.keyClicks(row.edit, "sourdough bread")
    qtbot.keyClick(row.edit, Qt.Key.Key_Return)
    chat = window.controller.chat
    qtbot.waitUntil(lambda: chat.chat.turns[1].done and len(server.chat_requests) == 4, timeout=30_000)

    again = chat.chat.turns[1]
    assert seen[-1] == "sourdough bread" and again.searched_for == "sourdough bread"
    assert again.question == "And when is it put out?" and again.text == "Sourdough rises overnight [1]."
    assert len(chat.chat.turns) == 2  # re-run in place, no new turn
    assert window.chat_pane.turn_view(1).searched_for.edit.text() == "sourdough bread"
    assert any(h.chunk.path.endswith("bread.txt") for h in again.hits)

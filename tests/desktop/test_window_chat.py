"""Asking in the window: streamed answers with clickable citations, Stop, search-only, abstention and LLM errors."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from desktop.widgets.settings_dialog import SettingsDialog
from tests.desktop.helpers import ask, wait_library_state, wait_ready
from tests.support.fake_openai import Fail, FakeOpenAIServer, Reply, Trickle


class UrlRecorder(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def server():
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
def indexed_window(qtbot, make_window, engine_config, docs):
    """A started window whose one library (docs) is indexed; pass config changes with request.param."""

    def make(**changes):
        window = make_window(engine_config.with_changes(**changes))
        wait_ready(qtbot, window)
        window.add_folders([str(docs)])
        wait_library_state(qtbot, window, str(docs.resolve()), "ready")
        return window

    return make


def test_streamed_answer_with_clickable_citations_and_sources(qtbot, indexed_window, server):
    server.push(Reply("The keeper lights the lamp at dusk [1][2]. Ships follow the light [3].", chunks=8))
    window = indexed_window(llm_base_url=server.base_url)
    updates = []
    window.controller.chat.turn_changed.connect(lambda _i, turn: updates.append(turn))

    turn = ask(qtbot, window, "When does the lighthouse keeper light the lamp?")

    assert turn.mode == "llm"
    assert turn.text.startswith("The keeper lights the lamp")
    assert turn.cited == (1, 2, 3)
    streamed = [t.text for t in updates if t.mode == "streaming" and t.text]
    assert streamed and len(streamed[0]) < len(turn.text)  # text arrived in pieces before the end
    assert window.chat_pane.question.toPlainText() == ""
    view = window.chat_pane.turn_view(0)
    number = next(n for n, h in enumerate(turn.hits, 1) if h.chunk.path.endswith("lighthouse.md"))
    assert f'href="cite:0:{number}"' in view.answer.text()
    assert "Search only" not in view.banner.text() and not view.banner.isVisible()

    view.answer.linkActivated.emit(f"cite:0:{number}")
    sources = window.sources
    assert sources.current_number() == number
    hit = turn.hits[number - 1]
    assert sources.path_label.text() == hit.chunk.path
    assert "rerank" in sources.scores_label.text()
    shown = sources.text.toHtml()
    assert "background-color" in shown  # the question's words are highlighted in the passage

    recorder = UrlRecorder()
    QDesktopServices.setUrlHandler("file", recorder, "handle")
    try:
        sources.open_button.click()
        qtbot.waitUntil(lambda: bool(recorder.urls), timeout=10_000)  # no page/line viewer here: the default app
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [u.toLocalFile() for u in recorder.urls] == [hit.chunk.path]


def test_stop_while_streaming_keeps_partial_text_and_sources(qtbot, indexed_window, server):
    server.push(Trickle("tick ", interval=0.02))
    window = indexed_window(llm_base_url=server.base_url)
    chat = window.controller.chat
    window.chat_pane.question.setPlainText("Tell me about ships")
    qtbot.keyClick(window.chat_pane.question, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: chat.chat.turns[-1].text.count("tick") >= 3, timeout=30_000)
    assert window.chat_pane.send_button.text() == "Stop"

    window.stop_action.trigger()  # Esc
    qtbot.waitUntil(lambda: chat.chat.turns[-1].done, timeout=10_000)

    turn = chat.chat.turns[-1]
    assert turn.stopped and "tick" in turn.text and turn.hits
    assert window.chat_pane.send_button.text() == "Ask"
    assert "Stopped" in window.chat_pane.turn_view(0).banner.text()
    assert window.stop_action.shortcut().toString() == "Esc"


def test_search_only_without_key_points_to_settings(qtbot, indexed_window):
    window = indexed_window()
    turn = ask(qtbot, window, "sourdough yeast")

    assert turn.mode == "search_only"
    view = window.chat_pane.turn_view(0)
    assert view.banner.isVisible() and "Search only" in view.banner.text()
    assert 'href="settings:"' in view.banner.text()
    assert 'href="cite:0:1"' in view.answer.text() and "bread.txt" in view.answer.text()
    assert len(window.sources.hits) == len(turn.hits) > 0

    view.banner.linkActivated.emit("settings:")
    dialogs = [d for d in window.findChildren(SettingsDialog) if d.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].reject()


def test_not_in_your_documents_is_shown_as_such(qtbot, indexed_window, server):
    window = indexed_window(llm_base_url=server.base_url, abstain_threshold=1.5)
    turn = ask(qtbot, window, "What is the capital of Mongolia?")

    assert turn.mode == "abstained"
    assert "Not in your documents" in window.chat_pane.turn_view(0).banner.text()
    assert server.chat_requests == []  # no model call when nothing relevant was found


def test_llm_error_is_clear_and_sources_still_shown(qtbot, indexed_window, server):
    server.push(Fail.unauthorized())
    window = indexed_window(llm_base_url=server.base_url)
    turn = ask(qtbot, window, "lighthouse lamp")

    assert turn.mode == "error" and turn.error_kind == "auth"
    view = window.chat_pane.turn_view(0)
    assert "could not be generated" in view.banner.text() and "401" in view.banner.text()
    assert "Sources found" in view.answer.text() or 'href="cite:0:1"' in view.answer.text()
    assert len(window.sources.hits) == len(turn.hits) > 0


def test_new_chat_history_reopens_and_is_json_in_data_dir(qtbot, indexed_window, engine_config):
    window = indexed_window()
    ask(qtbot, window, "lighthouse keeper")
    ask(qtbot, window, "satellite orbit")
    first_id = window.controller.chat.chat.id

    window.new_chat_action.trigger()  # Ctrl+N
    assert window.chat_pane.turn_count() == 0
    assert window.history.chat_ids() == [first_id]
    saved = json.loads((engine_config.data_dir / "chats" / f"{first_id}.json").read_text(encoding="utf-8"))
    assert [t["question"] for t in saved["turns"]] == ["lighthouse keeper", "satellite orbit"]

    window.history.open_requested.emit(first_id)
    assert window.chat_pane.turn_count() == 2
    window.chat_pane.turn_view(1).answer.linkActivated.emit("cite:1:1")
    assert window.sources.current_number() == 1

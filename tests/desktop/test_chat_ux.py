"""The chat's small truths (issue 14): it follows new turns unless scrolled up, marks answers that cite nothing or
cite sources that do not exist, tells same-titled chats apart, explains ★ and the scores, says rates in sensible units,
and shows Open / Show in folder failures in the window with the path to copy."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDesktopServices, QGuiApplication, QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop.library_controller import LibraryView
from desktop.widgets.chat_pane import ChatPane
from desktop.widgets.history_list import HistoryList
from desktop.widgets.library_panel import LibraryPanel
from desktop.widgets.report_dialog import ReportDialog
from desktop.widgets.sources_panel import SourcesPanel
from desktop.widgets.turn_view import TurnView
from desktop.words import file_rate, progress_rate
from engine import Chat, ChatStore, Chunk, FileOutcome, Hit, LibraryInfo, Progress, Scores, Turn
from tests.desktop.helpers import ask, wait_library_state, wait_ready
from tests.support.fake_openai import FakeOpenAIServer, Reply

LONG = "The keeper climbs the tower, trims the wick and lights the lamp so that ships can pass the rocks. " * 30


def _hit(path: str, text: str = "The lamp is lit at dusk.", number: int = 0) -> Hit:
    chunk = Chunk(f"c{number}", "/docs", path, number, text, 0, len(text))
    return Hit(chunk, Scores(dense=0.81, dense_rank=1, bm25=3.2, bm25_rank=2, fused=0.0325))


# -- following the conversation -------------------------------------------------------------------------------------
def _wheel(pane: ChatPane, notches: int) -> None:
    """Turn the mouse wheel over the chat (positive: up), as a person scrolls."""
    viewport = pane.scroll_area.viewport()
    at = QPointF(40, 40)
    event = QWheelEvent(
        at,
        QPointF(viewport.mapToGlobal(QPoint(40, 40))),
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


def _at_bottom(pane: ChatPane) -> bool:
    """Scrolled to the end, and the end is the newest turn's end (not blank space below it)."""
    bar = pane.scroll_area.verticalScrollBar()
    viewport = pane.scroll_area.viewport()
    newest = pane.turn_view(pane.turn_count() - 1)
    bottom = newest.mapTo(viewport, QPoint(0, newest.height())).y()
    return bar.maximum() > 0 and bar.value() == bar.maximum() and viewport.height() - 12 <= bottom <= viewport.height()


def test_chat_follows_each_new_turn_unless_scrolled_up(qtbot):
    pane = ChatPane()
    qtbot.addWidget(pane)
    pane.resize(520, 360)
    pane.show()
    bar = pane.scroll_area.verticalScrollBar()
    hits = (_hit("/docs/lighthouse.md"), _hit("/docs/ships.md", number=1))
    for index in range(2):
        pane.add_turn(index, Turn(f"Question {index}?", text="The lamp is lit at dusk [1].", mode="llm", hits=hits))
    pane.add_turn(2, Turn("lamp", mode="search_only", hits=hits, cited=(1,)))
    qtbot.waitUntil(lambda: _at_bottom(pane))

    # A new question, then its answer streaming in: the view keeps to the newest text.
    pane.add_turn(3, Turn("Question 3?"))
    qtbot.waitUntil(lambda: _at_bottom(pane))
    before = bar.maximum()
    pane.update_turn(3, Turn("Question 3?", text=LONG, mode="streaming"))
    # Taller than the chat: the view stops with the question at the top, so the answer reads from its start.
    qtbot.waitUntil(lambda: bar.maximum() > before and bar.value() == pane.newest_turn_top() < bar.maximum())
    assert pane.following

    # Scrolled up on purpose: more streamed text does not pull the view away from what the person reads.
    _wheel(pane, 3)
    held = bar.value()
    assert held < bar.maximum() and not pane.following
    grown = bar.maximum()
    pane.update_turn(3, Turn("Question 3?", text=LONG * 2, mode="streaming"))
    qtbot.waitUntil(lambda: bar.maximum() > grown)
    qtbot.wait(100)
    assert bar.value() == held

    # Back at the bottom: following again.
    for _ in range(200):
        if bar.value() == bar.maximum():
            break
        _wheel(pane, -3)
    assert pane.following
    grown = bar.maximum()
    pane.update_turn(3, Turn("Question 3?", text=LONG * 3, mode="llm"))
    qtbot.waitUntil(lambda: bar.maximum() > grown and _at_bottom(pane))

    # Scrolled up, then a new question is asked: asking is the person's move, so the view goes to it.
    _wheel(pane, 5)
    assert not pane.following
    pane.add_turn(4, Turn("Question 4?"))
    qtbot.waitUntil(lambda: _at_bottom(pane))
    assert pane.following


# -- citations ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("The keeper lights the lamp at dusk.", "No citations: this answer may not come from your documents."),
        ("The keeper lights the lamp at dusk [7].", "Cites [7], which is not among the 2 sources."),
        ("At dusk [1], [4] and [9].", "Cites [4], [9], which are not among the 2 sources."),
        ("The keeper lights the lamp at dusk [1][2].", ""),
    ],
)
def test_an_answer_without_valid_citations_is_marked_beside_it(qtbot, text, note):
    hits = (_hit("/docs/lighthouse.md"), _hit("/docs/ships.md", number=1))
    view = TurnView(0, Turn("When is the lamp lit?", text=text, mode="llm", hits=hits))
    qtbot.addWidget(view)
    view.show()

    assert view.citation_note.isVisible() is bool(note)
    assert view.citation_note.text() == note


def test_streamed_answers_citing_nothing_or_a_missing_source_are_marked_in_the_window(
    qtbot, make_window, engine_config, docs
):
    with FakeOpenAIServer() as server:
        window = make_window(engine_config.with_changes(llm_base_url=server.base_url))
        wait_ready(qtbot, window)
        window.add_folders([str(docs)])
        wait_library_state(qtbot, window, str(docs.resolve()), "ready")

        server.push(Reply("The keeper lights the lamp at dusk.", chunks=4))
        first = ask(qtbot, window, "When is the lighthouse lamp lit?")
        # A follow-up: its question is rewritten first (one reply), then answered (the next).
        server.push(Reply("sourdough bread rises slowly"), Reply("Sourdough rises overnight [9].", chunks=4))
        second = ask(qtbot, window, "Why does sourdough rise slowly?")

    assert first.mode == second.mode == "llm"
    note = window.chat_pane.turn_view(0).citation_note
    assert note.isVisibleTo(window) and note.text().startswith("No citations")
    note = window.chat_pane.turn_view(1).citation_note
    assert note.isVisibleTo(window) and note.text().startswith("Cites [9], which is not among the")


def test_no_citation_note_while_streaming_or_for_passage_lists(qtbot):
    hits = (_hit("/docs/lighthouse.md"),)
    view = TurnView(0, Turn("q", text="The keeper lights", mode="streaming", hits=hits))
    qtbot.addWidget(view)
    view.show()
    assert not view.citation_note.isVisible()
    view.set_turn(Turn("q", text="", mode="search_only", hits=hits, cited=(1,)))
    assert not view.citation_note.isVisible()


# -- titles ---------------------------------------------------------------------------------------------------------
def test_chats_started_with_the_same_question_get_distinct_titles(qtbot, tmp_path):
    store = ChatStore(tmp_path / "chats")
    now = time.time()
    for n in range(3):
        store.save(Chat(f"chat-{n}", (Turn("Where does Milvus store data?"),), created=now + n))
    store.save(Chat("other", (Turn("What is BM25?"),), created=now + 5))

    history = HistoryList()
    qtbot.addWidget(history)
    history.set_chats(store.list())
    rows = {history.list.item(i).data(Qt.ItemDataRole.UserRole + 1): history.list.item(i) for i in range(4)}

    assert rows["chat-0"].text() == "Where does Milvus store data?"  # the first keeps the plain title
    assert rows["chat-1"].text() == "Where does Milvus store data? (2)"
    assert rows["chat-2"].text() == "Where does Milvus store data? (3)"
    assert rows["other"].text() == "What is BM25?"
    assert rows["chat-2"].toolTip().startswith("Where does Milvus store data? (3)")


def test_the_window_titles_the_chat_as_the_history_does(qtbot, make_window, engine_config):
    window = make_window(engine_config, start=False)
    store = window.controller.chat._store
    now = time.time()
    for n in range(2):
        store.save(Chat(f"chat-{n}", (Turn("Where does Milvus store data?", mode="search_only"),), created=now + n))
    window.controller.chat.refresh_history()

    assert window.controller.chat.open_chat("chat-1")
    assert window.chat_pane.title.text() == "Where does Milvus store data? (2)"
    window.controller.chat.new_chat()
    assert window.chat_pane.title.text() == "New chat"


# -- tooltips -------------------------------------------------------------------------------------------------------
def test_tooltips_explain_the_star_and_the_scores(qtbot):
    hits = (_hit("/docs/lighthouse.md"), _hit("/docs/ships.md", number=1))
    view = TurnView(0, Turn("lamp", mode="search_only", hits=hits, cited=(1,)))
    qtbot.addWidget(view)
    assert "★" in view.answer.text()
    assert "★ marks a passage the answer cites" in view.answer.toolTip()

    panel = SourcesPanel()
    qtbot.addWidget(panel)
    panel.show_hits(hits, "lamp", cited=(1,))
    shown = panel.scores_label.text()
    assert "dense" in shown and "BM25" in shown and "fused" in shown
    tip = panel.scores_label.toolTip()
    for word in ("dense:", "BM25:", "fused:", "rerank:"):
        assert word in tip
    assert "Cited by the answer" in panel.list.item(0).toolTip()
    assert "Cited by the answer" not in panel.list.item(1).toolTip()


def test_a_library_row_cut_to_the_sidebar_has_its_full_text_in_the_tooltip(qtbot, tmp_path):
    path = str(tmp_path / "a folder with a rather long name for a narrow sidebar")
    info = LibraryInfo(path, 21, 340, 21, 0, 2, 0, time.time() - 5)
    panel = LibraryPanel()
    qtbot.addWidget(panel)
    panel.resize(160, 300)
    panel.show()
    panel.set_libraries([LibraryView(path, "ready", info)])
    tip = panel.list.item(0).toolTip()
    assert "a folder with a rather long name for a narrow sidebar" in tip
    assert "Ready · 21 files · 340 chunks · 2 failed · just now" in tip


# -- rates ----------------------------------------------------------------------------------------------------------
def test_rates_are_per_minute_when_slower_than_a_file_a_second():
    assert file_rate(12.4) == "12 files/s"
    assert file_rate(2.46) == "2.5 files/s"
    assert file_rate(1.0) == "1.0 files/s"
    assert file_rate(0.04) == "2.4 files/min"
    assert file_rate(0.5) == "30 files/min"
    assert file_rate(0.0005) == "under 0.1 files/min"
    slow = Progress("/lib", "embedding", files_total=40, files_done=1, elapsed_s=90.0)
    rate = progress_rate(slow)
    assert rate.startswith("0.7 files/min") and "0.0" not in rate


# -- open failures --------------------------------------------------------------------------------------------------
def _message_box(window) -> QMessageBox | None:
    boxes = [b for b in window.findChildren(QMessageBox) if b.objectName() == "openFailed" and b.isVisible()]
    return boxes[-1] if boxes else None


def test_open_and_show_in_folder_failures_are_shown_with_the_path(qtbot, make_window, engine_config, docs, monkeypatch):
    """No launcher for the file (QDesktopServices refuses, as it does without xdg-open): the window says so."""
    window = make_window(engine_config, start=False)
    opened: list[str] = []

    def refuse(url) -> bool:
        opened.append(url.toLocalFile())
        return False

    monkeypatch.setattr(QDesktopServices, "openUrl", refuse)
    path = str(docs / "bread.txt")
    window.sources.show_hits((_hit(path),), "bread")

    window.sources.open_button.click()  # a .txt file: line lookup may run on a thread, then the default app
    qtbot.waitUntil(lambda: _message_box(window) is not None, timeout=10_000)
    box = _message_box(window)
    assert box is not None and opened == [path]
    assert box.windowTitle() == "Could not open the file" and path in box.text()
    assert box.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    copy = next(b for b in box.buttons() if b.text() == "Copy path")
    copy.click()
    assert QGuiApplication.clipboard().text() == path and box.isVisible()  # copying does not close it
    box.close()
    qtbot.waitUntil(lambda: _message_box(window) is None)

    window.sources.reveal_button.click()
    box = _message_box(window)
    assert box is not None and box.windowTitle() == "Could not show the folder" and str(docs) in box.text()
    box.close()

    window.library_panel.reveal_requested.emit(str(docs))
    box = _message_box(window)
    assert box is not None and str(docs) in box.text()
    box.close()


def test_a_report_row_that_no_app_opens_says_so_in_the_report(qtbot, docs, monkeypatch):
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    path = str(docs / "bread.txt")
    dialog = ReportDialog(str(docs))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_outcomes([FileOutcome(path, str(docs), "indexed", chunks=1)])

    dialog.table.doubleClicked.emit(dialog.table.model().index(0, 0))

    boxes = [b for b in dialog.findChildren(QMessageBox) if b.objectName() == "openFailed" and b.isVisible()]
    assert len(boxes) == 1 and path in boxes[0].text()
    boxes[0].close()


def test_open_that_works_shows_no_message(qtbot, make_window, engine_config, docs, monkeypatch):
    window = make_window(engine_config, start=False)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: True)
    window.sources.show_hits((_hit(str(docs / "orbits.md")),), "orbit")
    window.sources.reveal_button.click()
    window.library_panel.reveal_requested.emit(str(docs))
    assert _message_box(window) is None


def test_the_engine_names_citations_outside_the_sources():
    from engine import citations_outside

    assert citations_outside("a [1] b [3] c [0] d [3]", 2) == (3, 0)
    assert citations_outside("ranges [1-2] and [2–6], full-width ［8］", 3) == (6, 8)
    assert citations_outside("no markers at all", 2) == ()


# -- the reranker-unavailable note ----------------------------------------------------------------------------------
def test_without_the_reranker_a_turn_says_so_once_with_a_download_button(
    qtbot, make_window, engine_config, docs, tmp_path
):
    """The reranker is not on this computer: hits come ranked by fusion, and the first turn of the chat says so with
    a Download that starts the app's model download (the one the models banner offers)."""
    window = make_window(engine_config.with_changes(rerank_model=str(tmp_path / "no-reranker")))
    controller = window.controller
    # The embedder is on disk and loads; the missing reranker holds nothing up: the library indexes, search uses both
    # keywords and meaning, and the banner offers the reranker.
    qtbot.waitUntil(lambda: controller.models.state == "ready", timeout=60_000)
    assert controller.models.reranker == "missing"
    assert "The reranker" in window.model_banner.text.text() and window.model_banner.download_button.isVisible()
    assert window.models_label.text() == "Models: ready · no reranker (ranked by keyword + meaning)"
    window.add_folders([str(docs)])
    wait_library_state(qtbot, window, str(docs.resolve()), "ready")

    first = ask(qtbot, window, "When is the lighthouse lamp lit?")
    assert first.hits and first.rerank_unavailable and all(h.scores.rerank is None for h in first.hits)
    note = window.chat_pane.turn_view(0).rerank_note
    assert note.isVisibleTo(window)
    assert note.label.text() == "Reranker not available: ranked by keyword + meaning."
    assert "not downloaded" in note.label.toolTip()

    second = ask(qtbot, window, "sourdough bread")
    assert second.hits and not second.rerank_unavailable  # said once per chat
    assert not window.chat_pane.turn_view(1).rerank_note.isVisibleTo(window)

    note.download_button.click()
    assert controller.models.reranker == "downloading"  # the app's own download started; the embedder stays
    assert controller.models.state == "ready"
    qtbot.waitUntil(lambda: controller.models.reranker in ("failed", "missing"), timeout=30_000)

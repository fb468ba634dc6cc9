"""Waiting helpers shared by the desktop tests."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication


def wait_ready(qtbot, window, timeout: int = 90_000) -> None:
    """Until the models are loaded (the first load in a process imports torch and takes seconds)."""
    qtbot.waitUntil(lambda: window.controller.models.state in ("ready", "error", "closed"), timeout=timeout)
    assert window.controller.models.state == "ready", window.controller.models


def wait_library_state(qtbot, window, path: str, state: str, timeout: int = 30_000) -> None:
    def check() -> bool:
        view = window.library_panel.view(path)
        return view is not None and view.state == state

    qtbot.waitUntil(check, timeout=timeout)


def drop_folders(window, folders: list[Path]) -> QDropEvent:
    """Simulate dragging folders from a file manager onto the window (enter, then drop)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in folders])
    pos = QPointF(window.width() / 2, window.height() / 2)
    enter = QDragEnterEvent(
        pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return drop


def drop_file_refused(window, path: Path) -> bool:
    """True when dragging a single file (not a folder) onto the window is refused."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        window.rect().center(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    return not enter.isAccepted()


def ask(qtbot, window, question: str, timeout: int = 30_000):
    """Type the question and press Enter; wait for the turn to finish; return it."""
    chat = window.controller.chat
    window.chat_pane.question.setPlainText(question)
    qtbot.keyClick(window.chat_pane.question, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(chat.chat.turns) and chat.chat.turns[-1].done, timeout=timeout)
    return chat.chat.turns[-1]

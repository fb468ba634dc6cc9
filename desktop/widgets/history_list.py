"""HistoryList: saved chats, newest first; click to reopen, context menu to delete."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QMenu, QVBoxLayout, QWidget

from desktop.i18n import translate
from desktop.words import ago
from engine import ChatSummary

ID_ROLE = Qt.ItemDataRole.UserRole + 1


class HistoryList(QWidget):
    """Signals: open_requested(chat_id), delete_requested(chat_id)."""

    open_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel(translate("HistoryList", "Chats"))
        title.setObjectName("paneTitle")
        self.list = QListWidget()
        self.list.setObjectName("historyList")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.itemActivated.connect(self._on_item)
        self.list.itemClicked.connect(self._on_item)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_context_menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)

    def set_chats(self, chats: Sequence[ChatSummary], current: str | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for chat in chats:
            item = QListWidgetItem(chat.title)
            item.setToolTip(f"{chat.title}\n{ago(chat.updated)}")
            item.setData(ID_ROLE, chat.id)
            self.list.addItem(item)
            if chat.id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def chat_ids(self) -> list[str]:
        return [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())]

    def _on_item(self, item: QListWidgetItem) -> None:
        self.open_requested.emit(item.data(ID_ROLE))

    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        chat_id = item.data(ID_ROLE)
        menu = QMenu(self)
        menu.addAction(translate("HistoryList", "Open"), lambda: self.open_requested.emit(chat_id))
        menu.addAction(translate("HistoryList", "Delete"), lambda: self.delete_requested.emit(chat_id))
        menu.exec(self.list.viewport().mapToGlobal(pos))

"""LibraryPanel: the libraries sidebar (name, counts, state, last indexed) and per-library actions."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import translate
from desktop.library_controller import LibraryView
from desktop.resources import icon
from desktop.words import ago, count, folder_name

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
SUBTITLE_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3
STATE_ICONS = {
    "indexing": "state-indexing",
    "queued": "state-indexing",
    "paused": "pause",
    "ready": "state-ready",
    "keyword_only": "state-paused",
    "incomplete": "state-paused",
    "waiting": "state-paused",
    "error": "state-error",
    "new": "state-paused",
}


def state_words(state: str) -> str:
    words = {
        "indexing": translate("LibraryPanel", "Indexing"),
        "queued": translate("LibraryPanel", "Queued"),
        "paused": translate("LibraryPanel", "Paused"),
        "ready": translate("LibraryPanel", "Ready"),
        "keyword_only": translate("LibraryPanel", "Keyword search ready"),
        "incomplete": translate("LibraryPanel", "Incomplete"),
        "waiting": translate("LibraryPanel", "Waiting for the models"),
        "error": translate("LibraryPanel", "Error"),
        "new": translate("LibraryPanel", "Not indexed yet"),
    }
    return words.get(state, state)


def subtitle(view: LibraryView) -> str:
    """The second line of a library row."""
    parts = [state_words(view.state)]
    info, progress = view.info, view.progress
    if view.state in ("indexing", "paused") and progress is not None and progress.phase != "scanning":
        parts.append(
            translate("LibraryPanel", "{done}/{total} files").format(
                done=f"{progress.files_done:,}", total=f"{progress.files_total:,}"
            )
        )
    elif view.state == "error":
        return translate("LibraryPanel", "Error: {detail}").format(detail=view.detail)
    elif view.state == "keyword_only":
        parts.append(view.detail)
    elif info is not None and view.state not in ("new", "waiting", "queued"):
        parts.append(count(info.files, "file"))
        parts.append(count(info.chunks, "chunk"))
        if info.failed:
            parts.append(translate("LibraryPanel", "{n} failed").format(n=f"{info.failed:,}"))
        if view.state == "ready":
            parts.append(ago(info.last_indexed))
    if view.state == "incomplete":
        parts.append(translate("LibraryPanel", "re-index to continue"))
    return " · ".join(parts)


def tooltip(view: LibraryView) -> str:
    """The row's full text (its two lines are cut to the sidebar's width), then the path and counts."""
    lines = [folder_name(view.path), subtitle(view), view.path]
    info = view.info
    if info is not None:
        lines.append(
            translate(
                "LibraryPanel", "{indexed} indexed, {skipped} skipped, {failed} failed, {pending} pending"
            ).format(
                indexed=f"{info.indexed:,}",
                skipped=f"{info.skipped:,}",
                failed=f"{info.failed:,}",
                pending=f"{info.pending:,}",
            )
        )
        lines.append(translate("LibraryPanel", "Last indexed: {when}").format(when=ago(info.last_indexed)))
    if view.detail:
        lines.append(view.detail)
    return "\n".join(lines)


class LibraryDelegate(QStyledItemDelegate):
    """Two lines per library: the folder name in bold, then its state and counts."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802 - Qt override
        line = option.fontMetrics.lineSpacing()
        return QSize(200, line * 2 + 14)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        style = opt.widget.style() if opt.widget else None
        opt.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        rect = option.rect.adjusted(8, 5, -6, -5)
        icon_size = 20
        opt.icon.paint(painter, QRect(rect.left(), rect.top() + 2, icon_size, icon_size))
        text_rect = rect.adjusted(icon_size + 8, 0, 0, 0)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(option.palette.color(group))
        line = option.fontMetrics.lineSpacing()
        name = painter.fontMetrics().elidedText(
            index.data(Qt.ItemDataRole.DisplayRole), Qt.TextElideMode.ElideMiddle, text_rect.width()
        )
        painter.drawText(QRect(text_rect.left(), text_rect.top(), text_rect.width(), line), 0, name)
        painter.setFont(option.font)
        if not selected:
            painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
        sub = option.fontMetrics.elidedText(
            index.data(SUBTITLE_ROLE) or "", Qt.TextElideMode.ElideRight, text_rect.width()
        )
        painter.drawText(QRect(text_rect.left(), text_rect.top() + line + 2, text_rect.width(), line), 0, sub)
        painter.restore()


class LibraryPanel(QWidget):
    """Signals (each with the library path unless noted):
    add_requested(), reindex_requested, retry_requested, remove_requested, reveal_requested, report_requested,
    excludes_requested
    """

    add_requested = Signal()
    reindex_requested = Signal(str)
    retry_requested = Signal(str)
    remove_requested = Signal(str)
    reveal_requested = Signal(str)
    report_requested = Signal(str)
    excludes_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._views: dict[str, LibraryView] = {}
        title = QLabel(translate("LibraryPanel", "Libraries"))
        title.setObjectName("paneTitle")
        self.add_button = self._tool(
            "add-folder", translate("LibraryPanel", "Add a folder (Ctrl+O)"), self.add_requested.emit
        )
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(self.add_button)
        self.list = QListWidget()
        self.list.setObjectName("libraryList")
        self.list.setItemDelegate(LibraryDelegate(self.list))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_list_context_menu)
        self.list.itemDoubleClicked.connect(lambda item: self.report_requested.emit(item.data(PATH_ROLE)))
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.empty = QLabel(translate("LibraryPanel", "Drop folders here, or click + to add one."))
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        self.reindex_button = self._tool(
            "reindex", translate("LibraryPanel", "Re-index the selected library"), self._emit(self.reindex_requested)
        )
        self.report_button = self._tool(
            "report",
            translate("LibraryPanel", "What was indexed, skipped or failed"),
            self._emit(self.report_requested),
        )
        self.remove_button = self._tool(
            "remove", translate("LibraryPanel", "Remove the selected library"), self._emit(self.remove_requested)
        )
        actions = QHBoxLayout()
        actions.addWidget(self.reindex_button)
        actions.addWidget(self.report_button)
        actions.addStretch(1)
        actions.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addLayout(actions)
        self._update_buttons()

    def _tool(self, icon_name: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(icon_name))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.setProperty("iconName", icon_name)
        button.clicked.connect(slot)
        return button

    def _emit(self, signal):
        return lambda: self.selected_path() and signal.emit(self.selected_path())

    def refresh_icons(self) -> None:
        for button in self.findChildren(QToolButton):
            name = button.property("iconName")
            if name:
                button.setIcon(icon(name))
        self.set_libraries(tuple(self._views.values()))

    # -- content -----------------------------------------------------------------------------------
    def set_libraries(self, views: Sequence[LibraryView]) -> None:
        selected = self.selected_path()
        self._views = {v.path: v for v in views}
        rows = {self.list.item(i).data(PATH_ROLE): i for i in range(self.list.count())}
        if list(rows) != [v.path for v in views]:
            self.list.clear()
            for view in views:
                item = QListWidgetItem(folder_name(view.path))
                item.setData(PATH_ROLE, view.path)
                self.list.addItem(item)
        for row, view in enumerate(views):
            item = self.list.item(row)
            item.setData(SUBTITLE_ROLE, subtitle(view))
            item.setToolTip(tooltip(view))
            if item.data(STATE_ROLE) != view.state:
                item.setData(STATE_ROLE, view.state)
                item.setIcon(icon(STATE_ICONS.get(view.state, "state-paused")))
        if selected in self._views:
            self.select(selected)
        elif views and self.list.currentRow() < 0:
            self.list.setCurrentRow(0)
        self.empty.setVisible(not views)
        self._update_buttons()

    def select(self, path: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(PATH_ROLE) == path:
                self.list.setCurrentRow(row)
                return

    def selected_path(self) -> str | None:
        item = self.list.currentItem()
        return item.data(PATH_ROLE) if item is not None else None

    def view(self, path: str) -> LibraryView | None:
        return self._views.get(path)

    def _update_buttons(self) -> None:
        has = self.selected_path() is not None
        for button in (self.reindex_button, self.report_button, self.remove_button):
            button.setEnabled(has)

    def _on_list_context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        path = item.data(PATH_ROLE)
        menu = QMenu(self)
        menu.addAction(
            icon("reindex"), translate("LibraryPanel", "Re-index"), lambda: self.reindex_requested.emit(path)
        )
        menu.addAction(translate("LibraryPanel", "Retry failed files"), lambda: self.retry_requested.emit(path))
        menu.addAction(
            icon("report"), translate("LibraryPanel", "File report…"), lambda: self.report_requested.emit(path)
        )
        menu.addAction(translate("LibraryPanel", "Exclusions…"), lambda: self.excludes_requested.emit(path))
        menu.addAction(
            icon("reveal"), translate("LibraryPanel", "Show in file manager"), lambda: self.reveal_requested.emit(path)
        )
        menu.addSeparator()
        menu.addAction(icon("remove"), translate("LibraryPanel", "Remove…"), lambda: self.remove_requested.emit(path))
        menu.exec(self.list.viewport().mapToGlobal(pos))

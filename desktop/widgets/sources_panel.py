"""SourcesPanel: the passages behind an answer; a citation selects one, Open shows the file in its app."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import translate
from desktop.open_at import Location, line_of, open_at
from desktop.rendering import highlight_html, reflow
from desktop.resources import icon
from desktop.theme import highlight_color
from desktop.words import scores
from engine import Hit

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
CHUNK_ROLE = Qt.ItemDataRole.UserRole + 8  # the passage's chunk id: a reordered list keeps each passage's item
# Files whose chunk offsets are offsets into the file itself, so a line number means something in an editor.
PLAIN_TEXT_SUFFIXES = frozenset(
    ".txt .md .markdown .rst .py .js .ts .java .c .h .cpp .hpp .cs .go .rs .rb .php .sh .sql .toml .yaml .yml .json "
    ".ini .cfg .tex .org .log .xml".split()
)


def hit_title(number: int, hit: Hit) -> str:
    chunk = hit.chunk
    page = " · " + translate("SourcesPanel", "p. {page}").format(page=chunk.page) if chunk.page is not None else ""
    return f"[{number}] {Path(chunk.path).name}{page}"


def scores_tooltip() -> str:
    """What the numbers under a passage mean (they are shown as they come from the search, not as percentages)."""
    return translate(
        "SourcesPanel",
        "How this passage was found:\n"
        "rerank: the reranker's judgement of how well the passage answers the question (0 to 1; higher is better).\n"
        "dense: similarity in meaning between the question and the passage (embeddings; higher is better).\n"
        "BM25: keyword match, weighing rare words more (higher is better).\n"
        "fused: dense and BM25 combined by their ranks; the order used when there is no reranker.\n"
        "(#n) is the passage's rank in that search alone.",
    )


def item_tooltip(hit: Hit, cited: bool) -> str:
    if cited:
        return translate("SourcesPanel", "{path}\nCited by the answer (shown in bold; ★ in the chat)").format(
            path=hit.chunk.path
        )
    return hit.chunk.path


def open_file(path: str) -> bool:
    """Open the file in its default app, at its start."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def hit_location(hit: Hit) -> Location:
    """Where a passage sits: its page for paged documents, else its line when the file is plain text."""
    chunk = hit.chunk
    if chunk.page is not None:
        return Location(chunk.path, page=chunk.page)
    if Path(chunk.path).suffix.lower() in PLAIN_TEXT_SUFFIXES:
        return Location(chunk.path, line=line_of(chunk.path, chunk.char_start, chunk.text))
    return Location(chunk.path)


def folder_of(path: str) -> str:
    """A file's folder, or a folder itself."""
    target = Path(path)
    return str(target if target.is_dir() else target.parent)


def reveal(path: str) -> bool:
    """Show a file's folder (or a folder itself) in the file manager; False when no file manager could be started."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(folder_of(path)))


def _same_hits(a: tuple[Hit, ...], b: tuple[Hit, ...]) -> bool:
    return [(h.chunk.id, h.scores) for h in a] == [(h.chunk.id, h.scores) for h in b]


class SourcesPanel(QWidget):
    """Signals: hit_selected(int number); open_failed(path, is_folder) when no app could open the file (or, for
    Show in folder, no file manager could show its folder): the window shows the path to copy."""

    hit_selected = Signal(int)
    open_failed = Signal(str, bool)
    _open_plain = Signal(str)  # emitted from the opener's thread when no page/line viewer applies

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hits: tuple[Hit, ...] = ()
        self._question = ""
        self._cited: tuple[int, ...] = ()
        self._selecting = False  # True while the panel itself moves the selection
        self._chosen: str | None = None  # the chunk id of the passage the person picked in this list
        self.title = QLabel(translate("SourcesPanel", "Sources"))
        self.title.setObjectName("paneTitle")
        # "Ranking…" while the reranker works, then how far it got: a line under the list, never a dialog.
        self.ranking_label = QLabel()
        self.ranking_label.setObjectName("rankingNote")
        self.ranking_label.setWordWrap(True)
        self.ranking_label.setVisible(False)
        self.list = QListWidget()
        self.list.setObjectName("sourcesList")
        # Pixel scrolling, so a reordered list can keep the selected passage exactly where the reader had it.
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.currentRowChanged.connect(self._on_row_changed)

        self.path_label = QLabel()
        self.path_label.setObjectName("sourcePath")
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where_label = QLabel()
        self.where_label.setObjectName("sourceWhere")
        self.where_label.setWordWrap(True)
        self.scores_label = QLabel()
        self.scores_label.setObjectName("sourceScores")
        self.scores_label.setWordWrap(True)
        self.scores_label.setToolTip(scores_tooltip())
        self.text = QTextBrowser()
        self.text.setObjectName("sourceText")
        self.text.setOpenLinks(False)
        self.open_button = QPushButton(translate("SourcesPanel", "Open"))
        self.open_button.setIcon(icon("open"))
        self.open_button.setToolTip(
            translate("SourcesPanel", "Open the file, at the passage's page or line where its viewer allows")
        )
        self.open_button.clicked.connect(self.open_current)
        self._open_plain.connect(self._open_default)
        self.reveal_button = QPushButton(translate("SourcesPanel", "Show in folder"))
        self.reveal_button.setIcon(icon("reveal"))
        self.reveal_button.clicked.connect(self.reveal_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.path_label)
        detail_layout.addWidget(self.where_label)
        detail_layout.addWidget(self.scores_label)
        detail_layout.addWidget(self.text, 1)
        detail_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical)
        # The ranking line sits under the list, so showing, rewording or hiding it never moves the passages.
        listing = QWidget()
        self._listing = QVBoxLayout(listing)
        self._listing.setContentsMargins(0, 0, 0, 0)
        self._listing.setSpacing(2)
        self._listing.addWidget(self.list, 1)
        self._listing.addWidget(self.ranking_label)
        splitter.addWidget(listing)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        layout.addWidget(splitter, 1)
        self.show_hits((), "")

    # -- content -----------------------------------------------------------------------------------
    def show_hits(
        self, hits: Sequence[Hit], question: str, cited: Sequence[int] = (), select: int | None = None
    ) -> None:
        self._hits = tuple(hits)
        self._question = question
        self._cited = tuple(cited)
        self._chosen = None
        self.list.blockSignals(True)
        self.list.clear()
        for number, hit in enumerate(self._hits, start=1):
            item = QListWidgetItem()
            self._fill(item, number, hit)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._set_title()
        if self._hits:
            self.select(select or 1)
        else:
            self._show_detail(None)

    def update_hits(self, hits: Sequence[Hit], question: str, cited: Sequence[int] = ()) -> None:
        """Replace the list in place (the reranked order after the early one): each passage keeps its item, new ones
        are added and dropped ones removed, and the passage the person picked stays selected where the reader had it.
        When the person has picked none, the new first passage is selected and the list shows from its top (the
        panel's own pick of the old first must not push the new best ones out of view)."""
        hits = tuple(hits)
        if not self._hits or not hits:
            self.show_hits(hits, question, cited)
            return
        if question == self._question and tuple(cited) == self._cited and _same_hits(hits, self._hits):
            return  # streamed tokens re-send the same list many times a second
        current_id = self._chosen
        old_item = self.list.currentItem()
        offset = self.list.visualItemRect(old_item).top() if old_item is not None else None
        items = {self.list.item(row).data(CHUNK_ROLE): self.list.item(row) for row in range(self.list.count())}
        self._hits, self._question, self._cited = hits, question, tuple(cited)
        self.list.blockSignals(True)
        while self.list.count():
            self.list.takeItem(0)
        for number, hit in enumerate(hits, start=1):
            item = items.pop(hit.chunk.id, None) or QListWidgetItem()
            self._fill(item, number, hit)
            self.list.addItem(item)
        ids = [hit.chunk.id for hit in hits]
        row = ids.index(current_id) if current_id in ids else 0
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        self._set_title()
        if current_id not in ids:
            self._chosen = None
            self.list.scrollToTop()
            self._show_detail(row + 1)
            return
        self._keep_in_place(self.list.item(row), offset)
        self._show_labels(row + 1)  # same passage: its text (and the reader's place in it) stays

    def _keep_in_place(self, item: QListWidgetItem, offset: int | None) -> None:
        """Scroll so that the moved item sits where it sat before (at least in view)."""
        self.list.doItemsLayout()
        if offset is not None:
            bar = self.list.verticalScrollBar()
            bar.setValue(bar.value() + self.list.visualItemRect(item).top() - offset)
        self.list.scrollToItem(item, QAbstractItemView.ScrollHint.EnsureVisible)

    def _fill(self, item: QListWidgetItem, number: int, hit: Hit) -> None:
        cited = number in self._cited
        item.setText(hit_title(number, hit))
        item.setToolTip(item_tooltip(hit, cited))
        item.setData(HIT_ROLE, number)
        item.setData(CHUNK_ROLE, hit.chunk.id)
        if cited or item.font().bold():
            font = QFont(item.font())
            font.setBold(cited)
            item.setFont(font)

    def _set_title(self) -> None:
        self.title.setText(
            translate("SourcesPanel", "Sources ({n})").format(n=len(self._hits))
            if self._hits
            else translate("SourcesPanel", "Sources")
        )

    def set_ranking(self, words: str, tooltip: str = "") -> None:
        """The line under the list: "Ranking…" while the reranker works, then its counts ("" hides it)."""
        if words == self.ranking_label.text() and bool(words) == self.ranking_label.isVisibleTo(self):
            return
        self.ranking_label.setText(words)
        self.ranking_label.setToolTip(tooltip)
        self.ranking_label.setVisible(bool(words))
        # The list may have lost a line to it: keep the selected passage in view.
        self._listing.activate()
        current = self.list.currentItem()
        if current is not None:
            self.list.scrollToItem(current, QAbstractItemView.ScrollHint.EnsureVisible)

    @property
    def chosen_id(self) -> str | None:
        """The chunk id of the passage the person picked in this list (None when the panel chose)."""
        return self._chosen

    def select(self, number: int) -> None:
        if 1 <= number <= len(self._hits):
            self._selecting = True
            try:
                self.list.setCurrentRow(number - 1)
            finally:
                self._selecting = False
            self._show_detail(number)

    @property
    def hits(self) -> tuple[Hit, ...]:
        return self._hits

    def current_number(self) -> int | None:
        row = self.list.currentRow()
        return row + 1 if 0 <= row < len(self._hits) else None

    def current_hit(self) -> Hit | None:
        number = self.current_number()
        return self._hits[number - 1] if number else None

    def _on_row_changed(self, row: int) -> None:
        if 0 <= row < len(self._hits):
            if not self._selecting:
                self._chosen = self._hits[row].chunk.id
            self._show_detail(row + 1)
            self.hit_selected.emit(row + 1)

    def _show_detail(self, number: int | None) -> None:
        hit = self._show_labels(number)
        if hit is not None:
            self.text.setHtml(highlight_html(reflow(hit.chunk.text), self._question, highlight_color()))

    def _show_labels(self, number: int | None) -> Hit | None:
        """Everything about the passage but its text; returns the passage."""
        hit = self._hits[number - 1] if number else None
        self.open_button.setEnabled(hit is not None)
        self.reveal_button.setEnabled(hit is not None)
        if hit is None:
            self.path_label.setText("")
            self.where_label.setText(
                translate("SourcesPanel", "Click a citation such as [1] to see the passage it points to.")
            )
            self.scores_label.setText("")
            self.text.clear()
            return None
        chunk = hit.chunk
        self.path_label.setText(chunk.path)
        where = [translate("SourcesPanel", "Source [{n}]").format(n=number)]
        if chunk.page is not None:
            where.append(translate("SourcesPanel", "page {page}").format(page=chunk.page))
        if chunk.headings:
            where.append(chunk.heading)
        self.where_label.setText(" · ".join(where))
        self.scores_label.setText(scores(hit.scores))
        return hit

    # -- actions -----------------------------------------------------------------------------------
    def open_current(self) -> None:
        """Open the passage's file at its page or line where the viewer allows (see desktop.open_at)."""
        hit = self.current_hit()
        if hit is not None:
            open_at(hit_location(hit), self._open_plain.emit)

    def _open_default(self, path: str) -> None:
        if not open_file(path):
            self.open_failed.emit(path, False)

    def reveal_current(self) -> None:
        hit = self.current_hit()
        if hit is not None and not reveal(hit.chunk.path):
            self.open_failed.emit(folder_of(hit.chunk.path), True)

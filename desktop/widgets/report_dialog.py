"""ReportDialog: what happened to each file of a library (indexed, skipped, failed, pending) and why, with Retry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import translate
from desktop.widgets.open_failed import show_open_failed
from desktop.widgets.sources_panel import open_file
from desktop.words import folder_name
from engine import FileCounts, FileOutcome
from engine.types import shown_status

COLUMN_COUNT = 4


def filters() -> tuple[tuple[str, str | None], ...]:
    """The status filter's (label, status) items; None shows every file."""
    return (
        (translate("ReportDialog", "All files"), None),
        (translate("ReportDialog", "Indexed"), "indexed"),
        (translate("ReportDialog", "Skipped"), "skipped"),
        (translate("ReportDialog", "Failed"), "failed"),
        (translate("ReportDialog", "Pending"), "pending"),
    )


def columns() -> tuple[str, ...]:
    return (
        translate("ReportDialog", "File"),
        translate("ReportDialog", "Status"),
        translate("ReportDialog", "Reason"),
        translate("ReportDialog", "Chunks"),
    )


def status_word(status: str) -> str:
    """A file's status as the table shows it (lower case, like the summary line)."""
    words = {
        "indexed": translate("ReportDialog", "indexed"),
        "skipped": translate("ReportDialog", "skipped"),
        "failed": translate("ReportDialog", "failed"),
        "pending": translate("ReportDialog", "pending"),
    }
    return words.get(shown_status(status), status)


def reason_text(outcome: FileOutcome) -> str:
    if outcome.status == "embedding" and not outcome.reason:
        return translate("ReportDialog", "Text stored (keyword search finds it); its embeddings are still to come")
    return outcome.reason


def summary_text(counts: FileCounts) -> str:
    """The footer: the same counts (engine.FileCounts) as the library row, the status bar and `tansaku report`."""
    return translate(
        "ReportDialog", "{indexed} indexed · {skipped} skipped · {failed} failed · {pending} pending"
    ).format(
        indexed=f"{counts.indexed:,}",
        skipped=f"{counts.skipped:,}",
        failed=f"{counts.failed:,}",
        pending=f"{counts.pending:,}",
    )


Index = QModelIndex | QPersistentModelIndex


class OutcomeModel(QAbstractTableModel):
    """Outcomes filtered by status and a text filter; paths shown relative to the library."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._library = ""
        self._all: tuple[FileOutcome, ...] = ()
        self._rows: tuple[FileOutcome, ...] = ()
        self._status: str | None = None
        self._text = ""

    def set_outcomes(self, library: str, outcomes: Sequence[FileOutcome]) -> None:
        self._library = library
        self._all = tuple(sorted(outcomes, key=lambda o: o.path))
        self._refilter()

    def set_filter(self, status: str | None, text: str = "") -> None:
        self._status, self._text = status, text.lower()
        self._refilter()

    def _refilter(self) -> None:
        self.beginResetModel()
        self._rows = tuple(
            o
            for o in self._all
            if (self._status is None or shown_status(o.status) == self._status)
            and (not self._text or self._text in o.path.lower() or self._text in reason_text(o).lower())
        )
        self.endResetModel()

    def counts(self) -> FileCounts:
        return FileCounts.of(o.status for o in self._all)

    def outcome(self, row: int) -> FileOutcome:
        return self._rows[row]

    def relative(self, path: str) -> str:
        try:
            return str(Path(path).relative_to(self._library))
        except ValueError:
            return path

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else COLUMN_COUNT

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        outcome = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                self.relative(outcome.path),
                status_word(outcome.status),
                reason_text(outcome),
                outcome.chunks or "",
            )
            return values[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            reason = reason_text(outcome)
            return f"{outcome.path}\n{reason}" if reason else outcome.path
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return columns()[section]
        return None


class ReportDialog(QDialog):
    """Signals: retry_requested(library), excludes_requested(library), refresh_requested(library)."""

    retry_requested = Signal(str)
    excludes_requested = Signal(str)
    refresh_requested = Signal(str)

    def __init__(self, library: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.setWindowTitle(translate("ReportDialog", "File report — {name}").format(name=folder_name(library)))
        self.resize(860, 520)
        self.model = OutcomeModel(self)
        self.filter_combo = QComboBox()
        for label, status in filters():
            self.filter_combo.addItem(label, status)
        self.filter_combo.currentIndexChanged.connect(self._apply_filter)
        self.search = QLineEdit()
        self.search.setPlaceholderText(translate("ReportDialog", "Filter by name or reason"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_filter)
        self.summary = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.filter_combo)
        top.addWidget(self.search, 1)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)  # status words differ in length
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(0, 330)
        self.table.doubleClicked.connect(lambda index: self.open_path(self.model.outcome(index.row()).path))
        self.retry_button = QPushButton(translate("ReportDialog", "Retry failed"))
        self.retry_button.clicked.connect(lambda: self.retry_requested.emit(self.library))
        self.excludes_button = QPushButton(translate("ReportDialog", "Exclusions…"))
        self.excludes_button.clicked.connect(lambda: self.excludes_requested.emit(self.library))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.excludes_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(library))
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

    def open_path(self, path: str) -> None:
        """Open a file of the report in its default app, or say here that none could, with the path to copy."""
        if not open_file(path):
            show_open_failed(self, path, False)

    def set_outcomes(self, outcomes: Sequence[FileOutcome]) -> None:
        self.model.set_outcomes(self.library, outcomes)
        counts = self.model.counts()
        self.summary.setText(summary_text(counts))
        self.retry_button.setEnabled(counts.failed > 0)
        self._apply_filter()

    def set_status_filter(self, status: str | None) -> None:
        for row in range(self.filter_combo.count()):
            if self.filter_combo.itemData(row) == status:
                self.filter_combo.setCurrentIndex(row)

    def _apply_filter(self) -> None:
        self.model.set_filter(self.filter_combo.currentData(), self.search.text())

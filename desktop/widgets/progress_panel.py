"""ProgressPanel: files done/total, chunks, rate, ETA and the current file of the running indexing job."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop.i18n import translate
from desktop.library_controller import IndexView
from desktop.resources import icon
from desktop.words import folder_name, progress_counts, progress_rate


class ProgressPanel(QFrame):
    """Hidden while idle. Signals: pause_requested(), resume_requested(), cancel_requested()."""

    pause_requested = Signal()
    resume_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progressPanel")
        self._paused = False
        self.title = QLabel()
        self.title.setObjectName("progressTitle")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.counts = QLabel()
        self.rate = QLabel()
        self.rate.setObjectName("hint")
        self.current = QLabel()
        self.current.setObjectName("hint")
        self.current.setMinimumWidth(50)
        self.pause_button = QPushButton(translate("ProgressPanel", "Pause"))
        self.pause_button.setIcon(icon("pause"))
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.cancel_button = QPushButton(translate("ProgressPanel", "Cancel"))
        self.cancel_button.setIcon(icon("cancel"))
        self.cancel_button.setToolTip(
            translate("ProgressPanel", "Stop indexing; what is stored stays, and re-index continues from there")
        )
        self.cancel_button.clicked.connect(self.cancel_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addWidget(self.counts)
        layout.addWidget(self.rate)
        layout.addWidget(self.current)
        layout.addLayout(buttons)
        self.setVisible(False)

    @property
    def paused(self) -> bool:
        return self._paused

    def set_view(self, view: IndexView | None) -> None:
        if view is None:
            self.setVisible(False)
            self._paused = False
            return
        self.setVisible(True)
        self._paused = view.paused
        name = folder_name(view.library)
        if view.paused:
            title = translate("ProgressPanel", "Paused {name}").format(name=name)
        else:
            title = translate("ProgressPanel", "Indexing {name}").format(name=name)
        if view.queued:
            title += "  " + translate("ProgressPanel", "(+{n} queued)").format(n=view.queued)
        self.title.setText(title)
        self.pause_button.setText(
            translate("ProgressPanel", "Resume") if view.paused else translate("ProgressPanel", "Pause")
        )
        self.pause_button.setIcon(icon("resume" if view.paused else "pause"))
        progress = view.progress
        if progress is None or progress.phase == "scanning" or progress.files_total == 0:
            self.bar.setRange(0, 0)  # busy indicator while scanning
            self.counts.setText(
                progress_counts(progress) if progress is not None else translate("ProgressPanel", "Starting…")
            )
            self.rate.setText("")
            self.current.setText("")
            return
        self.bar.setRange(0, progress.files_total)
        self.bar.setValue(progress.files_done)
        self.counts.setText(progress_counts(progress))
        self.rate.setText("" if view.paused else progress_rate(progress))
        current = Path(progress.current_file).name if progress.current_file else ""
        self.current.setText(self.current.fontMetrics().elidedText(current, Qt.TextElideMode.ElideMiddle, 260))
        self.current.setToolTip(progress.current_file)

    def _on_pause_clicked(self) -> None:
        (self.resume_requested if self._paused else self.pause_requested).emit()

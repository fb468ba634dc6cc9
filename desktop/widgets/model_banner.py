"""ModelBanner: first-run download offer, download progress, loading and model errors, above the chat."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop.controller import ModelsView
from desktop.i18n import translate
from desktop.state_words import IndexSummary, banner_html


class ModelBanner(QFrame):
    """Signals: download_requested(), cancel_requested(), settings_requested(), dismissed()."""

    download_requested = Signal()
    cancel_requested = Signal()
    settings_requested = Signal()
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelBanner")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.bar = QProgressBar()
        self.bar.setFixedHeight(10)
        self.bar.setTextVisible(False)
        self.download_button = QPushButton(translate("ModelBanner", "Download"))
        self.download_button.clicked.connect(self.download_requested)
        self.folder_button = QPushButton(translate("ModelBanner", "Use local folders…"))
        self.folder_button.clicked.connect(self.settings_requested)
        self.cancel_button = QPushButton(translate("ModelBanner", "Cancel"))
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.later_button = QPushButton(translate("ModelBanner", "Not now"))
        self.later_button.clicked.connect(self._on_later)
        buttons = QHBoxLayout()
        for button in (self.download_button, self.folder_button, self.cancel_button, self.later_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        layout.addLayout(buttons)
        self._dismissed_state: str | None = None
        self._state = ""
        self._view: ModelsView | None = None
        self._index = IndexSummary()
        self.setVisible(False)

    def set_view(self, view: ModelsView, index: IndexSummary | None = None) -> None:
        """Show what the models' state means for the index as it is (the same words as the status bar's)."""
        self._view = view
        if index is not None:
            self._index = index
        key = f"{view.state}/{view.reranker}"
        self._state = key
        text = banner_html(view, self._index) if view.state not in ("starting", "checking") else ""
        if not text or key == self._dismissed_state:
            self.setVisible(False)
            return
        self._dismissed_state = None
        self.setVisible(True)
        state = view.state
        reranker = view.reranker if state == "ready" else ""
        failed = state in ("error", "closed") or reranker == "failed"
        self.setProperty("tone", "error" if failed else "info")
        self.style().unpolish(self)
        self.style().polish(self)
        downloading = state == "downloading" or reranker == "downloading"
        offer = state in ("missing", "error") or reranker in ("missing", "failed")
        self.bar.setVisible(downloading or state == "loading")
        self.download_button.setVisible(offer)
        self.download_button.setText(
            translate("ModelBanner", "Try again") if failed else translate("ModelBanner", "Download")
        )
        self.folder_button.setVisible(offer)
        self.cancel_button.setVisible(downloading)
        self.later_button.setVisible(offer)
        self.text.setText(text)
        if state == "loading":
            self.bar.setRange(0, 0)
        elif downloading:
            self._show_download(view)

    def set_index(self, index: IndexSummary) -> None:
        """The libraries changed: the banner's sentence on keyword search may change with them."""
        if index != self._index:
            self._index = index
            if self._view is not None:
                self.set_view(self._view)

    def _show_download(self, view: ModelsView) -> None:
        if view.download is None or view.download[2] <= 0:
            self.bar.setRange(0, 0)
            return
        _stage, done, total = view.download
        scale = max(1, total // 1_000_000)  # QProgressBar takes ints; keep values small
        self.bar.setRange(0, int(total // scale))
        self.bar.setValue(int(done // scale))

    def _on_later(self) -> None:
        self._dismissed_state = self._state
        self.setVisible(False)
        self.dismissed.emit()

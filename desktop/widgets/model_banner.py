"""ModelBanner: first-run download offer, download progress, loading and model errors, above the chat."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop.controller import ModelsView
from desktop.i18n import translate
from desktop.words import model_name, size


def keyword_hint() -> str:
    return translate("ModelBanner", "Keyword search works meanwhile.")


def missing_text(view: ModelsView) -> str:
    models = ", ".join(f"<b>{html.escape(model_name(c.model))}</b> ({size(c.download_bytes)})" for c in view.missing)
    return translate(
        "ModelBanner",
        "Tansaku needs its language models on this computer: {models}. Download them once (an interrupted "
        "download resumes), or use folders you already have. {hint}",
    ).format(models=models, hint=keyword_hint())


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
        self.setVisible(False)

    def set_view(self, view: ModelsView) -> None:
        state = self._state = view.state
        if state in ("ready", "starting", "checking") or state == self._dismissed_state:
            self.setVisible(False)
            return
        self._dismissed_state = None
        self.setVisible(True)
        self.setProperty("tone", "error" if state in ("error", "closed") else "info")
        self.style().unpolish(self)
        self.style().polish(self)
        self.bar.setVisible(state in ("downloading", "loading"))
        self.download_button.setVisible(state in ("missing", "error"))
        self.download_button.setText(
            translate("ModelBanner", "Try again") if state == "error" else translate("ModelBanner", "Download")
        )
        self.folder_button.setVisible(state in ("missing", "error"))
        self.cancel_button.setVisible(state == "downloading")
        self.later_button.setVisible(state in ("missing", "error"))
        self.text.setText(self._text(view))
        if state == "loading":
            self.bar.setRange(0, 0)
        elif state == "downloading":
            self._show_download(view)

    def _text(self, view: ModelsView) -> str:
        if view.state == "missing":
            note = f"{html.escape(view.message)} " if view.message and view.cancelled else ""
            return note + missing_text(view)
        if view.state == "loading":
            return translate("ModelBanner", "Loading the models… {hint}").format(hint=keyword_hint())
        if view.state == "downloading":
            if view.download is None:
                return translate("ModelBanner", "Starting the download…")
            stage, done, total = view.download
            return translate("ModelBanner", "Downloading <b>{model}</b>: {done} of {total}").format(
                model=html.escape(model_name(stage)), done=size(done), total=size(total)
            )
        if view.state == "closed":
            return translate("ModelBanner", "<b>The index could not be opened.</b> {message}").format(
                message=html.escape(view.message)
            )
        return translate(
            "ModelBanner", "<b>The models could not be loaded.</b> {message} Keyword search still works."
        ).format(message=html.escape(view.message))

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

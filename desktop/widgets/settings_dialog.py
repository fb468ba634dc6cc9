"""SettingsDialog: answers (API key in the OS keyring, endpoint, model), models, storage and exclusions.

Every keyring call (checking it, storing or removing the key and the Milvus token) runs off the GUI thread through
desktop.keyring_calls: the dialog opens at once, says "Checking the keyring…" until the answer arrives, and on Save
waits for the keyring (the window stays responsive) and shows any failure in the dialog itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import QT_TRANSLATE_NOOP, translate
from desktop.keyring_calls import call_off_gui_thread
from desktop.widgets.excludes_dialog import parse_patterns
from desktop.widgets.rerank_budget import RerankBudget
from engine import EngineConfig, EngineError, secrets

EMBED_CHOICES = ("Qwen/Qwen3-Embedding-0.6B", "Qwen/Qwen3-Embedding-4B", "Qwen/Qwen3-Embedding-8B")
RERANK_CHOICES = ("Qwen/Qwen3-Reranker-0.6B", "Qwen/Qwen3-Reranker-4B", "Qwen/Qwen3-Reranker-8B")
# Labels are marked for lupdate here and translated when the combo is built (see _data_combo).
DEVICES = (
    (QT_TRANSLATE_NOOP("SettingsDialog", "Automatic"), "auto"),
    ("CPU", "cpu"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "GPU (CUDA)"), "cuda"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "Apple GPU (MPS)"), "mps"),
)
CPU_PRECISIONS = (
    (QT_TRANSLATE_NOOP("SettingsDialog", "Automatic (int8 where the CPU has VNNI, else bf16 or fp32)"), "auto"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "int8 (fastest)"), "int8"),
    ("bf16", "bf16"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "fp32 (exact)"), "fp32"),
)
CPU_RUNTIMES = (
    (QT_TRANSLATE_NOOP("SettingsDialog", "Automatic (PyTorch)"), "auto"),
    ("PyTorch", "torch"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "OpenVINO (converts the model once)"), "openvino"),
)
# Language names are written in their own language, so that anyone can find theirs.
LANGUAGES = ((QT_TRANSLATE_NOOP("SettingsDialog", "System language"), "system"), ("English", "en"), ("日本語", "ja"))
CHAT_MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini")
TABS = ("answers", "models", "storage", "exclusions", "window")


def _model_row(combo: QComboBox, browse: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(combo, 1)
    layout.addWidget(browse)
    return row


def _combo(choices: tuple[str, ...], current: str) -> QComboBox:
    combo = QComboBox()
    combo.setEditable(True)
    combo.addItems(list(choices))
    combo.setCurrentText(current)
    return combo


def _data_combo(items: tuple[tuple[str, str], ...], current: str) -> QComboBox:
    """A combo of (label, value) items with `current` selected (the first item when it is not listed)."""
    combo = QComboBox()
    for label, value in items:
        combo.addItem(translate("SettingsDialog", label), value)  # marked with QT_TRANSLATE_NOOP
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


def _field_with_button(field: QWidget, button: QPushButton) -> QWidget:
    """A secret's field with its "Remove stored …" button beside it, as one form row."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    layout.addWidget(button)
    return row


def _hint(text: str) -> QLabel:
    note = QLabel(text)
    note.setObjectName("hint")
    note.setWordWrap(True)
    return note


def _spin(low: int, high: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    return spin


# English source texts, marked for lupdate; shown through translate() (tests compare with them in English).
CHECKING = QT_TRANSLATE_NOOP("SettingsDialog", "Checking the keyring…")
SAVING = QT_TRANSLATE_NOOP("SettingsDialog", "Saving to the OS keyring…")
TOKEN_PLACEHOLDER = QT_TRANSLATE_NOOP("SettingsDialog", "user:password or an API key (kept in the OS keyring)")


def _t(text: str) -> str:
    """A text marked with QT_TRANSLATE_NOOP above, translated now."""
    return translate("SettingsDialog", text)


@dataclass(frozen=True)
class KeyringReport:
    """What the keyring check found (worked out on a worker thread; the dialog only reads it)."""

    usable: bool
    description: str
    key_source: str | None  # "env", "keyring" or None
    token_source: str | None  # the same, for the Milvus token of the configured server


@dataclass(frozen=True)
class SecretsToSave:
    api_key: str | None = field(repr=False)
    store_uri: str | None
    store_token: str | None = field(repr=False)


def check_keyring(store_uri: str | None) -> KeyringReport:
    """Ask the keyring (may block: a locked Secret Service) — call it off the GUI thread."""
    usable, description = secrets.keyring_status()
    token_source = secrets.store_token_source(store_uri) if store_uri else None
    return KeyringReport(usable, description, secrets.api_key_source(), token_source)


def key_status_words(report: KeyringReport) -> str:
    """A sentence about where the key is, for the Answers page."""
    if report.key_source == "env":
        where = translate(
            "SettingsDialog", "A key is set in the {var} environment variable (it takes precedence)."
        ).format(var=secrets.ENV_VAR)
    elif report.key_source == "keyring":
        where = translate("SettingsDialog", "A key is stored in the OS keyring.")
    else:
        where = translate(
            "SettingsDialog", "No key is set: questions are answered with the matching passages only (search only)."
        )
    return f"{where} {report.description}"


def token_status_words(report: KeyringReport) -> str:
    if report.token_source == "env":
        return translate(
            "SettingsDialog", "The token comes from the {var} environment variable (it takes precedence)."
        ).format(var=secrets.STORE_TOKEN_ENV_VAR)
    if report.token_source == "keyring":
        return translate(
            "SettingsDialog", "A token for this server is stored in the OS keyring; type a new one to replace it."
        )
    if not report.usable:
        return translate(
            "SettingsDialog", "No OS keyring: a token typed here is kept for this session only. Set {var} instead."
        ).format(var=secrets.STORE_TOKEN_ENV_VAR)
    return ""


def store_secrets(plan: SecretsToSave) -> str | None:
    """Store a newly typed API key and Milvus token (off the GUI thread); a problem in words, or None."""
    problems = []
    if plan.api_key:
        try:
            secrets.set_api_key(plan.api_key)
        except EngineError as exc:
            problems.append(str(exc))
    if plan.store_uri and plan.store_token:
        try:
            secrets.set_store_token(plan.store_uri, plan.store_token)
        except secrets.KeyringUnavailableError:
            problems.append(
                translate("SettingsDialog", "No OS keyring: the Milvus token is kept for this session only.")
            )
        except EngineError as exc:
            problems.append(
                translate("SettingsDialog", "{error} So the Milvus token is kept for this session only.").format(
                    error=exc
                )
            )
    return " ".join(problems) or None


def _failure_words(exc: BaseException) -> str:
    """An unexpected keyring failure in words, without its message (which might quote a secret)."""
    if isinstance(exc, EngineError):
        return secrets.redact(str(exc))
    return translate("SettingsDialog", "The OS keyring failed ({error}).").format(error=type(exc).__name__)


class SettingsDialog(QDialog):
    """Edits a copy of EngineConfig; `config()` is the result. Secrets are saved on accept, never to QSettings."""

    def __init__(
        self, config: EngineConfig, parent: QWidget | None = None, tab: str = "answers", language: str = "system"
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("SettingsDialog", "Tansaku Settings"))
        self.resize(640, 520)
        self._original = config
        self.keyring: KeyringReport | None = None  # None until the check on a worker thread answers
        self._saving = False
        self._finished = False
        self._unsaved: SecretsToSave | None = None  # secrets the keyring refused: Save again goes on without them
        self.tabs = QTabWidget()
        self.tabs.addTab(self._answers_page(config), translate("SettingsDialog", "Answers"))
        self.tabs.addTab(self._models_page(config), translate("SettingsDialog", "Models"))
        self.tabs.addTab(self._storage_page(config), translate("SettingsDialog", "Storage"))
        self.tabs.addTab(self._excludes_page(config), translate("SettingsDialog", "Exclusions"))
        self.tabs.addTab(self._window_page(language), translate("SettingsDialog", "Window"))
        self.tabs.setCurrentIndex(TABS.index(tab) if tab in TABS else 0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_status = QLabel()
        self.save_status.setWordWrap(True)
        self.save_status.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.save_status)
        layout.addWidget(buttons)
        self._check_keyring()

    # -- pages -------------------------------------------------------------------------------------
    def _answers_page(self, config: EngineConfig) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText(_t(CHECKING))
        self.api_key.setEnabled(False)  # until the keyring check says there is a place for a key
        self.remove_key = QPushButton(translate("SettingsDialog", "Remove stored key"))
        self.remove_key.setEnabled(False)
        self.remove_key.clicked.connect(self._on_remove_key)
        key_row = _field_with_button(self.api_key, self.remove_key)
        self.key_status = QLabel(_t(CHECKING))
        self.key_status.setObjectName("hint")
        self.key_status.setWordWrap(True)
        self.base_url = QLineEdit(config.llm_base_url or "")
        self.base_url.setPlaceholderText(
            translate("SettingsDialog", "https://api.openai.com/v1 — or a local server, e.g. http://localhost:11434/v1")
        )
        self.chat_model = _combo(CHAT_MODELS, config.llm_model)
        form.addRow(translate("SettingsDialog", "API key:"), key_row)
        form.addRow("", self.key_status)
        form.addRow(translate("SettingsDialog", "Base URL:"), self.base_url)
        form.addRow(translate("SettingsDialog", "Chat model:"), self.chat_model)
        form.addRow(
            "",
            _hint(
                translate(
                    "SettingsDialog",
                    "Questions, and the passages retrieved for them, are sent to this endpoint. With a local server "
                    "(Ollama, llama.cpp, vLLM) nothing leaves your computer.",
                )
            ),
        )
        return page

    def _models_page(self, config: EngineConfig) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.embed_model = _combo(EMBED_CHOICES, config.embed_model)
        self.rerank_model = _combo(RERANK_CHOICES, config.rerank_model)
        embed_browse = QPushButton(translate("SettingsDialog", "Folder…"))
        embed_browse.clicked.connect(lambda: self._browse_model(self.embed_model))
        rerank_browse = QPushButton(translate("SettingsDialog", "Folder…"))
        rerank_browse.clicked.connect(lambda: self._browse_model(self.rerank_model))
        self.rerank = QCheckBox(translate("SettingsDialog", "Rerank candidates (better answers, slower on CPU)"))
        self.rerank.setChecked(config.rerank)
        self.rerank_budget = RerankBudget(config)
        self.device = _data_combo(DEVICES, config.device)
        self.cpu_precision = _data_combo(CPU_PRECISIONS, config.cpu_fast_path)
        self.cpu_runtime = _data_combo(CPU_RUNTIMES, config.cpu_runtime)
        self.cpu_runtime.setToolTip(
            translate(
                "SettingsDialog",
                "OpenVINO runs the embedding model on a CPU, in the precision chosen above. It converts the model once "
                "(a few minutes for the 0.6B model) and keeps the result in the data folder. On a CPU without VNNI "
                "its int8 was no faster than PyTorch; it may be faster on one with VNNI (see README). "
                "If the conversion fails, or OpenVINO has no build for this computer, PyTorch is used and the "
                "status bar's device says why.",
            )
        )
        self.dims = _spin(0, 4096, config.dims or 0)
        self.dims.setSpecialValueText(translate("SettingsDialog", "Full (model default)"))
        self.dims.setSingleStep(32)
        self.candidates = _spin(1, 500, config.candidates)
        self.top_n = _spin(1, 50, config.top_n)
        self.query_task = QLineEdit(config.query_task)
        self.rerank_instruction = QLineEdit(config.rerank_instruction)
        form.addRow(translate("SettingsDialog", "Embedding model:"), _model_row(self.embed_model, embed_browse))
        form.addRow(translate("SettingsDialog", "Reranker model:"), _model_row(self.rerank_model, rerank_browse))
        form.addRow("", self.rerank)
        self.rerank_budget.add_rows(form)
        form.addRow(translate("SettingsDialog", "Device:"), self.device)
        form.addRow(translate("SettingsDialog", "Precision on CPU:"), self.cpu_precision)
        form.addRow(translate("SettingsDialog", "Embedding runtime on CPU:"), self.cpu_runtime)
        form.addRow(translate("SettingsDialog", "Dimensions:"), self.dims)
        form.addRow(translate("SettingsDialog", "Candidates:"), self.candidates)
        form.addRow(translate("SettingsDialog", "Sources in answers (top n):"), self.top_n)
        form.addRow(translate("SettingsDialog", "Query instruction:"), self.query_task)
        form.addRow(translate("SettingsDialog", "Reranker instruction:"), self.rerank_instruction)
        form.addRow(
            "",
            _hint(
                translate(
                    "SettingsDialog",
                    "0.6B runs well on a laptop CPU; 4B and 8B want a GPU. Changing the embedding model or dimensions "
                    "re-indexes your libraries in the background; the old index keeps answering until then.",
                )
            ),
        )
        return page

    def _storage_page(self, config: EngineConfig) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.data_dir = QLineEdit(str(config.data_dir))
        browse = QPushButton(translate("SettingsDialog", "Folder…"))
        browse.clicked.connect(self._browse_data_dir)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.data_dir, 1)
        row_layout.addWidget(browse)
        self.store_uri = QLineEdit(config.store_uri or "")
        self.store_uri.setPlaceholderText(
            translate("SettingsDialog", "Empty: Milvus Lite in the data folder. Or a server: http://host:19530")
        )
        self.store_token = QLineEdit(config.store_token or "")
        self.store_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.store_token.setPlaceholderText(_t(CHECKING if config.store_uri else TOKEN_PLACEHOLDER))
        self.remove_token = QPushButton(translate("SettingsDialog", "Remove stored token"))
        self.remove_token.setEnabled(False)
        self.remove_token.clicked.connect(self._on_remove_token)
        token_row = _field_with_button(self.store_token, self.remove_token)
        self.token_status = _hint("")
        form.addRow(translate("SettingsDialog", "Data folder:"), row)
        form.addRow(translate("SettingsDialog", "Milvus server URI:"), self.store_uri)
        form.addRow(translate("SettingsDialog", "Milvus token:"), token_row)
        form.addRow("", self.token_status)
        form.addRow(
            "",
            _hint(
                translate(
                    "SettingsDialog",
                    "The data folder holds the index, the file manifest, chat history and downloaded models.",
                )
            ),
        )
        return page

    def _excludes_page(self, config: EngineConfig) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        label = QLabel(
            translate(
                "SettingsDialog",
                "Patterns left out of every library (.gitignore syntax, one per line). Each library can add its own "
                "from its menu (Exclusions…).",
            )
        )
        label.setWordWrap(True)
        self.excludes = QPlainTextEdit("\n".join(config.excludes))
        self.excludes.setPlaceholderText("*.log\n*.bak\narchive/")
        layout.addWidget(label)
        layout.addWidget(self.excludes, 1)
        return page

    def _window_page(self, language: str) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.language = _data_combo(LANGUAGES, language)
        form.addRow(translate("SettingsDialog", "Language:"), self.language)
        form.addRow(
            "",
            _hint(
                translate(
                    "SettingsDialog",
                    "A new language applies the next time Tansaku starts. System language follows the "
                    "computer's settings (English where Tansaku has no translation).",
                )
            ),
        )
        return page

    def chosen_language(self) -> str:
        """ "system", "en" or "ja"."""
        return str(self.language.currentData())

    # -- actions -----------------------------------------------------------------------------------
    def _browse_model(self, combo: QComboBox) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, translate("SettingsDialog", "Choose a model folder (with config.json)")
        )
        if folder:
            combo.setCurrentText(folder)

    def _browse_data_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, translate("SettingsDialog", "Choose the data folder"), self.data_dir.text()
        )
        if folder:
            self.data_dir.setText(folder)

    # -- the keyring, always off the GUI thread ---------------------------------------------------
    def _check_keyring(self, before: Callable[[], object] | None = None) -> None:
        """Ask the keyring on a worker thread (after `before`, e.g. a removal); the answer updates the pages."""
        uri = self._original.store_uri

        def work() -> tuple[KeyringReport, str]:
            problem = ""
            if before is not None:
                try:
                    before()
                except EngineError as exc:  # the keyring refused: say so, and show what it holds now
                    problem = str(exc)
            return check_keyring(uri), problem

        def done(result: tuple[KeyringReport, str]) -> None:
            self._on_keyring_checked(result[0])
            if before is not None:
                self._show_problem(result[1])

        call_off_gui_thread(work, done, self._on_keyring_failed, self)

    def _on_keyring_checked(self, report: KeyringReport) -> None:
        self.keyring = report
        self.key_status.setText(key_status_words(report))
        self.api_key.setEnabled(report.usable)
        self.api_key.setPlaceholderText(
            translate("SettingsDialog", "sk-…  (stored in the OS keyring)")
            if report.usable
            else translate("SettingsDialog", "No OS keyring available")
        )
        self.remove_key.setEnabled(report.usable and report.key_source == "keyring")
        self.store_token.setPlaceholderText(
            _t(TOKEN_PLACEHOLDER) if report.usable else translate("SettingsDialog", "Kept for this session only")
        )
        self.remove_token.setEnabled(report.usable and report.token_source == "keyring")
        self.token_status.setText(token_status_words(report) if self._original.store_uri or not report.usable else "")

    def _on_keyring_failed(self, exc: BaseException) -> None:
        self._on_keyring_checked(KeyringReport(False, _failure_words(exc), None, None))

    def _on_remove_key(self) -> None:
        self.remove_key.setEnabled(False)
        self.key_status.setText(_t(CHECKING))
        self._check_keyring(before=secrets.delete_api_key)

    def _on_remove_token(self) -> None:
        uri = self._original.store_uri
        if not uri:
            return
        self.remove_token.setEnabled(False)
        self.token_status.setText(_t(CHECKING))
        self._check_keyring(before=lambda: secrets.delete_store_token(uri))

    def _show_problem(self, text: str) -> None:
        self.save_status.setText(text)
        self.save_status.setVisible(bool(text))

    def config(self) -> EngineConfig:
        dims = self.dims.value()
        return self._original.with_changes(
            llm_base_url=self.base_url.text().strip() or None,
            llm_model=self.chat_model.currentText().strip() or self._original.llm_model,
            embed_model=self.embed_model.currentText().strip() or self._original.embed_model,
            rerank_model=self.rerank_model.currentText().strip() or self._original.rerank_model,
            rerank=self.rerank.isChecked(),
            **self.rerank_budget.values(),
            device=self.device.currentData(),
            cpu_fast_path=self.cpu_precision.currentData(),
            cpu_runtime=self.cpu_runtime.currentData(),
            dims=None if dims == 0 else max(32, dims),
            candidates=self.candidates.value(),
            top_n=self.top_n.value(),
            query_task=self.query_task.text().strip() or self._original.query_task,
            rerank_instruction=self.rerank_instruction.text().strip() or self._original.rerank_instruction,
            data_dir=Path(self.data_dir.text().strip() or str(self._original.data_dir)).expanduser(),
            store_uri=self.store_uri.text().strip() or None,
            store_token=self.store_token.text().strip() or None,
            excludes=parse_patterns(self.excludes.toPlainText()),
        )

    def secrets_to_save(self) -> SecretsToSave | None:
        """A newly typed API key and a new Milvus token (or a token for a new server URI); None when neither."""
        key = self.api_key.text().strip() if self.api_key.isEnabled() else ""
        config = self.config()
        token = config.store_token
        new_token = token != self._original.store_token or config.store_uri != self._original.store_uri
        no_keyring = self.keyring is not None and not self.keyring.usable  # the token hint already says so
        keep_token = bool(config.store_uri and token and new_token and not no_keyring)
        if not key and not keep_token:
            return None
        return SecretsToSave(key or None, config.store_uri if keep_token else None, token if keep_token else None)

    def accept(self) -> None:
        """Save: store new secrets in the OS keyring on a worker thread first, then close (or show what failed)."""
        if self._saving:
            return
        plan = self.secrets_to_save()
        if plan is None or plan == self._unsaved:
            super().accept()
            return
        self._saving = True
        self.save_button.setEnabled(False)
        self._show_problem(_t(SAVING))
        call_off_gui_thread(
            lambda: store_secrets(plan),
            lambda problem: self._on_secrets_stored(plan, problem),
            lambda exc: self._on_secrets_stored(plan, _failure_words(exc)),
            self,
        )

    def _on_secrets_stored(self, plan: SecretsToSave, problem: str | None) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if self._finished:  # cancelled while the keyring was busy
            return
        if problem is None:
            self._show_problem("")
            self.api_key.clear()
            super().accept()
            return
        self._unsaved = plan
        self._show_problem(
            translate("SettingsDialog", "{problem} Press Save again to go on without storing it, or Cancel.").format(
                problem=problem
            )
        )

    def done(self, result: int) -> None:
        self._finished = True
        super().done(result)

"""SettingsDialog: answers (API key in the OS keyring, endpoint, model), models, storage and exclusions."""

from __future__ import annotations

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
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.settings import save_store_token
from desktop.widgets.excludes_dialog import parse_patterns
from engine import EngineConfig, EngineError, secrets

EMBED_CHOICES = ("Qwen/Qwen3-Embedding-0.6B", "Qwen/Qwen3-Embedding-4B", "Qwen/Qwen3-Embedding-8B")
RERANK_CHOICES = ("Qwen/Qwen3-Reranker-0.6B", "Qwen/Qwen3-Reranker-4B", "Qwen/Qwen3-Reranker-8B")
DEVICES = (("Automatic", "auto"), ("CPU", "cpu"), ("GPU (CUDA)", "cuda"), ("Apple GPU (MPS)", "mps"))
CPU_PRECISIONS = (
    ("Automatic (int8 where the CPU has VNNI, else bf16 or fp32)", "auto"),
    ("int8 (fastest)", "int8"),
    ("bf16", "bf16"),
    ("fp32 (exact)", "fp32"),
)
CHAT_MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini")
TABS = ("answers", "models", "storage", "exclusions")


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
        combo.addItem(label, value)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo


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


def key_status_text() -> tuple[bool, str]:
    """(keyring usable, a sentence about where the key is) for the Answers page."""
    usable, description = secrets.keyring_status()
    source = secrets.api_key_source()
    if source == "env":
        where = "A key is set in the OPENAI_API_KEY environment variable (it takes precedence)."
    elif source == "keyring":
        where = "A key is stored in the OS keyring."
    else:
        where = "No key is set: questions are answered with the matching passages only (search only)."
    return usable, f"{where} {description}"


class SettingsDialog(QDialog):
    """Edits a copy of EngineConfig; `config()` is the result. Secrets are saved on accept, never to QSettings."""

    def __init__(self, config: EngineConfig, parent: QWidget | None = None, tab: str = "answers") -> None:
        super().__init__(parent)
        self.setWindowTitle("Tansaku Settings")
        self.resize(640, 520)
        self._original = config
        self.tabs = QTabWidget()
        self.tabs.addTab(self._answers_page(config), "Answers")
        self.tabs.addTab(self._models_page(config), "Models")
        self.tabs.addTab(self._storage_page(config), "Storage")
        self.tabs.addTab(self._excludes_page(config), "Exclusions")
        self.tabs.setCurrentIndex(TABS.index(tab) if tab in TABS else 0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    # -- pages -------------------------------------------------------------------------------------
    def _answers_page(self, config: EngineConfig) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        usable, text = key_status_text()
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("sk-…  (stored in the OS keyring)" if usable else "No OS keyring available")
        self.api_key.setEnabled(usable)
        self.remove_key = QPushButton("Remove stored key")
        self.remove_key.setEnabled(usable and secrets.api_key_source() == "keyring")
        self.remove_key.clicked.connect(self._on_remove_key)
        key_row = QWidget()
        key_layout = QHBoxLayout(key_row)
        key_layout.setContentsMargins(0, 0, 0, 0)
        key_layout.addWidget(self.api_key, 1)
        key_layout.addWidget(self.remove_key)
        self.key_status = QLabel(text)
        self.key_status.setObjectName("hint")
        self.key_status.setWordWrap(True)
        self.base_url = QLineEdit(config.llm_base_url or "")
        self.base_url.setPlaceholderText(
            "https://api.openai.com/v1 — or a local server, e.g. http://localhost:11434/v1"
        )
        self.chat_model = _combo(CHAT_MODELS, config.llm_model)
        form.addRow("API key:", key_row)
        form.addRow("", self.key_status)
        form.addRow("Base URL:", self.base_url)
        form.addRow("Chat model:", self.chat_model)
        form.addRow(
            "",
            _hint(
                "Questions, and the passages retrieved for them, are sent to this endpoint. With a local server "
                "(Ollama, llama.cpp, vLLM) nothing leaves your computer."
            ),
        )
        return page

    def _models_page(self, config: EngineConfig) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.embed_model = _combo(EMBED_CHOICES, config.embed_model)
        self.rerank_model = _combo(RERANK_CHOICES, config.rerank_model)
        embed_browse = QPushButton("Folder…")
        embed_browse.clicked.connect(lambda: self._browse_model(self.embed_model))
        rerank_browse = QPushButton("Folder…")
        rerank_browse.clicked.connect(lambda: self._browse_model(self.rerank_model))
        self.rerank = QCheckBox("Rerank candidates (better answers, slower on CPU)")
        self.rerank.setChecked(config.rerank)
        self.device = _data_combo(DEVICES, config.device)
        self.cpu_precision = _data_combo(CPU_PRECISIONS, config.cpu_fast_path)
        self.dims = _spin(0, 4096, config.dims or 0)
        self.dims.setSpecialValueText("Full (model default)")
        self.dims.setSingleStep(32)
        self.candidates = _spin(1, 500, config.candidates)
        self.top_n = _spin(1, 50, config.top_n)
        self.query_task = QLineEdit(config.query_task)
        self.rerank_instruction = QLineEdit(config.rerank_instruction)
        form.addRow("Embedding model:", _model_row(self.embed_model, embed_browse))
        form.addRow("Reranker model:", _model_row(self.rerank_model, rerank_browse))
        form.addRow("", self.rerank)
        form.addRow("Device:", self.device)
        form.addRow("Precision on CPU:", self.cpu_precision)
        form.addRow("Dimensions:", self.dims)
        form.addRow("Candidates:", self.candidates)
        form.addRow("Sources in answers (top n):", self.top_n)
        form.addRow("Query instruction:", self.query_task)
        form.addRow("Reranker instruction:", self.rerank_instruction)
        form.addRow(
            "",
            _hint(
                "0.6B runs well on a laptop CPU; 4B and 8B want a GPU. Changing the embedding model or dimensions "
                "re-indexes your libraries in the background; the old index keeps answering until then."
            ),
        )
        return page

    def _storage_page(self, config: EngineConfig) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.data_dir = QLineEdit(str(config.data_dir))
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse_data_dir)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.data_dir, 1)
        row_layout.addWidget(browse)
        self.store_uri = QLineEdit(config.store_uri or "")
        self.store_uri.setPlaceholderText("Empty: Milvus Lite in the data folder. Or a server: http://host:19530")
        self.store_token = QLineEdit(config.store_token or "")
        self.store_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.store_token.setPlaceholderText("user:password or an API key (kept in the OS keyring)")
        form.addRow("Data folder:", row)
        form.addRow("Milvus server URI:", self.store_uri)
        form.addRow("Milvus token:", self.store_token)
        form.addRow(
            "", _hint("The data folder holds the index, the file manifest, chat history and downloaded models.")
        )
        return page

    def _excludes_page(self, config: EngineConfig) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        label = QLabel(
            "Patterns left out of every library (.gitignore syntax, one per line). Each library can add its own "
            "from its menu (Exclusions…)."
        )
        label.setWordWrap(True)
        self.excludes = QPlainTextEdit("\n".join(config.excludes))
        self.excludes.setPlaceholderText("*.log\n*.bak\narchive/")
        layout.addWidget(label)
        layout.addWidget(self.excludes, 1)
        return page

    # -- actions -----------------------------------------------------------------------------------
    def _browse_model(self, combo: QComboBox) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder (with config.json)")
        if folder:
            combo.setCurrentText(folder)

    def _browse_data_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the data folder", self.data_dir.text())
        if folder:
            self.data_dir.setText(folder)

    def _on_remove_key(self) -> None:
        try:
            secrets.delete_api_key()
        except EngineError as exc:
            QMessageBox.warning(self, "Tansaku", str(exc))
        self.key_status.setText(key_status_text()[1])
        self.remove_key.setEnabled(False)

    def config(self) -> EngineConfig:
        dims = self.dims.value()
        return self._original.with_changes(
            llm_base_url=self.base_url.text().strip() or None,
            llm_model=self.chat_model.currentText().strip() or self._original.llm_model,
            embed_model=self.embed_model.currentText().strip() or self._original.embed_model,
            rerank_model=self.rerank_model.currentText().strip() or self._original.rerank_model,
            rerank=self.rerank.isChecked(),
            device=self.device.currentData(),
            cpu_fast_path=self.cpu_precision.currentData(),
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

    def save_secrets(self) -> str | None:
        """Store a newly typed API key and the Milvus token; returns a problem in words, or None."""
        problems = []
        key = self.api_key.text().strip()
        if key:
            try:
                secrets.set_api_key(key)
            except EngineError as exc:
                problems.append(str(exc))
        config = self.config()
        if config.store_uri and config.store_token != self._original.store_token:
            if not save_store_token(config.store_uri, config.store_token):
                problems.append("No OS keyring: the Milvus token is kept for this session only.")
        return " ".join(problems) or None

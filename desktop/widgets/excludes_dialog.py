"""ExcludesDialog: edit a library's .gitignore-style exclusion patterns (one per line)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from desktop.i18n import translate
from desktop.words import folder_name


def help_text() -> str:
    return translate(
        "ExcludesDialog",
        "Files matching these patterns are not indexed (.gitignore syntax, one per line: <code>*.log</code>, "
        "<code>build/</code>, <code>drafts/**/*.tmp</code>). Version-control folders, node_modules, __pycache__, "
        "virtual environments, hidden, temporary and lock files are always left out.",
    )


def parse_patterns(text: str) -> tuple[str, ...]:
    """Non-empty, non-comment lines, stripped, without duplicates."""
    lines = (line.strip() for line in text.splitlines())
    return tuple(dict.fromkeys(line for line in lines if line and not line.startswith("#")))


class ExcludesDialog(QDialog):
    def __init__(self, library: str, patterns: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.setWindowTitle(translate("ExcludesDialog", "Exclusions — {name}").format(name=folder_name(library)))
        self.resize(520, 360)
        help_label = QLabel(help_text())
        help_label.setWordWrap(True)
        self.editor = QPlainTextEdit("\n".join(patterns))
        self.editor.setPlaceholderText("*.log\nbuild/")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(help_label)
        layout.addWidget(self.editor, 1)
        layout.addWidget(buttons)

    def patterns(self) -> tuple[str, ...]:
        return parse_patterns(self.editor.toPlainText())

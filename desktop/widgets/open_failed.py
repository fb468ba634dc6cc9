"""The message shown when no app could open a file (or no file manager show a folder), with the path to copy.

QDesktopServices only answers False (Qt logs one console line): without this, Open and Show in folder did nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.i18n import translate

OBJECT_NAME = "openFailed"


def show_open_failed(parent: QWidget, path: str, is_folder: bool) -> QMessageBox:
    """Open (not exec: nothing blocks) a warning whose text, the path included, can be selected; Copy path copies it."""
    if is_folder:
        title = translate("OpenFailed", "Could not show the folder")
        text = translate("OpenFailed", "No file manager could be started to show this folder:")
    else:
        title = translate("OpenFailed", "Could not open the file")
        text = translate("OpenFailed", "No app could be started to open this file:")
    box = QMessageBox(QMessageBox.Icon.Warning, title, "", QMessageBox.StandardButton.Close, parent)
    box.setObjectName(OBJECT_NAME)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"{text}\n\n{path}")
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    copy = box.addButton(translate("OpenFailed", "Copy path"), QMessageBox.ButtonRole.ActionRole)
    copy.clicked.disconnect()  # an action button closes the box by default; copying should leave it open
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(path))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box

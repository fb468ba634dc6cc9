"""The Qt part of `tansaku --self-test`: proves the bundled Qt libraries and a platform plugin load."""

from __future__ import annotations

import os
import sys


def _headless() -> bool:
    return sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def check_qt() -> str:
    """Create (or reuse) a QApplication, show a widget and process events.

    Without a display (a Linux server, CI) it uses the offscreen platform, since Qt aborts the process otherwise.
    """
    if _headless():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import qVersion
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(["tansaku-self-test"])
    label = QLabel("Tansaku self-test")
    label.show()
    app.processEvents()
    if not label.isVisible():
        raise RuntimeError("a shown widget is not visible")
    label.close()
    label.deleteLater()
    app.processEvents()
    return f"Qt {qVersion()}, platform {QGuiApplication.platformName()}"


QT_CHECK = ("Qt widgets", check_qt)

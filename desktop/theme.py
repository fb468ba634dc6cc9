"""Light/dark palette that follows the OS colour scheme, plus the app stylesheet from resources/."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from desktop.resources import stylesheet

ACCENT = QColor("#2f6fde")


def is_dark(app: QApplication | None = None) -> bool:
    instance = app or QApplication.instance()
    if not isinstance(instance, QApplication):
        return False
    app = instance
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#1f2226",
        QPalette.ColorRole.WindowText: "#e6e8eb",
        QPalette.ColorRole.Base: "#16181b",
        QPalette.ColorRole.AlternateBase: "#262a30",
        QPalette.ColorRole.ToolTipBase: "#2b3036",
        QPalette.ColorRole.ToolTipText: "#e6e8eb",
        QPalette.ColorRole.PlaceholderText: "#8b949e",
        QPalette.ColorRole.Text: "#e6e8eb",
        QPalette.ColorRole.Button: "#2b3036",
        QPalette.ColorRole.ButtonText: "#e6e8eb",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#2f6fde",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#6ea8ff",
        QPalette.ColorRole.LinkVisited: "#b19cff",
        QPalette.ColorRole.Mid: "#3a4048",
        QPalette.ColorRole.Midlight: "#30353c",
        QPalette.ColorRole.Dark: "#121417",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6e7681"))
    return p


def _light_palette(app: QApplication) -> QPalette:
    p = app.style().standardPalette()
    p.setColor(QPalette.ColorRole.Highlight, ACCENT)
    p.setColor(QPalette.ColorRole.Link, ACCENT)
    return p


def highlight_color() -> str:
    """Background for matched query words in passages: readable on either palette."""
    return "#7a5c00" if is_dark() else "#ffe58a"


def apply_theme(app: QApplication) -> None:
    """Fusion with an explicit dark palette when the OS is dark (macOS keeps its native style, which follows it)."""
    if sys.platform != "darwin":
        app.setStyle("Fusion")
        app.setPalette(dark_palette() if is_dark(app) else _light_palette(app))
    app.setStyleSheet(stylesheet())


def follow_os_scheme(app: QApplication) -> None:
    """Re-apply the palette when the OS switches between light and dark."""
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))

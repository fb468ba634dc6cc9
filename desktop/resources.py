"""Icons, stylesheet and sample documents from resources/, tinted to the current palette; works when frozen too."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

ICON_SIZES = (16, 20, 24, 32, 48)
# Icons are drawn with this placeholder colour and recoloured to the palette's text colour, so they follow dark mode.
INK = "#1f2328"


def resources_dir() -> Path:
    """resources/ next to the packages, or inside a PyInstaller bundle (sys._MEIPASS)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


@cache
def _svg_text(name: str) -> str:
    return resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")


def _render(svg: str, size: int, ratio: float) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


def _ink() -> QColor:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app.palette().color(QPalette.ColorRole.WindowText)
    return QColor(INK)


def icon(name: str, color: QColor | str | None = None) -> QIcon:
    """resources/icons/<name>.svg as a QIcon in the palette's text colour (or `color`); empty if missing."""
    ink = QColor(color) if color is not None else _ink()
    app = QApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QApplication) else 1.0
    return _icon(name, ink.name(), max(ratio, 1.0))


@cache
def _icon(name: str, ink: str, ratio: float) -> QIcon:
    """Rendered once per name, colour and pixel ratio: progress updates set icons many times a second."""
    try:
        svg = _svg_text(name).replace(INK, ink)
    except OSError:
        return QIcon()
    result = QIcon()
    for size in ICON_SIZES:
        result.addPixmap(_render(svg, size, ratio))
    return result


def app_icon() -> QIcon:
    """The multi-colour app icon (not tinted): the SVG, else the packaged PNG."""
    for path in (resource_path("icons", "tansaku.svg"), resource_path("icons", "app", "tansaku.png")):
        if path.is_file():
            return QIcon(str(path))
    return QIcon()


def stylesheet() -> str:
    path = resource_path("style.qss")
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def samples_dir() -> Path:
    """Sample documents for the first-run tour."""
    return resource_path("samples", "tour")

"""Tansaku desktop: PySide6 views and a controller over the Qt-free engine."""

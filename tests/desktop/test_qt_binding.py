"""The installed PySide6 must not drop references to None/True (6.12.0 does on CPython < 3.12 and aborts the app)."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPushButton

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 12), reason="None and True are immortal from Python 3.12")


class _Emitter(QObject):
    fired = Signal(int)


def test_void_calls_and_emits_keep_refcounts(qtbot):
    button = QPushButton()
    qtbot.addWidget(button)
    emitter = _Emitter()
    button.setEnabled(True)
    emitter.fired.emit(0)
    before = (sys.getrefcount(None), sys.getrefcount(True))
    for i in range(500):
        button.setEnabled(True)  # a void C++ method: returns None to Python
        emitter.fired.emit(i)  # returns True to Python
    after = (sys.getrefcount(None), sys.getrefcount(True))
    assert after[0] >= before[0] - 50, "PySide6 drops a reference to None on every void call (use PySide6 != 6.12.0)"
    assert after[1] >= before[1] - 50, "PySide6 drops a reference to True on every emit (use PySide6 != 6.12.0)"

"""Keyring calls off the GUI thread: a locked Secret Service or a slow D-Bus must never freeze the window.

`call_off_gui_thread(work, on_done, on_error, context)` runs `work` on a plain daemon thread and delivers its result
(or its exception) to `on_done` / `on_error` on the GUI thread, through a queued signal of one long-lived relay
object. Nothing runs if `context` (the dialog that asked) has been deleted by then; the worker never touches a widget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

T = TypeVar("T")


class _Relay(QObject):
    """Lives on the GUI thread for the whole process; runs each delivered callable there."""

    deliver = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.deliver.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, callback: Callable[[], None]) -> None:
        callback()


_relay: _Relay | None = None


def _gui_relay() -> _Relay:
    global _relay
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("call_off_gui_thread must be called on the GUI thread")
    if _relay is None:
        _relay = _Relay()
    return _relay


def call_off_gui_thread(
    work: Callable[[], T],
    on_done: Callable[[T], None],
    on_error: Callable[[BaseException], None],
    context: QObject,
) -> threading.Thread:
    """Run `work` on a worker thread; `on_done(result)` or `on_error(exc)` then run on the GUI thread."""
    relay = _gui_relay()

    def when_alive(callback: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            if shiboken6.isValid(context):  # checked on the GUI thread, where deletion happens: no race
                callback()

        return run

    def worker() -> None:
        try:
            result = work()
        except Exception as exc:
            failure = exc  # `exc` itself is unbound when the except block ends
            relay.deliver.emit(when_alive(lambda: on_error(failure)))
            return
        relay.deliver.emit(when_alive(lambda: on_done(result)))

    thread = threading.Thread(target=worker, name="tansaku-keyring", daemon=True)  # a hung keyring never blocks exit
    thread.start()
    return thread

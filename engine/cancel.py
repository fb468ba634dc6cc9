"""Cooperative cancellation and pausing shared between a caller and an engine job."""

from __future__ import annotations

import threading

from engine.errors import Cancelled


class CancelToken:
    """Set from any thread; the engine checks it between files, batches and streamed chunks."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()  # a paused job must wake up to notice the cancel

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise Cancelled if cancelled; block here while paused."""
        while not self._running.wait(0.1):
            pass
        if self._cancelled.is_set():
            raise Cancelled("cancelled")

"""Seconds spent per indexing stage, summed over the threads that run it: where a run's wall time goes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# read: load + parse + chunk (summed over loader threads); text_store: text rows replaced in the store; embed: the
# model's forward passes; vector_store: vectors written and flushed; manifest: the file statuses in SQLite.
STAGES = ("read", "text_store", "embed", "vector_store", "manifest")


class StageClock:
    """Thread-safe sums of wall seconds per stage. Stages that overlap add up to more than the run's wall time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds = dict.fromkeys(STAGES, 0.0)

    @contextmanager
    def time(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - started)

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self._seconds[stage] = self._seconds.get(stage, 0.0) + seconds

    def snapshot(self) -> tuple[tuple[str, float], ...]:
        with self._lock:
            return tuple(self._seconds.items())

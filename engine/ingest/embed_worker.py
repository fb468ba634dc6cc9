"""The embedding thread of an indexing run: the model embeds while the indexing thread reads and stores.

The embedder is shared with the indexing thread, whose progress callback may serve a search (the desktop answers
questions from inside a running indexing job) that embeds a query with the same model. The Embedder serialises its
forward passes itself; `Floor` decides whose turn it is, so that the indexing thread never blocks on a batch in
progress: it takes the floor only between batches (else it asks, and the next batch waits until it has had it).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from engine.cancel import CancelToken
from engine.errors import Cancelled
from engine.ingest.chunk_rows import embedding_text
from engine.ingest.stage_clock import StageClock
from engine.types import Chunk


@dataclass(frozen=True)
class Embedded:
    """One embedded batch, on its way to the writer."""

    chunks: tuple[Chunk, ...]
    vectors: np.ndarray
    tokens: int


@dataclass(frozen=True)
class Failed:
    """The embedding thread stopped on this exception (Cancelled included); the run re-raises it."""

    error: BaseException


class Floor:
    """Turns between the embedding thread (one batch at a time) and the indexing thread (its progress callback)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False  # the embedding thread is inside a batch
        self._held = False  # the indexing thread holds the floor
        self._wanted = False  # ... and asked for it: no new batch starts until it has had it

    def try_hold(self) -> bool:
        """Take the floor if no batch is running; otherwise ask for it (the next batch waits) and return False."""
        with self._cond:
            if self._busy:
                self._wanted = True
                return False
            self._held, self._wanted = True, False
            return True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    @contextmanager
    def batch(self, stop: threading.Event) -> Iterator[None]:
        with self._cond:
            while (self._held or self._wanted) and not stop.is_set():
                self._cond.wait(0.1)
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


class _StopToken(CancelToken):
    """The run's token, also cancelled when the worker is stopped: a failed run need not wait out a whole batch."""

    def __init__(self, run: CancelToken, stop: threading.Event) -> None:
        super().__init__()
        self._run = run
        self._stop = stop

    @property
    def cancelled(self) -> bool:
        return self._run.cancelled or self._stop.is_set()

    @property
    def paused(self) -> bool:
        return self._run.paused

    def raise_if_cancelled(self) -> None:
        if self._stop.is_set():
            raise Cancelled("stopped")
        self._run.raise_if_cancelled()


class EmbedWorker:
    """Embeds submitted windows of chunks batch by batch on its own thread; `post` receives Embedded/Failed.

    Windows are sorted by length (less padding on a GPU) and cut into batches of `batch_size`; cancel and pause are
    honoured between batches.
    """

    def __init__(
        self,
        embedder,
        batch_size: int,
        cancel: CancelToken,
        post: Callable[[object], None],
        clock: StageClock,
    ) -> None:
        self.floor = Floor()
        self._embedder = embedder
        self._step = max(1, batch_size)
        self._post = post
        self._clock = clock
        self._jobs: queue.SimpleQueue[list[Chunk] | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._cancel = _StopToken(cancel, self._stop)
        self._thread = threading.Thread(target=self._run, name="tansaku-embed", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, window: list[Chunk]) -> None:
        self._jobs.put(window)

    def stop(self) -> None:
        """Stop after the batch in progress (if any) and wait for it: the caller may use the model right after."""
        self._stop.set()
        self._jobs.put(None)
        self.floor.wake()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            counter = self._embedder.token_counter()
            while not self._stop.is_set():
                window = self._jobs.get()
                if window is None:
                    return
                self._embed_window(window, counter)
        except BaseException as exc:  # noqa: BLE001 - handed to the indexing thread, which raises it
            self._post(Failed(exc))

    def _embed_window(self, window: list[Chunk], counter) -> None:
        texts = [embedding_text(c) for c in window]
        order = sorted(range(len(window)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self._step):
            self._cancel.raise_if_cancelled()
            batch = order[start : start + self._step]
            with self.floor.batch(self._stop):
                if self._stop.is_set():
                    return
                with self._clock.time("embed"):
                    vectors = self._embedder.embed_documents([texts[i] for i in batch], cancel=self._cancel)
            chunks = tuple(window[i] for i in batch)
            self._post(Embedded(chunks, vectors, sum(counter.count(c.text) for c in chunks)))

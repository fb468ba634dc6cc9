"""EngineHost: runs Engine calls on one engine QThread (answers on a second one) and reports back with signals.

Why this shape (design.md §3): models and the Milvus client are used from the engine thread only, jobs run in the
order they were submitted, and the GUI never blocks. Two refinements (see desktop/engine_worker.py):

* Quick read-only jobs (search, report, libraries, ...) are *urgent*: they jump the queue and are also served from
  inside a running indexing job, at its progress points (between files and embedding batches), still on the engine
  thread. So a question asked during a long indexing run is answered within a batch, not after the whole library.
* Pause is a gate at those same progress points (serving urgent jobs while it waits), so search works while paused.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from PySide6.QtCore import QObject, QThread, Signal, Slot

from desktop.engine_worker import (
    ANSWER_KINDS,
    URGENT_KINDS,
    EngineBox,
    EngineFactory,
    EngineSnapshot,
    EngineWorker,
    Job,
    JobFailure,
    ModelCheck,
    SearchResult,
    default_factory,
)
from engine import CancelToken

log = logging.getLogger(__name__)

__all__ = ["EngineHost", "EngineSnapshot", "JobFailure", "JobHandle", "ModelCheck", "SearchResult"]


@dataclass
class _Callbacks:
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[JobFailure], None] | None = None
    on_progress: Callable[[Any], None] | None = None
    on_tokens: Callable[[str], None] | None = None


class JobHandle:
    """What submit() returns: the id, and cancel/pause from the GUI thread (the token is set directly)."""

    def __init__(self, job: Job) -> None:
        self._job = job

    @property
    def id(self) -> int:
        return self._job.id

    @property
    def kind(self) -> str:
        return self._job.kind

    def cancel(self) -> None:
        self._job.gate.clear()
        self._job.token.cancel()

    def pause(self) -> None:
        self._job.gate.set()

    def resume(self) -> None:
        self._job.gate.clear()

    @property
    def paused(self) -> bool:
        return self._job.gate.is_set()

    @property
    def cancelled(self) -> bool:
        return self._job.token.cancelled


class EngineHost(QObject):
    """Owns the engine and answer threads; submit() jobs, get callbacks on the GUI thread.

    Signals:
        busy_changed(bool): whether any engine job is queued or running.
    """

    busy_changed = Signal(bool)
    _to_engine = Signal(object)
    _poke_engine = Signal()
    _to_answer = Signal(object)

    def __init__(self, factory: EngineFactory | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, _Callbacks] = {}
        self._handles: dict[int, JobHandle] = {}
        self._stale: set[int] = set()
        self._closing = threading.Event()
        self._box = EngineBox()
        factory = factory or default_factory
        self._engine_thread, self._engine_worker = self._make_lane("tansaku-engine", factory)
        self._answer_thread, self._answer_worker = self._make_lane("tansaku-answer", factory)
        self._to_engine.connect(self._engine_worker.run)
        self._poke_engine.connect(self._engine_worker.drain)
        self._to_answer.connect(self._answer_worker.run)
        self._engine_thread.start()
        self._answer_thread.start()
        self._shut_down = False

    def _make_lane(self, name: str, factory: EngineFactory) -> tuple[QThread, EngineWorker]:
        thread = QThread()
        thread.setObjectName(name)
        worker = EngineWorker(self._box, factory, self._closing)
        worker.moveToThread(thread)
        worker.finished.connect(self._on_worker_finished)
        worker.failed.connect(self._on_worker_failed)
        worker.progress.connect(self._on_worker_progress)
        worker.models_progress.connect(self._on_worker_models_progress)
        worker.tokens.connect(self._on_worker_tokens)
        return thread, worker

    # -- submitting --------------------------------------------------------------------------------
    def submit(
        self,
        kind: str,
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[JobFailure], None] | None = None,
        on_progress: Callable[..., None] | None = None,
        on_tokens: Callable[[str], None] | None = None,
        token: CancelToken | None = None,
        **kwargs: Any,
    ) -> JobHandle:
        """Queue `kind` (an Engine method name or open/reconfigure/load_models/check_models/answer)."""
        job = Job(next(self._ids), kind, tuple(args), tuple(kwargs.items()), token or CancelToken())
        handle = JobHandle(job)
        if self._shut_down:
            job.token.cancel()
            return handle
        self._callbacks[job.id] = _Callbacks(on_done, on_error, on_progress, on_tokens)
        self._handles[job.id] = handle
        if kind in ANSWER_KINDS:
            self._to_answer.emit(job)
        elif kind in URGENT_KINDS:
            self._engine_worker.put_urgent(job)
            self._poke_engine.emit()
        else:
            self._to_engine.emit(job)
        self._emit_busy()
        return handle

    def drop(self, handle: JobHandle | None) -> None:
        """Cancel a job and ignore whatever it still reports (a stale result)."""
        if handle is None:
            return
        handle.cancel()
        if handle.id in self._callbacks:
            self._stale.add(handle.id)

    def pending(self) -> tuple[JobHandle, ...]:
        return tuple(h for i, h in self._handles.items() if i not in self._stale)

    @property
    def busy(self) -> bool:
        return any(h.kind not in ANSWER_KINDS for h in self.pending())

    def _emit_busy(self) -> None:
        self.busy_changed.emit(self.busy)

    # -- results (GUI thread) ----------------------------------------------------------------------
    def _take(self, job_id: int) -> _Callbacks | None:
        callbacks = self._callbacks.pop(job_id, None)
        self._handles.pop(job_id, None)
        stale = job_id in self._stale
        self._stale.discard(job_id)
        self._emit_busy()
        return None if stale else callbacks

    def _live(self, job_id: int) -> _Callbacks | None:
        if job_id in self._stale:
            return None
        return self._callbacks.get(job_id)

    @Slot(int, object)
    def _on_worker_finished(self, job_id: int, result: object) -> None:
        callbacks = self._take(job_id)
        if callbacks is not None and callbacks.on_done is not None:
            callbacks.on_done(result)

    @Slot(int, object)
    def _on_worker_failed(self, job_id: int, failure: object) -> None:
        callbacks = self._take(job_id)
        if callbacks is None:
            return
        if callbacks.on_error is not None:
            callbacks.on_error(cast(JobFailure, failure))  # the worker's `failed` signal carries a JobFailure
        elif not getattr(failure, "cancelled", False):
            log.warning("Job %s failed: %s", job_id, getattr(failure, "message", failure))

    @Slot(int, object)
    def _on_worker_progress(self, job_id: int, progress: object) -> None:
        callbacks = self._live(job_id)
        if callbacks is not None and callbacks.on_progress is not None:
            callbacks.on_progress(progress)

    @Slot(int, str, int, int)
    def _on_worker_models_progress(self, job_id: int, stage: str, done: int, total: int) -> None:
        callbacks = self._live(job_id)
        if callbacks is not None and callbacks.on_progress is not None:
            callbacks.on_progress((stage, done, total))

    @Slot(int, str)
    def _on_worker_tokens(self, job_id: int, text: str) -> None:
        callbacks = self._live(job_id)
        if callbacks is not None and callbacks.on_tokens is not None:
            callbacks.on_tokens(text)

    # -- shutdown ----------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Cancel everything, let the running jobs notice, close the engine on its thread, and join both threads.

        Returns False if a thread needed longer than timeout_ms (we then keep waiting: destroying a running
        QThread would abort the process, and the engine checks its token between files and batches).
        """
        if self._shut_down:
            return True
        self._shut_down = True
        self._closing.set()
        for handle in list(self._handles.values()):
            handle.cancel()
        self._stale.update(self._callbacks)
        on_time = True
        # The answer thread goes first: it may be using the engine that the shutdown job closes.
        self._answer_thread.quit()
        on_time &= self._join(self._answer_thread, timeout_ms)
        self._to_engine.emit(Job(next(self._ids), "shutdown"))
        on_time &= self._join(self._engine_thread, timeout_ms)
        self._callbacks.clear()
        self._handles.clear()
        return on_time

    @staticmethod
    def _join(thread: QThread, timeout_ms: int) -> bool:
        if thread.wait(timeout_ms):
            return True
        log.warning("%s is still busy after %d ms; waiting for it to finish", thread.objectName(), timeout_ms)
        thread.wait()
        return False

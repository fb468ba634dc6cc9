"""EngineHost: runs Engine calls on one engine QThread (answers on a second one) and reports back with signals.

Why this shape (design.md §3): models and the Milvus client are used from the engine thread only, jobs run in the
order they were submitted, and the GUI never blocks. Two refinements:

* Quick read-only jobs (search, report, libraries, ...) are *urgent*: they jump the queue and are also served from
  inside a running indexing job, at its progress points (between files and embedding batches), still on the engine
  thread. So a question asked during a long indexing run is answered within a batch, not after the whole library.
* Pause is a gate at those same progress points (serving urgent jobs while it waits), so search works while paused.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.cancel import CancelToken
from engine.config import EngineConfig
from engine.errors import Cancelled, EngineError, LLMError

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1  # ~10 progress signals per second
TOKEN_INTERVAL_S = 0.05  # ~20 token signals per second
PAUSE_POLL_S = 0.05
FINAL_PHASES = frozenset({"done", "cancelled"})  # always delivered; the others are throttled

URGENT_KINDS = frozenset({"search", "report", "libraries", "status", "models_state", "get_excludes", "set_excludes"})
ANSWER_KINDS = frozenset({"answer"})

EngineFactory = Callable[[EngineConfig], Any]


def _default_factory(config: EngineConfig) -> Any:
    from engine.engine import Engine  # imported on the engine thread, after the window is up

    return Engine(config)


@dataclass(frozen=True)
class JobFailure:
    """Why a job failed, as plain values (never the exception object, which may hold frames and widgets)."""

    kind: str
    error_type: str
    message: str
    llm_kind: str | None = None
    status: int | None = None
    unexpected: bool = False

    @property
    def cancelled(self) -> bool:
        return self.error_type == "Cancelled"

    @classmethod
    def from_exception(cls, kind: str, exc: BaseException) -> JobFailure:
        unexpected = not isinstance(exc, EngineError)
        message = str(exc) or type(exc).__name__
        if unexpected:
            message = f"Unexpected error ({type(exc).__name__}: {message}). Details are in the log."
        llm_kind = exc.kind if isinstance(exc, LLMError) else None
        status = exc.status if isinstance(exc, LLMError) else None
        return cls(kind, type(exc).__name__, message, llm_kind, status, unexpected)


@dataclass(frozen=True)
class EngineSnapshot:
    """What the GUI needs after the engine opens: status, model state and libraries."""

    status: dict
    models: dict
    libraries: tuple


@dataclass(frozen=True)
class ModelCheck:
    """One model the config needs: whether it loads offline, and its download size when known."""

    role: str
    model: str
    available: bool
    download_bytes: int | None = None


@dataclass(frozen=True, eq=False)
class Job:
    """One request: kind names an Engine method (or a lifecycle step); the token is shared with the GUI."""

    id: int
    kind: str
    args: tuple = ()
    kwargs: tuple = ()
    token: CancelToken = field(default_factory=CancelToken)
    gate: threading.Event = field(default_factory=threading.Event)  # set = paused


@dataclass
class _Callbacks:
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[JobFailure], None] | None = None
    on_progress: Callable[[Any], None] | None = None
    on_tokens: Callable[[str], None] | None = None


class _EngineBox:
    """The current Engine, shared by both workers; only the engine thread replaces it."""

    def __init__(self) -> None:
        self.engine: Any = None

    def require(self) -> Any:
        if self.engine is None:
            raise EngineError("The engine is not open yet.")
        return self.engine


class _Throttle:
    """Calls emit at most every interval seconds (the first call and `final` ones always pass)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.last = 0.0

    def ready(self, final: bool = False) -> bool:
        now = time.monotonic()
        if final or now - self.last >= self.interval:
            self.last = now
            return True
        return False


class _TokenBuffer:
    """Coalesces streamed tokens into chunks emitted ~20 times a second."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        self._parts: list[str] = []
        self._throttle = _Throttle(TOKEN_INTERVAL_S)

    def __call__(self, token: str) -> None:
        self._parts.append(token)
        if self._throttle.ready():
            self.flush()

    def flush(self) -> None:
        if self._parts:
            text = "".join(self._parts)
            self._parts.clear()
            self._emit(text)


class EngineWorker(QObject):
    """Runs jobs on the thread it was moved to.

    Signals:
        finished(job_id, result), failed(job_id, JobFailure), progress(job_id, Progress),
        models_progress(job_id, stage, done, total), tokens(job_id, text)
    """

    finished = Signal(int, object)
    failed = Signal(int, object)
    progress = Signal(int, object)
    models_progress = Signal(int, str, int, int)
    tokens = Signal(int, str)

    def __init__(self, box: _EngineBox, factory: EngineFactory, closing: threading.Event) -> None:
        super().__init__()  # no parent: it is moved to its thread
        self._box = box
        self._factory = factory
        self._closing = closing
        self._urgent: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._in_urgent = False

    # -- entry points (queued from the GUI thread) -------------------------------------------------
    @Slot(object)
    def run(self, job: Job) -> None:
        if self._closing.is_set() and job.kind != "shutdown":
            return
        self._execute(job)

    @Slot()
    def drain(self) -> None:
        """Run every waiting urgent job (also called from inside long jobs at their progress points)."""
        if self._in_urgent:
            return
        self._in_urgent = True
        try:
            while True:
                try:
                    job = self._urgent.get_nowait()
                except queue.Empty:
                    return
                if not self._closing.is_set():
                    self._execute(job)
        finally:
            self._in_urgent = False

    def put_urgent(self, job: Job) -> None:
        """Called from the GUI thread; a queued `drain` call follows so an idle worker runs it at once."""
        self._urgent.put(job)

    # -- execution ---------------------------------------------------------------------------------
    def _execute(self, job: Job) -> None:
        try:
            if job.token.cancelled:
                raise Cancelled("cancelled before it started")
            result = getattr(self, f"_job_{job.kind}", None) or self._passthrough
            value = result(job)
        except Exception as exc:  # noqa: BLE001 - every failure must reach the GUI as words
            if not isinstance(exc, EngineError):
                log.exception("Engine job %s (%s) failed", job.id, job.kind)
            self.failed.emit(job.id, JobFailure.from_exception(job.kind, exc))
            return
        self.finished.emit(job.id, value)

    def _passthrough(self, job: Job) -> Any:
        value = getattr(self._box.require(), job.kind)(*job.args, **dict(job.kwargs))
        return tuple(value) if isinstance(value, list) else value

    def _snapshot(self) -> EngineSnapshot:
        eng = self._box.require()
        return EngineSnapshot(eng.status(), eng.models_state(), tuple(eng.libraries()))

    def _job_open(self, job: Job) -> EngineSnapshot:
        (config,) = job.args
        engine = self._factory(config)
        engine.open()
        self._box.engine = engine
        return self._snapshot()

    def _job_reconfigure(self, job: Job) -> EngineSnapshot:
        self._close_engine()
        return self._job_open(job)

    def _job_shutdown(self, job: Job) -> None:
        try:
            self._close_engine()
        finally:
            thread = self.thread()
            if thread is not None:
                thread.quit()

    def _close_engine(self) -> None:
        engine, self._box.engine = self._box.engine, None
        if engine is not None:
            engine.close()

    def _job_check_models(self, job: Job) -> tuple[ModelCheck, ...]:
        from engine.model_files import is_model_available, model_download_size

        config = self._box.require().config
        wanted = [("embedder", config.embed_model)] + ([("reranker", config.rerank_model)] if config.rerank else [])
        checks = []
        for role, model in wanted:
            available = is_model_available(model, config.models_dir)
            size = None if available else model_download_size(model)
            checks.append(ModelCheck(role, model, available, size))
        return tuple(checks)

    def _job_load_models(self, job: Job) -> dict:
        throttle = _Throttle(PROGRESS_INTERVAL_S)

        def on_progress(stage: str, done: int, total: int) -> None:
            if throttle.ready(final=total > 0 and done >= total):
                self.models_progress.emit(job.id, stage, int(done), int(total))

        eng = self._box.require()
        eng.load_models(on_progress=on_progress, cancel=job.token)
        return eng.models_state()

    def _job_warm_up(self, job: Job) -> None:
        """Import and open what the first indexing run and answer need (store client, OpenAI SDK) now, at startup.

        Those imports hold the GIL for hundreds of milliseconds at a time (C extension set-up); done in the middle of
        indexing or of a streamed answer they would freeze the window.
        """
        eng = self._box.require()
        warm_up = getattr(eng, "warm_up", None)
        if callable(warm_up):
            warm_up()
            return
        eng.store(need_model=False)
        _ = eng.answerer
        # Imported for their side effect: the SDK builds its models and chat resources now, not at the first answer.
        import openai.resources.chat.completions  # noqa: F401
        import openai.types.chat  # noqa: F401

    def _job_index_library(self, job: Job) -> Any:
        throttle = _Throttle(PROGRESS_INTERVAL_S)

        def on_progress(progress: Any) -> None:
            if throttle.ready(final=progress.phase in FINAL_PHASES):
                self.progress.emit(job.id, progress)
            self.drain()
            self._wait_while_paused(job)

        kwargs = dict(job.kwargs)
        return self._box.require().index_library(*job.args, cancel=job.token, on_progress=on_progress, **kwargs)

    def _wait_while_paused(self, job: Job) -> None:
        while job.gate.is_set() and not job.token.cancelled and not self._closing.is_set():
            self.drain()
            time.sleep(PAUSE_POLL_S)

    def _job_search(self, job: Job) -> tuple:
        kwargs = dict(job.kwargs)
        return tuple(self._box.require().search(*job.args, cancel=job.token, **kwargs))

    def _job_answer(self, job: Job) -> Any:
        buffer = _TokenBuffer(lambda text: self.tokens.emit(job.id, text))
        try:
            return self._box.require().answer(*job.args, on_token=buffer, cancel=job.token)
        finally:
            buffer.flush()


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
        self._box = _EngineBox()
        factory = factory or _default_factory
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
            callbacks.on_error(failure)  # type: ignore[arg-type]
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

"""EngineWorker: runs jobs on the engine (or answer) thread; payload types it sends back to the GUI thread.

Quick read-only jobs are *urgent*: they are also served from inside a running indexing job at its progress points
(between files and embedding batches), still on the engine thread, and while an indexing job is paused.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from desktop.i18n import translate
from engine import (
    Cancelled,
    CancelToken,
    EngineConfig,
    EngineError,
    Hit,
    LLMError,
    SearchHits,
    best_snippet,
    secrets,
)

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1  # ~10 progress signals per second
TOKEN_INTERVAL_S = 0.05  # ~20 token signals per second
PAUSE_POLL_S = 0.05
FINAL_PHASES = frozenset({"done", "cancelled"})  # always delivered; the others are throttled

URGENT_KINDS = frozenset({"search", "report", "libraries", "status", "models_state", "get_excludes", "set_excludes"})
ANSWER_KINDS = frozenset({"answer", "rewrite_query"})  # both may wait on the answer endpoint

EngineFactory = Callable[[EngineConfig], Any]


def default_factory(config: EngineConfig) -> Any:
    from engine import Engine

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
        message = secrets.redact(str(exc)) or type(exc).__name__  # shown in the window: no key or token in it
        if unexpected:
            message = translate(
                "EngineWorker", "Unexpected error ({error}: {message}). Details are in the log."
            ).format(error=type(exc).__name__, message=message)
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
class SearchResult:
    """A search job's hits in rank order, and how they were ranked (engine.SearchHits as an immutable payload: the
    fields after `hits` are SearchHits' own, with the same names and meanings, and travel both ways unchanged).

    rerank_unavailable: why the reranker did not order them although it was asked to ("" when it did or was off).
    reranked_count of rerank_candidates were scored by the reranker in rerank_seconds (its time budget may stop it
    early: the rest keep their fused order). rerank_pending: an early list sent while the reranker works;
    early_stage: "keywords" or "fused" for an early list. rerank_left_out_s: the expected seconds of the first
    candidate the budget (rerank_budget_s) could not fit.
    """

    hits: tuple[Hit, ...]
    reranked: bool = False
    rerank_unavailable: str = ""
    reranked_count: int = 0
    rerank_candidates: int = 0
    rerank_seconds: float = 0.0
    rerank_pending: bool = False
    dense_unavailable: str = ""
    early_stage: str = ""
    rerank_budget_s: float = 0.0
    rerank_left_out_s: float = 0.0

    @classmethod
    def of(cls, found: Any) -> SearchResult:
        """From Engine.search's SearchHits (a plain list of hits, from a stand-in engine, carries no counts)."""
        counts: dict[str, Any] = {f.name: getattr(found, f.name, f.default) for f in fields(cls) if f.name != "hits"}
        return cls(tuple(found), **counts)

    @property
    def partly_reranked(self) -> bool:
        """The reranker's time budget ran out before it reached every candidate."""
        return self.reranked and self.reranked_count < self.rerank_candidates

    def search_hits(self) -> SearchHits:
        """Back to engine.SearchHits for the answer job: the answer policy reads the counts (a partial rerank)."""
        return SearchHits(self.hits, **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "hits"})


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


def _pick_snippets(question: str, hits: Any) -> None:
    """Pick each passage's best sentences here, on the engine thread: the window's rendering then finds them cached
    (segmenting Japanese passages costs ~5 ms each, too much for the GUI thread over ten passages)."""
    for hit in hits:
        if isinstance(hit, Hit):
            best_snippet(question, hit.chunk.text)


class EngineBox:
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

    def __init__(self, box: EngineBox, factory: EngineFactory, closing: threading.Event) -> None:
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
        from engine import is_model_available, model_download_size

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
        rerank = dict(job.kwargs).get("rerank")
        eng.load_models(on_progress=on_progress, cancel=job.token, rerank=rerank)
        return eng.models_state()

    def _job_warm_up(self, job: Job) -> None:
        """Import and open what the first indexing run and answer need (store client, OpenAI SDK) now, at startup.

        Those imports hold the GIL for hundreds of milliseconds at a time (C extension set-up); done in the middle of
        indexing or of a streamed answer they would freeze the window.
        """
        eng = self._box.require()
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

    def _job_search(self, job: Job) -> SearchResult:
        question = job.args[0]

        def on_early(early: Any) -> None:
            # Progressive results: the keyword matches, then the fused list reach the window now; the reranked one
            # follows as the result.
            _pick_snippets(question, early)
            self.progress.emit(job.id, SearchResult.of(early))

        engine = self._box.require()
        found = engine.search(*job.args, cancel=job.token, on_keywords=on_early, on_fused=on_early, **dict(job.kwargs))
        _pick_snippets(question, found)
        return SearchResult.of(found)

    def _job_rewrite_query(self, job: Job) -> Any:
        return self._box.require().rewrite_query(*job.args, cancel=job.token, **dict(job.kwargs))

    def _job_answer(self, job: Job) -> Any:
        buffer = _TokenBuffer(lambda text: self.tokens.emit(job.id, text))
        try:
            return self._box.require().answer(*job.args, on_token=buffer, cancel=job.token, **dict(job.kwargs))
        finally:
            buffer.flush()

"""EngineHost: order, urgent jobs served inside a long job, pause, cancel, stale results, coalescing, shutdown.

A scripted stand-in engine is used here (and only here) so each threading rule is checked deterministically;
the window tests run the real Engine.
"""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread

from desktop.engine_host import EngineHost, JobFailure
from engine.config import EngineConfig
from engine.errors import ConfigError
from engine.types import Answer, IndexReport, Progress


class ScriptedEngine:
    """Records which thread ran each call; index_library reports progress until `stop` is set or cancelled."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.calls: list[tuple[str, str]] = []
        self.stop = threading.Event()
        self.closed = False

    def _record(self, name: str) -> None:
        self.calls.append((name, QThread.currentThread().objectName()))

    def open(self) -> None:
        self._record("open")

    def close(self) -> None:
        self._record("close")
        self.closed = True

    def status(self) -> dict:
        return {"files": 0, "chunks": 0}

    def models_state(self) -> dict:
        return {"embedder": "not_loaded"}

    def libraries(self) -> list:
        self._record("libraries")
        return []

    def add_library(self, path: str) -> str:
        self._record("add_library")
        if path == "bad":
            raise ConfigError("bad is not a folder.")
        if path == "bug":
            raise ZeroDivisionError("oops")
        return path

    def index_library(self, path, *, cancel=None, on_progress=None, retry_failed=False):
        self._record("index_library")
        n = 0
        while not self.stop.is_set() and not cancel.cancelled:
            n += 1
            on_progress(Progress(path, "indexing", files_total=1000, files_done=n))
            time.sleep(0.002)
        return IndexReport(path, files_indexed=n, cancelled=cancel.cancelled)

    def search(self, question, *, cancel=None, **kwargs):
        self._record("search")
        return [question]

    def answer(self, question, hits, *, on_token=None, cancel=None):
        self._record("answer")
        for _ in range(200):
            if cancel.cancelled:
                return Answer(question, "", "error", error_kind="cancelled")
            on_token("x")
            time.sleep(0.001)
        return Answer(question, "x" * 200, "llm")


@pytest.fixture
def host(qtbot):
    engines: list[ScriptedEngine] = []

    def factory(config):
        engines.append(ScriptedEngine(config))
        return engines[-1]

    h = EngineHost(factory)
    h.engines = engines
    try:
        results: list = []
        h.submit("open", EngineConfig(data_dir="/nonexistent"), on_done=results.append)
        qtbot.waitUntil(lambda: bool(results))
        yield h
    finally:
        for engine in engines:
            engine.stop.set()
        h.shutdown()


def test_jobs_run_in_order_on_the_engine_thread(qtbot, host):
    done: list = []
    for name in ("a", "b", "c"):
        host.submit("add_library", name, on_done=done.append)
    qtbot.waitUntil(lambda: len(done) == 3)
    assert done == ["a", "b", "c"]
    engine = host.engines[0]
    assert {thread for _name, thread in engine.calls} == {"tansaku-engine"}


def test_errors_come_back_as_words(qtbot, host):
    failures: list[JobFailure] = []
    host.submit("add_library", "bad", on_error=failures.append)
    host.submit("add_library", "bug", on_error=failures.append)
    qtbot.waitUntil(lambda: len(failures) == 2)
    assert failures[0].error_type == "ConfigError" and failures[0].message == "bad is not a folder."
    assert not failures[0].unexpected
    assert failures[1].unexpected and "ZeroDivisionError" in failures[1].message


def test_urgent_jobs_are_served_during_a_long_job_and_while_paused(qtbot, host):
    engine = host.engines[0]
    progress: list[Progress] = []
    reports: list[IndexReport] = []
    handle = host.submit("index_library", "lib", on_progress=progress.append, on_done=reports.append)
    qtbot.waitUntil(lambda: bool(progress))

    found: list = []
    host.submit("search", "q1", on_done=found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=5000)
    assert [f.hits for f in found] == [("q1",)] and not reports  # answered while indexing still runs

    handle.pause()
    time.sleep(0.1)
    host.submit("search", "q2", on_done=found.append)
    qtbot.waitUntil(lambda: len(found) == 2, timeout=5000)
    paused_at = len(progress)
    qtbot.wait(300)
    assert len(progress) <= paused_at + 1  # the job is held at its progress point

    handle.resume()
    qtbot.waitUntil(lambda: len(progress) > paused_at + 2)
    engine.stop.set()
    qtbot.waitUntil(lambda: bool(reports))
    assert not reports[0].cancelled
    assert {thread for name, thread in engine.calls if name == "search"} == {"tansaku-engine"}


def test_progress_is_throttled(qtbot, host):
    engine = host.engines[0]
    progress: list[Progress] = []
    reports: list = []
    host.submit("index_library", "lib", on_progress=progress.append, on_done=reports.append)
    qtbot.wait(600)
    engine.stop.set()
    qtbot.waitUntil(lambda: bool(reports))
    produced = reports[0].files_indexed
    assert produced > 50
    assert len(progress) < produced / 3  # ~10 per second reach the GUI, not one per file


def test_cancel_from_gui_thread_stops_a_job(qtbot, host):
    reports: list[IndexReport] = []
    handle = host.submit("index_library", "lib", on_done=reports.append, on_progress=lambda p: None)
    qtbot.wait(50)
    handle.cancel()
    qtbot.waitUntil(lambda: bool(reports), timeout=5000)
    assert reports[0].cancelled


def test_stale_results_are_dropped(qtbot, host):
    done: list = []
    handle = host.submit("search", "old", on_done=done.append)
    host.drop(handle)
    host.submit("search", "new", on_done=done.append)
    qtbot.waitUntil(lambda: bool(done))
    qtbot.wait(100)
    assert [d.hits for d in done] == [("new",)]


def test_answer_runs_on_its_own_thread_with_coalesced_tokens(qtbot, host):
    engine = host.engines[0]
    progress: list = []
    host.submit("index_library", "lib", on_progress=progress.append, on_done=lambda r: None)
    qtbot.waitUntil(lambda: bool(progress))
    tokens: list[str] = []
    answers: list[Answer] = []
    host.submit("answer", "q", [], on_tokens=tokens.append, on_done=answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)  # while indexing keeps the engine thread busy
    engine.stop.set()
    assert "".join(tokens) == "x" * 200
    assert len(tokens) < 100  # coalesced: far fewer signals than tokens
    assert ("answer", "tansaku-answer") in engine.calls


def test_shutdown_cancels_closes_and_joins(qtbot, host):
    engine = host.engines[0]
    progress: list = []
    host.submit("index_library", "lib", on_progress=progress.append)
    host.submit("answer", "q", [])
    qtbot.waitUntil(lambda: bool(progress))
    assert host.shutdown(timeout_ms=5000)
    assert engine.closed and engine.calls[-1] == ("close", "tansaku-engine")
    assert host._engine_thread.isFinished() and host._answer_thread.isFinished()
    late = host.submit("search", "after")
    assert late.cancelled

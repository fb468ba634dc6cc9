"""LibraryController: libraries and their indexing jobs (queue, pause, cancel, report), as views for the sidebar."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.engine_host import EngineHost, JobFailure, JobHandle
from desktop.i18n import translate
from desktop.words import plural
from engine import ChangeBatch, FolderWatcher, IndexReport, LibraryInfo, Progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LibraryView:
    """One sidebar row. state: queued, indexing, paused, ready, keyword_only, incomplete, waiting, error, new.

    keyword_only: the text is stored and keyword search finds it, but the embedding model is not on this computer
    yet; waiting: not even that, because the index's dimension is unknown without the model.
    """

    path: str
    state: str
    info: LibraryInfo | None = None
    detail: str = ""
    progress: Progress | None = None


@dataclass(frozen=True)
class IndexView:
    """The progress panel's content: the running job and how many wait behind it."""

    library: str
    progress: Progress | None
    paused: bool
    queued: int


class LibraryController(QObject):
    """Adds, indexes, pauses, cancels and removes libraries through the EngineHost.

    Signals:
        libraries_changed(tuple[LibraryView, ...]); progress_changed(IndexView | None);
        indexed(str library, IndexReport); report_ready(str library, tuple[FileOutcome, ...]);
        notice(str); status_stale()

    Libraries are watched (engine.watcher, its own thread): a debounced batch of changes arrives through the queued
    `_changes_arrived` signal and becomes an indexing job for just those paths (or a rescan), queued behind any job
    already running for that library.
    """

    libraries_changed = Signal(object)
    progress_changed = Signal(object)
    indexed = Signal(str, object)
    report_ready = Signal(str, object)
    notice = Signal(str)
    status_stale = Signal()
    _changes_arrived = Signal(object)

    def __init__(self, host: EngineHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._host = host
        self._infos: dict[str, LibraryInfo] = {}
        self._order: list[str] = []
        self._jobs: dict[str, JobHandle] = {}  # in submission order: the first one is running
        self._progress: dict[str, Progress] = {}
        self._errors: dict[str, str] = {}
        self._waiting: list[str] = []  # libraries that cannot be stored before the embedding model is known
        self._keyword_only: dict[str, int] = {}  # library -> files whose text waits for the embedding model
        self._stopped: set[str] = set()  # cancelled runs: shown as incomplete until indexed again
        self._models_ready = False
        self._paused = False
        self._watcher: FolderWatcher | None = None
        self._dirty: dict[str, set[str] | None] = {}  # changes seen while a job ran: paths, or None = rescan
        self._changes_arrived.connect(self._on_changes)

    # -- queries -----------------------------------------------------------------------------------
    def views(self) -> tuple[LibraryView, ...]:
        return tuple(self._view(path) for path in self._order)

    def paths(self) -> tuple[str, ...]:
        return tuple(self._order)

    @property
    def indexing(self) -> bool:
        return bool(self._jobs)

    @property
    def paused(self) -> bool:
        return self._paused and bool(self._jobs)

    def info(self, path: str) -> LibraryInfo | None:
        return self._infos.get(path)

    def _view(self, path: str) -> LibraryView:
        info = self._infos.get(path)
        running = next(iter(self._jobs), None)
        if path in self._jobs:
            state = ("paused" if self._paused else "indexing") if path == running else "queued"
            return LibraryView(path, state, info, progress=self._progress.get(path))
        if path in self._errors:
            return LibraryView(path, "error", info, self._errors[path])
        if path in self._waiting:
            detail = translate(
                "LibraryController", "Keyword search starts once the embedding model is on this computer"
            )
            return LibraryView(path, "waiting", info, detail)
        if path in self._stopped:
            detail = translate("LibraryController", "Stopped; re-index to continue where it left off")
            return LibraryView(path, "incomplete", info, detail)
        if path in self._keyword_only:
            detail = plural(
                self._keyword_only[path],
                translate("LibraryController", "{n} file waits for the embedding model"),
                translate("LibraryController", "{n} files wait for the embedding model"),
            )
            return LibraryView(path, "keyword_only", info, detail)
        if info is None or info.last_indexed is None and info.files == 0:
            return LibraryView(path, "new", info)
        if info.pending:
            detail = plural(
                info.pending,
                translate("LibraryController", "{n} file not indexed yet"),
                translate("LibraryController", "{n} files not indexed yet"),
            )
            return LibraryView(path, "incomplete", info, detail)
        return LibraryView(path, "ready", info)

    def _changed(self) -> None:
        self.libraries_changed.emit(self.views())
        self._emit_progress()

    def _emit_progress(self) -> None:
        running = next(iter(self._jobs), None)
        if running is None:
            self.progress_changed.emit(None)
            return
        view = IndexView(running, self._progress.get(running), self._paused, len(self._jobs) - 1)
        self.progress_changed.emit(view)

    # -- engine snapshot ---------------------------------------------------------------------------
    def set_infos(self, infos: Iterable[LibraryInfo]) -> None:
        infos = tuple(infos)
        self._infos = {i.path: i for i in infos}
        for info in infos:
            self._watch(info.path, info.excludes)
        known = [p for p in self._order if p in self._infos]
        self._order = known + [i.path for i in infos if i.path not in known]
        self._changed()

    def refresh(self) -> None:
        self._host.submit("libraries", on_done=self.set_infos, on_error=self._on_failure_notice)

    def set_models_ready(self, ready: bool) -> None:
        """Once the models are ready every library is brought up to date: text stored earlier gets its vectors."""
        self._models_ready = ready
        if ready:
            self.index_all()

    def index_all(self) -> None:
        """Index every library: with the embedding model when it is on this computer, else text for keyword search."""
        waiting, self._waiting = self._waiting, []
        for path in dict.fromkeys(waiting + self._order):
            self.index(path)

    # -- user actions ------------------------------------------------------------------------------
    def add(self, folders: Iterable[str | Path]) -> int:
        """Add folders as libraries and index them; returns how many were folders."""
        added = 0
        for folder in folders:
            path = Path(folder).expanduser()
            if not path.is_dir():
                self.notice.emit(
                    translate("LibraryController", "Only folders can be added: {path} is not a folder.").format(
                        path=path
                    )
                )
                continue
            added += 1
            self._host.submit("add_library", str(path), on_done=self._on_added, on_error=self._on_failure_notice)
        return added

    def _on_added(self, library: str) -> None:
        if library not in self._order:
            self._order.append(library)
        self._errors.pop(library, None)
        self._changed()
        self.index(library)
        self.refresh()

    def index(self, library: str, *, retry_failed: bool = False, only_paths: frozenset[str] | None = None) -> None:
        if library in self._jobs:
            self._note_dirty(library, only_paths)
            return
        # Not gated on the models: without the embedding model the engine stores text only (keyword search).
        if library in self._waiting:
            self._waiting.remove(library)
        self._errors.pop(library, None)
        self._stopped.discard(library)
        self._jobs[library] = self._host.submit(
            "index_library",
            library,
            retry_failed=retry_failed,
            only_paths=None if only_paths is None else set(only_paths),
            on_done=partial(self._on_indexed, library),
            on_error=partial(self._on_index_failed, library),
            on_progress=partial(self._on_progress, library),
        )
        if self._paused:
            self._jobs[library].pause()
        self._changed()

    def retry_failed(self, library: str) -> None:
        self.index(library, retry_failed=True)

    def remove(self, library: str) -> None:
        self._host.drop(self._jobs.pop(library, None))
        if library in self._waiting:
            self._waiting.remove(library)
        self._host.submit(
            "remove_library",
            library,
            on_done=lambda _result: self._on_removed(library),
            on_error=self._on_failure_notice,
        )
        self._changed()

    def _on_removed(self, library: str) -> None:
        if self._watcher is not None:
            self._watcher.unwatch(library)
        self._dirty.pop(library, None)
        self._infos.pop(library, None)
        self._stopped.discard(library)
        self._keyword_only.pop(library, None)
        self._errors.pop(library, None)
        if library in self._order:
            self._order.remove(library)
        self.notice.emit(translate("LibraryController", "Removed {path} and its index.").format(path=library))
        self._changed()
        self.status_stale.emit()

    def pause(self) -> None:
        self._paused = True
        for handle in self._jobs.values():
            handle.pause()
        self._changed()

    def resume(self) -> None:
        self._paused = False
        for handle in self._jobs.values():
            handle.resume()
        self._changed()

    def cancel(self) -> None:
        """Stop the running and the queued indexing; what is stored so far stays, and re-index continues it."""
        for handle in self._jobs.values():
            handle.cancel()
        self._paused = False
        self._changed()

    def stop_all(self) -> None:
        """Drop every indexing job without waiting for results (settings change, shutdown)."""
        for handle in self._jobs.values():
            self._host.drop(handle)
        self._jobs.clear()
        self._progress.clear()
        self._paused = False
        self._changed()

    def set_excludes(self, library: str, patterns: Iterable[str]) -> None:
        self._host.submit(
            "set_excludes",
            library,
            tuple(patterns),
            on_done=lambda _result: self._after_excludes(library),
            on_error=self._on_failure_notice,
        )

    def _after_excludes(self, library: str) -> None:
        self.refresh()
        self.index(library)

    def request_report(self, library: str) -> None:
        self._host.submit(
            "report",
            library=library,
            on_done=lambda outcomes: self.report_ready.emit(library, tuple(outcomes)),
            on_error=self._on_failure_notice,
        )

    # -- job results -------------------------------------------------------------------------------
    def _on_progress(self, library: str, progress: Progress) -> None:
        self._progress[library] = progress
        self._changed()

    def _finish_job(self, library: str) -> None:
        self._jobs.pop(library, None)
        self._progress.pop(library, None)
        if not self._jobs:
            self._paused = False
        if library in self._dirty:  # files changed while it ran: pick them up now
            self.index(library, only_paths=_frozen(self._dirty.pop(library)))

    # -- watching ----------------------------------------------------------------------------------
    def _watch(self, library: str, excludes: tuple[str, ...] = ()) -> None:
        try:
            if self._watcher is None:
                self._watcher = FolderWatcher(self._changes_arrived.emit)
                self._watcher.start()
            self._watcher.watch(library, excludes)
        except OSError as exc:  # e.g. the inotify watch limit; indexing at start still catches up
            log.warning("cannot watch %s: %s", library, exc)

    def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def _on_changes(self, batch: ChangeBatch) -> None:
        if batch.library not in self._infos:
            return
        only = None if batch.rescan else frozenset(batch.paths)
        self.index(batch.library, only_paths=only)

    def _note_dirty(self, library: str, only_paths: frozenset[str] | None) -> None:
        if library not in self._dirty and only_paths is not None:
            self._dirty[library] = set(only_paths)
        elif only_paths is None or self._dirty.get(library) is None:
            self._dirty[library] = None
        else:
            dirty = self._dirty[library]
            assert dirty is not None  # the branch above took the None case
            dirty.update(only_paths)

    def _on_indexed(self, library: str, report: IndexReport) -> None:
        self._finish_job(library)
        if report.files_awaiting_embedding and not report.cancelled:
            self._keyword_only[library] = report.files_awaiting_embedding
        elif not report.cancelled:
            self._keyword_only.pop(library, None)
        if report.cancelled:
            self._stopped.add(library)
            self.notice.emit(
                translate(
                    "LibraryController", "Indexing of {path} stopped; re-index to continue where it left off."
                ).format(path=library)
            )
        else:
            self.notice.emit(indexed_notice(Path(library).name, report))
        self.indexed.emit(library, report)
        self.refresh()
        self.status_stale.emit()
        self._changed()

    def _on_index_failed(self, library: str, failure: JobFailure) -> None:
        self._finish_job(library)
        if failure.cancelled:
            self._stopped.add(library)
        elif failure.error_type == "ModelLoadError" and not self._models_ready:
            if library not in self._waiting:  # its dimension is unknown without the model: nothing could be stored
                self._waiting.append(library)
        else:
            self._errors[library] = failure.message
        self.refresh()
        self._changed()

    def _on_failure_notice(self, failure: JobFailure) -> None:
        if not failure.cancelled:
            self.notice.emit(failure.message)


def indexed_notice(name: str, report: IndexReport) -> str:
    """The status bar's line when a library has been indexed."""
    if report.files_awaiting_embedding:
        waiting = plural(
            report.files_awaiting_embedding,
            translate("LibraryController", "{n} file waits for the embedding model"),
            translate("LibraryController", "{n} files wait for the embedding model"),
        )
        return translate("LibraryController", "{name}: keyword search ready; {waiting}.").format(
            name=name, waiting=waiting
        )
    indexed, unchanged = f"{report.files_indexed:,}", f"{report.files_unchanged:,}"
    if report.files_failed:
        return translate(
            "LibraryController", "{name}: {indexed} indexed, {unchanged} unchanged, {failed} failed."
        ).format(name=name, indexed=indexed, unchanged=unchanged, failed=f"{report.files_failed:,}")
    return translate("LibraryController", "{name}: {indexed} indexed, {unchanged} unchanged.").format(
        name=name, indexed=indexed, unchanged=unchanged
    )


def _frozen(paths: set[str] | None) -> frozenset[str] | None:
    return None if paths is None else frozenset(paths)

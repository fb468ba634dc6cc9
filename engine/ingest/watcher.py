"""Watches library folders (watchdog) and reports debounced batches of changed paths per library.

A checkout touching 1,000 files arrives as one batch: events are collected until the folder has been quiet for
`debounce_s` (or `max_wait_s` passed), and a batch with too many paths, or any folder move/delete, asks for a full
rescan instead — the indexer's diff against the manifest is cheap for unchanged files.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers.api import ObservedWatch

from engine.ingest.walker import is_excluded


@dataclass(frozen=True)
class ChangeBatch:
    """Paths that changed under one library; `rescan` means re-diff the whole library."""

    library: str
    paths: frozenset[str]
    rescan: bool


OnChanges = Callable[[ChangeBatch], None]


class _Pending:
    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.rescan = False
        self.first = 0.0
        self.last = 0.0


class FolderWatcher:
    """Call `watch(library, excludes)` per library, then `start()`; `on_changes` runs on the watcher's thread."""

    def __init__(
        self, on_changes: OnChanges, *, debounce_s: float = 1.0, max_wait_s: float = 10.0, max_paths: int = 500
    ) -> None:
        from watchdog.observers import Observer

        self._on_changes = on_changes
        self._debounce_s = debounce_s
        self._max_wait_s = max_wait_s
        self._max_paths = max_paths
        self._observer = Observer()
        self._watches: dict[str, ObservedWatch] = {}
        self._excludes: dict[str, tuple[str, ...]] = {}
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="tansaku-watch", daemon=True)

    def start(self) -> None:
        self._observer.start()
        self._flusher.start()

    def stop(self) -> None:
        self._stop.set()
        self._observer.stop()
        self._observer.join(timeout=5)
        if self._flusher.is_alive():
            self._flusher.join(timeout=5)

    def watch(self, library: str, excludes: tuple[str, ...] = ()) -> None:
        self._excludes[library] = excludes
        if library in self._watches or not Path(library).is_dir():
            return
        self._watches[library] = self._observer.schedule(_Handler(self, library), library, recursive=True)

    def unwatch(self, library: str) -> None:
        watch = self._watches.pop(library, None)
        if watch is not None:
            self._observer.unschedule(watch)
        with self._lock:
            self._pending.pop(library, None)

    @property
    def libraries(self) -> list[str]:
        return list(self._watches)

    # -- called from watchdog's thread ----------------------------------------------------------
    def _record(self, library: str, paths: tuple[str, ...], rescan: bool) -> None:
        root = Path(library)
        relevant = [p for p in paths if not is_excluded(root, Path(p), self._excludes.get(library, ()))]
        if not relevant and not rescan:
            return
        now = time.monotonic()
        with self._lock:
            pending = self._pending.setdefault(library, _Pending())
            if not pending.first:
                pending.first = now
            pending.last = now
            pending.paths.update(relevant)
            pending.rescan = pending.rescan or rescan or len(pending.paths) > self._max_paths

    def _flush_loop(self) -> None:
        while not self._stop.wait(0.2):
            for batch in self._due():
                try:
                    self._on_changes(batch)
                except Exception:  # noqa: BLE001 - a failing consumer must not kill the watcher
                    pass

    def _due(self) -> list[ChangeBatch]:
        now = time.monotonic()
        due = []
        with self._lock:
            for library, p in list(self._pending.items()):
                if now - p.last >= self._debounce_s or now - p.first >= self._max_wait_s:
                    due.append(ChangeBatch(library, frozenset(p.paths), p.rescan))
                    del self._pending[library]
        return due


class _Handler(FileSystemEventHandler):
    """Turns watchdog events into recorded paths for one library."""

    def __init__(self, watcher: FolderWatcher, library: str) -> None:
        super().__init__()
        self._watcher = watcher
        self._library = library

    def on_any_event(self, event) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [str(event.src_path)]
        dest = getattr(event, "dest_path", "")
        if dest:
            paths.append(str(dest))
        folder_gone = event.is_directory and event.event_type in ("moved", "deleted")
        folder_new = event.is_directory and event.event_type == "created"
        if event.is_directory and not (folder_gone or folder_new):
            return  # a folder's mtime changed: the file events say what matters
        self._watcher._record(self._library, tuple(paths), rescan=folder_gone or folder_new)

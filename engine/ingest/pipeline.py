"""One indexing run as a bounded pipeline: files are read, their text stored and their chunks embedded at once.

Threads: loader threads read, parse and chunk files (Indexer.loaded_stream, driven by a feeder thread); the embedding
thread (EmbedWorker) runs the model; the calling thread (the engine thread) makes every store and manifest call and
the progress callback — Milvus clients are not assumed thread-safe, so they stay on one thread. In order, per file:
its text rows are stored (BM25 finds them from then on) and the manifest says `embedding`; its vectors are written as
batches come back; the manifest says `indexed` once its last row has a vector. Chunks go to the embedder as soon as
they are read, before their text is stored: vectors are only written after the text rows, so the order in the store
is unchanged, and a crash at any point leaves rows that the next run embeds without reading the file again.

Bounds: loaded files waiting here (FILES_AHEAD, plus the loaders' own prefetch), chunks in the embedder (two
windows), chunk texts kept for the embedder (HOT_CHUNKS; beyond that only ids, the text is read back from the store
when its turn comes): memory stays flat however many files a library has, while text storing runs ahead freely.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from engine.cancel import CancelToken
from engine.ingest.chunk_rows import ID_PREFIX, file_prefix
from engine.ingest.embed_worker import Embedded, EmbedWorker, Failed
from engine.ingest.run_state import Loaded, Run
from engine.types import Chunk, FileOutcome, Progress

if TYPE_CHECKING:
    from engine.ingest.indexer import Indexer

GROUP_CHUNKS = 64  # text rows stored per store call (fewer, larger writes)
GROUP_WAIT_S = 0.5  # ...but a group waits no longer than this for more files: keyword search should not lag
FILES_AHEAD = 8
HOT_CHUNKS = 1024
POLL_S = 0.1


@dataclass
class _Pending:
    """Rows waiting for the embedder: one file's chunks, or only their ids (the text is read back when due)."""

    path: str | None  # None: rows whose file the manifest does not know as `embedding` (they are embedded anyway)
    ids: list[str]
    chunks: list[Chunk] | None


@dataclass(frozen=True)
class _FileLoaded:
    loaded: Loaded


class _FilesDone:
    """Every file of the run has been loaded."""


class Pipeline:
    """Runs one library's changed files (and rows left without vectors by earlier runs) through the stages."""

    def __init__(self, indexer: Indexer, run: Run, cancel: CancelToken, notify: Callable[[Progress], None]) -> None:
        self.ix = indexer
        self.store = indexer.store
        self.manifest = indexer.manifest
        self.collection = indexer.collection
        self.run = run
        self.cancel = cancel
        self.notify = notify
        self.inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self.room = threading.Semaphore(FILES_AHEAD)
        self.stop = threading.Event()
        self.group: list[Loaded] = []
        self.group_chunks = 0
        self.group_since = 0.0
        self.backlog: deque[_Pending] = deque()
        self.backlog_n = 0  # chunks in the backlog
        self.hot = 0  # of which held in memory
        self.in_flight = 0  # chunks handed to the embedder whose vectors are not written yet
        self.left: dict[str, int] = {}  # path -> its rows without a written vector
        self.files: dict[str, FileOutcome] = {}  # `embedding` files that turn `indexed` when their rows are done
        self.files_loaded = False
        self.due = True  # a progress report is owed
        self.window = max(GROUP_CHUNKS, 4 * indexer.config.embed_batch_size)
        self.worker: EmbedWorker | None = None
        if indexer.embedder is not None:
            size = indexer.config.embed_batch_size
            self.worker = EmbedWorker(indexer.embedder, size, cancel, self.inbox.put, run.clock)

    # -- the loop (calling thread) ----------------------------------------------------------------
    def execute(self, todo: list[FileOutcome]) -> None:
        if self.worker is not None:
            self._queue_leftovers(todo)
            self.worker.start()
        feeder = threading.Thread(target=self._feed, args=(todo,), name="tansaku-feed", daemon=True)
        feeder.start()
        try:
            while True:
                self.cancel.raise_if_cancelled()
                self._store_group_if_due()
                self._feed_embedder()
                if self.files_loaded and not self.group and not self.backlog and self.in_flight == 0:
                    break
                self._maybe_notify()
                self._handle(self._next_event())
            self._finish_files(final=True)
            with self.run.clock.time("vector_store"):
                self.store.flush(force=True)
        finally:
            self.stop.set()
            if self.worker is not None:
                self.worker.stop()  # waits for its batch: the caller may use the model once we return

    def _next_event(self) -> object | None:
        try:
            return self.inbox.get(timeout=POLL_S)
        except queue.Empty:
            return None

    def _handle(self, event: object | None) -> None:
        if isinstance(event, _FileLoaded):
            self.room.release()
            self._take_file(event.loaded)
        elif isinstance(event, Embedded):
            self._write(event)
        elif isinstance(event, _FilesDone):
            self.files_loaded = True
            self.due = True
        elif isinstance(event, Failed):
            raise event.error

    @property
    def phase(self) -> str:
        text_done = self.files_loaded and not self.group
        return "embedding" if text_done and self.worker is not None else "storing"

    def _maybe_notify(self) -> None:
        """Report progress when the model is free: the callback may serve a search that embeds a query."""
        if not self.due:
            return
        floor = self.worker.floor if self.worker is not None else None
        if floor is not None and not floor.try_hold():
            return  # asked for: the embedder pauses after its batch, whose result wakes this loop
        try:
            self.notify(self.run.progress(self.phase))
        finally:
            if floor is not None:
                floor.release()
        self.due = False

    # -- loading (feeder thread) ----------------------------------------------------------------
    def _feed(self, todo: list[FileOutcome]) -> None:
        try:
            with contextlib.closing(self.ix.loaded_stream(todo, self.run, self.cancel)) as stream:
                for loaded in stream:
                    while not self.room.acquire(timeout=POLL_S):
                        if self.stop.is_set():
                            return
                    if self.stop.is_set():
                        return
                    self.inbox.put(_FileLoaded(loaded))
            self.inbox.put(_FilesDone())
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread, which raises it
            self.inbox.put(Failed(exc))

    # -- text -------------------------------------------------------------------------------------
    def _take_file(self, loaded: Loaded) -> None:
        self.run.current = loaded.outcome.path
        self.due = True
        if loaded.outcome.status != "indexed":
            self._store_outcome(loaded.outcome)
            return
        if self.worker is not None:  # to the embedder at once: it need not wait for the text rows
            path, n = loaded.outcome.path, len(loaded.chunks)
            self.left[path] = n
            self._push(_Pending(path, [c.id for c in loaded.chunks], list(loaded.chunks)))
        if not self.group:
            self.group_since = time.monotonic()
        self.group.append(loaded)
        self.group_chunks += len(loaded.chunks)
        if self.group_chunks >= GROUP_CHUNKS:
            self._store_group()

    def _store_group_if_due(self) -> None:
        if self.group and (self.files_loaded or time.monotonic() - self.group_since >= GROUP_WAIT_S):
            self._store_group()

    def _store_group(self) -> None:
        """Replace the group's chunks with text-only rows: searchable by BM25 from now on."""
        group, self.group, self.group_chunks = self.group, [], 0
        clock = self.run.clock
        with clock.time("manifest"):
            self.manifest.put_many(self.collection, (replace(g.outcome, status="pending", chunks=0) for g in group))
        with clock.time("text_store"):
            for loaded in group:
                self.store.delete_file(loaded.outcome.path)
            self.store.insert_chunks([c for g in group for c in g.chunks], None)
            self.store.flush()
        stored = [replace(g.outcome, status="embedding") for g in group]
        with clock.time("manifest"):
            self.manifest.put_many(self.collection, stored)
        if self.worker is None:  # nothing more happens to them in this run
            self.run.files_done += len(group)
        else:
            self.files.update((o.path, o) for o in stored)
        self.due = True

    def _store_outcome(self, outcome: FileOutcome) -> None:
        """A file with no chunks (skipped, failed, or gone): drop any old chunks, record why."""
        run = self.run
        with run.clock.time("manifest"):
            known = self.manifest.files(self.collection, run.library).get(outcome.path)
        if known is not None and known.chunks:
            with run.clock.time("manifest"):
                self.manifest.put(self.collection, replace(known, status="pending"))
            with run.clock.time("text_store"):
                self.store.delete_file(outcome.path)
        with run.clock.time("manifest"):
            if outcome.status == "gone":
                self.manifest.delete(self.collection, outcome.path)
            else:
                self.manifest.put(self.collection, outcome)
        if outcome.status == "gone":
            run.removed += 1
        elif outcome.status == "skipped":
            run.skipped += 1
        else:
            run.failed += 1
        run.files_done += 1

    # -- embedding --------------------------------------------------------------------------------
    def _queue_leftovers(self, todo: list[FileOutcome]) -> None:
        """Rows an earlier run stored without vectors (text-first, cancel, crash): embedded first, read from the store.

        Rows of files this run reads again are left out: storing a file's text replaces them.
        """
        run = self.run
        with run.clock.time("text_store"):
            ids = sorted(self.store.unembedded_ids(run.library))
        with run.clock.time("manifest"):
            known = self.manifest.files(self.collection, run.library)
        redo = {file_prefix(o.path) for o in todo}
        self.files = {p: o for p, o in known.items() if o.status == "embedding" and file_prefix(p) not in redo}
        by_prefix = {file_prefix(p): p for p in self.files}
        for prefix, rows in itertools.groupby(ids, key=lambda i: i[:ID_PREFIX]):
            if prefix in redo:
                continue
            row_ids = list(rows)
            path = by_prefix.get(prefix)
            if path is not None:
                self.left[path] = len(row_ids)
            self._push(_Pending(path, row_ids, None))
        run.files_total += len(self.files)

    def _push(self, item: _Pending) -> None:
        n = len(item.ids)
        if item.chunks is not None and self.hot + n > HOT_CHUNKS:
            item.chunks = None  # too much text waiting: keep the ids, read the text back when its turn comes
        self.hot += n if item.chunks is not None else 0
        self.backlog.append(item)
        self.backlog_n += n
        self.run.chunks_total += n

    def _feed_embedder(self) -> None:
        """Keep up to two windows in the embedder; a partial window goes only when the embedder would idle."""
        worker = self.worker
        while worker is not None and self.backlog and self.in_flight < self.window:
            if self.backlog_n < self.window and self.in_flight > 0 and not self.files_loaded:
                return
            window = self._take_window()
            if window:
                worker.submit(window)
                self.in_flight += len(window)

    def _take_window(self) -> list[Chunk]:
        chunks: list[Chunk] = []
        cold: list[str] = []
        need = self.window
        while self.backlog and need > 0:
            item = self.backlog[0]
            take = min(need, len(item.ids))
            if item.chunks is not None:
                chunks.extend(item.chunks[:take])
                item.chunks = item.chunks[take:]
                self.hot -= take
            else:
                cold.extend(item.ids[:take])
            item.ids = item.ids[take:]
            if not item.ids:
                self.backlog.popleft()
            need -= take
            self.backlog_n -= take
        if cold:
            if self.group:  # their text may be in it: rows must be stored before they are read back
                self._store_group()
            with self.run.clock.time("text_store"):
                chunks.extend(self.store.chunks_by_ids(cold))
        return chunks

    def _write(self, done: Embedded) -> None:
        """Store a batch's vectors, then mark files whose last row now has one as indexed."""
        if self.group and not {c.path for c in done.chunks}.isdisjoint(g.outcome.path for g in self.group):
            self._store_group()  # a vector needs its text row first
        with self.run.clock.time("vector_store"):
            self.store.set_vectors([c.id for c in done.chunks], done.vectors)
            self.store.flush()
        n = len(done.chunks)
        self.in_flight -= n
        self.run.chunks += n
        self.run.tokens += done.tokens
        self.run.current = done.chunks[-1].path
        for chunk in done.chunks:
            if chunk.path in self.left:
                self.left[chunk.path] -= 1
        self._finish_files()
        self.due = True

    def _finish_files(self, final: bool = False) -> None:
        """Mark files whose rows all have vectors as indexed (at the end also those an earlier run left complete)."""
        done = [p for p, n in self.left.items() if n == 0 and p in self.files]
        outcomes = []
        for path in done:
            del self.left[path]
            outcomes.append(replace(self.files.pop(path), status="indexed"))
        if final:  # every row is written: an `embedding` file without rows left to embed is complete
            outcomes.extend(replace(o, status="indexed") for p, o in self.files.items() if not self.left.get(p))
            self.files = {p: o for p, o in self.files.items() if self.left.get(p)}
        if outcomes:
            with self.run.clock.time("manifest"):
                self.manifest.put_many(self.collection, outcomes)
            self.run.indexed += len(outcomes)
            self.run.files_done += len(outcomes)

"""Walk -> diff against the manifest -> load -> chunk -> store text -> embed, with progress, cancel and crash safety.

Two phases. First every changed file's chunks are stored without vectors (loading and chunking run ahead on a small
thread pool), so keyword (BM25) search finds a file seconds after it is read. Then the library's rows that still lack
a vector are embedded in explicit, length-sorted batches and their vectors written batch by batch.

Crash safety: a file is `pending` while its old chunks are replaced and its text stored, `embedding` once its text
rows are complete, and `indexed` when every row has its vector. A crash in the first phase leaves `pending` files
that are redone from scratch; in the second, `embedding` files whose remaining rows are embedded on the next run —
so nothing is embedded twice and the store always converges to a clean index.
"""

from __future__ import annotations

import hashlib
import os
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from engine.cancel import CancelToken
from engine.config import EngineConfig
from engine.errors import Cancelled, LoaderError, SkipFile
from engine.ingest.approx_tokens import ApproxTokenCounter
from engine.ingest.chunking import TokenCounter, chunk_document
from engine.ingest.loaders import is_supported, load_document
from engine.ingest.manifest import UNKNOWN_SIZE, Manifest
from engine.ingest.stage_clock import StageClock
from engine.ingest.walker import walk_files
from engine.types import Chunk, FileOutcome, IndexReport, Progress

ProgressFn = Callable[[Progress], None]
PREFETCH_FILES = 4
GROUP_CHUNKS = 64


def chunk_id(path: str, chunk_no: int) -> str:
    """Stable id for (path, chunk number): re-indexing the same content yields the same ids."""
    return f"{hashlib.sha1(path.encode('utf-8', 'surrogatepass')).hexdigest()[:24]}-{chunk_no:06d}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def embedding_text(chunk: Chunk) -> str:
    """What the embedder sees: file name and heading trail give a short chunk its context."""
    label = Path(chunk.path).name
    if chunk.headings:
        label += " — " + " > ".join(chunk.headings)
    return f"{label}\n{chunk.text}"


@dataclass
class _Loaded:
    """A file after loading and chunking on a worker thread."""

    outcome: FileOutcome
    chunks: list[Chunk] = field(default_factory=list)


@dataclass
class _Run:
    """Mutable counters of one run, turned into Progress and IndexReport snapshots."""

    library: str
    started: float = field(default_factory=time.monotonic)
    files_total: int = 0
    files_done: int = 0
    chunks: int = 0
    chunks_total: int = 0
    tokens: int = 0
    indexed: int = 0
    unchanged: int = 0
    seen: int = 0  # files of the library on disk that this run looked at
    skipped: int = 0
    failed: int = 0
    removed: int = 0
    current: str = ""
    clock: StageClock = field(default_factory=StageClock)

    def progress(self, phase: str) -> Progress:
        return Progress(
            library=self.library,
            phase=phase,
            files_total=self.files_total,
            files_done=self.files_done,
            chunks_done=self.chunks,
            chunks_total=self.chunks_total,
            tokens_done=self.tokens,
            current_file=self.current,
            elapsed_s=time.monotonic() - self.started,
        )

    def report(self, cancelled: bool, awaiting: int = 0) -> IndexReport:
        return IndexReport(
            library=self.library,
            files_seen=self.seen,
            files_indexed=self.indexed,
            files_unchanged=self.unchanged,
            files_skipped=self.skipped,
            files_failed=self.failed,
            files_removed=self.removed,
            chunks_embedded=self.chunks,
            tokens_embedded=self.tokens,
            elapsed_s=time.monotonic() - self.started,
            cancelled=cancelled,
            files_awaiting_embedding=awaiting,
            stages=self.clock.snapshot(),
        )


UNDECODABLE_NAME = "file name is not valid UTF-8 (a legacy encoding such as Shift_JIS): rename the file to index it"


def _storable(path: str) -> str:
    """The path as the manifest and the store can hold it: bytes of a name that is not UTF-8 (os.fsdecode gives
    them as lone surrogates, which SQLite and Milvus refuse) are written as \\xNN escapes."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


def _nfc(path: str) -> str:
    return unicodedata.normalize("NFC", path)


class CountingTokenizer(TokenCounter, Protocol):
    """The embedder's token counter: token spans for chunking, and a count for the tokens/s figure."""

    def count(self, text: str) -> int: ...


class Indexer:
    """Brings one library's chunks in the store up to date with its folder.

    Without an embedder (None: its model is not on this machine yet) only the first phase runs: text is chunked by
    an approximate counter and stored for keyword search, and the files stay `embedding` until a later run with the
    embedder gives their rows vectors (unchanged files are not read again for that).
    """

    def __init__(self, config: EngineConfig, manifest: Manifest, store, embedder, collection: str) -> None:
        self.config = config
        self.manifest = manifest
        self.store = store
        self.embedder = embedder
        self.collection = collection
        self._counter: CountingTokenizer | None = None

    # -- public -------------------------------------------------------------------------------
    def index_library(
        self,
        library: str,
        *,
        cancel: CancelToken | None = None,
        on_progress: ProgressFn | None = None,
        retry_failed: bool = False,
        only_paths: set[str] | None = None,
    ) -> IndexReport:
        cancel = cancel or CancelToken()
        notify = on_progress or (lambda _p: None)
        run = _Run(library)
        notify(run.progress("scanning"))
        root = Path(library)
        if not root.is_dir():
            raise LoaderError(f"The library folder {library} is missing or not a folder; its index is kept.")
        todo, removed = self._diff(root, run, retry_failed, only_paths)
        self._remove(removed, run)
        run.files_total = len(todo)
        try:
            self._process(todo, run, cancel, notify)
        except Cancelled:
            notify(run.progress("cancelled"))
            return run.report(cancelled=True)
        if only_paths is None:
            self.manifest.mark_library_indexed(library)
        run.current = ""
        notify(run.progress("done"))
        return run.report(cancelled=False, awaiting=self._awaiting(library))

    def _awaiting(self, library: str) -> int:
        """Files whose text is stored but whose rows still wait for vectors (none once the embedder has run)."""
        if self.embedder is not None:
            return 0
        return sum(1 for o in self.manifest.files(self.collection, library).values() if o.status == "embedding")

    # -- diff ---------------------------------------------------------------------------------
    def _diff(
        self, root: Path, run: _Run, retry_failed: bool, only_paths: set[str] | None
    ) -> tuple[list[FileOutcome], list[str]]:
        """Files needing work (as outcomes carrying their new stat), and known paths gone from disk."""
        library = run.library
        known = self.manifest.files(self.collection, library)
        excludes = self.manifest.get_excludes(library) + tuple(self.config.excludes)
        on_disk: dict[str, Path] = {_storable(str(p)): p for p in walk_files(root, excludes)}
        # Files are known by their names as listed on disk; a changed path reported in another Unicode normalisation
        # (macOS hands out decomposed names, a watcher or a user may use composed ones) still means the same file.
        only = None if only_paths is None else {_nfc(p) for p in only_paths}
        todo: list[FileOutcome] = []
        for path_str, path in on_disk.items():
            if only is not None and _nfc(path_str) not in only:
                continue
            fresh = self._stat_outcome(path_str, path, library)
            if path_str != str(path) and fresh.status != "failed":
                fresh = replace(fresh, status="skipped", reason=UNDECODABLE_NAME)
            old = known.get(path_str)
            run.seen += 1
            if old is not None and self._unchanged(old, fresh, path, retry_failed):
                # Text stored by an earlier run still waits for vectors: not read again, but not "unchanged" work
                # either, since this run may embed it (it then counts as indexed).
                run.unchanged += old.status != "embedding"
                continue
            todo.append(fresh)
        removed = [p for p in known if p not in on_disk and (only is None or _nfc(p) in only)]
        return todo, removed

    @staticmethod
    def _stat_outcome(path_str: str, path: Path, library: str) -> FileOutcome:
        try:
            st = path.stat()
        except OSError:
            try:  # a broken link or a loop: the loader words the reason
                st = path.lstat()
            except OSError as exc:
                return FileOutcome(path_str, library, "failed", f"cannot read file information: {exc.strerror}")
        return FileOutcome(path_str, library, "pending", size=st.st_size, mtime_ns=st.st_mtime_ns)

    def _unchanged(self, old: FileOutcome, fresh: FileOutcome, path: Path, retry_failed: bool) -> bool:
        if old.status == "pending" or (old.status == "failed" and retry_failed):
            return False
        if old.size == fresh.size and old.mtime_ns == fresh.mtime_ns:
            return True
        recovered = old.size == UNKNOWN_SIZE and old.status in ("indexed", "embedding")  # rebuilt from the store
        if not recovered and (old.status != "indexed" or old.size != fresh.size):
            return False
        if not old.sha256:
            return False
        try:  # touched (or recovered) but identical content: refresh the stat, keep the chunks
            same = file_sha256(path) == old.sha256
        except OSError:
            return False
        if same:
            self.manifest.put(self.collection, replace(old, size=fresh.size, mtime_ns=fresh.mtime_ns))
        return same

    def _remove(self, paths: list[str], run: _Run) -> None:
        for path in paths:
            self.store.delete_file(path)
            run.removed += 1
        if paths:
            self.store.flush()
            for path in paths:
                self.manifest.delete(self.collection, path)

    # -- load + chunk (worker threads) ----------------------------------------------------------
    def _load(self, pending: FileOutcome, counter) -> _Loaded:
        if pending.status in ("failed", "skipped"):
            return _Loaded(pending)
        path = Path(pending.path)
        try:
            if not is_supported(path):
                raise SkipFile(f"unsupported file type ({path.suffix or 'no extension'})")
            doc = load_document(path, max_bytes=self.config.max_file_bytes)
            sha = file_sha256(path)
            spans = chunk_document(
                doc,
                counter,
                max_tokens=self.config.chunk_tokens,
                overlap_tokens=self.config.chunk_overlap_tokens,
            )
        except SkipFile as exc:
            return _Loaded(replace(pending, status="skipped", reason=str(exc)))
        except LoaderError as exc:
            if not os.path.lexists(path):  # deleted while indexing, or its folder removed
                return _Loaded(replace(pending, status="gone", reason="deleted while indexing"))
            return _Loaded(replace(pending, status="failed", reason=str(exc)))
        except FileNotFoundError:
            return _Loaded(replace(pending, status="gone", reason="deleted while indexing"))
        except OSError as exc:
            return _Loaded(replace(pending, status="failed", reason=f"cannot read file: {exc.strerror or exc}"))
        except Exception as exc:  # noqa: BLE001 - one bad file must never stop a run
            return _Loaded(replace(pending, status="failed", reason=f"unexpected error: {type(exc).__name__}: {exc}"))
        if not spans:
            return _Loaded(replace(pending, status="skipped", reason="no text to index", sha256=sha))
        chunks = [
            Chunk(
                id=chunk_id(pending.path, n),
                library=pending.library,
                path=pending.path,
                chunk_no=n,
                text=span.text,
                char_start=span.char_start,
                char_end=span.char_end,
                page=span.page,
                headings=tuple(span.headings),
                file_sha256=sha,
            )
            for n, span in enumerate(spans)
        ]
        # An indexed file's reason carries what its loader had to repair or give up to read it, if anything.
        reason = "; ".join(doc.notes)
        return _Loaded(replace(pending, status="indexed", reason=reason, sha256=sha, chunks=len(chunks)), chunks)

    def _timed_load(self, pending: FileOutcome, counter, clock: StageClock) -> _Loaded:
        with clock.time("read"):
            return self._load(pending, counter)

    def _loaded_stream(self, todo: list[FileOutcome], run: _Run, cancel: CancelToken) -> Iterator[_Loaded]:
        """Yield loaded files in order, loading up to PREFETCH_FILES ahead on worker threads."""
        counter = self.embedder.token_counter() if self.embedder is not None else ApproxTokenCounter()
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tansaku-load")
        futures: list[tuple[FileOutcome, Future]] = []
        try:
            index = 0
            while index < len(todo) or futures:
                while index < len(todo) and len(futures) < PREFETCH_FILES:
                    futures.append((todo[index], pool.submit(self._timed_load, todo[index], counter, run.clock)))
                    index += 1
                pending, future = futures.pop(0)
                cancel.raise_if_cancelled()
                yield self._result(pending, future)
        finally:
            for _pending, future in futures:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)

    def _result(self, pending: FileOutcome, future: Future) -> _Loaded:
        try:
            return future.result(timeout=self.config.file_timeout_s)
        except FutureTimeout:
            reason = f"took longer than {self.config.file_timeout_s:.0f} s to read; skipped"
            return _Loaded(replace(pending, status="failed", reason=reason))

    # -- phase 1: store text ------------------------------------------------------------------
    def _process(self, todo: list[FileOutcome], run: _Run, cancel: CancelToken, notify: ProgressFn) -> None:
        group: list[_Loaded] = []
        for loaded in self._loaded_stream(todo, run, cancel):
            run.current = loaded.outcome.path
            if loaded.outcome.status == "indexed":
                group.append(loaded)
                if sum(len(g.chunks) for g in group) >= GROUP_CHUNKS:
                    self._store_text(group, run)
                    group = []
            else:
                self._store_outcome(loaded.outcome, run)
            notify(run.progress("storing"))
        if group:
            self._store_text(group, run)
        if self.embedder is not None:
            self._embed_pending(run, cancel, notify)

    def _store_outcome(self, outcome: FileOutcome, run: _Run) -> None:
        """A file with no chunks (skipped, failed, or gone): drop any old chunks, record why."""
        known = self.manifest.files(self.collection, run.library).get(outcome.path)
        if known is not None and known.chunks:
            self.manifest.put(self.collection, replace(known, status="pending"))
            self.store.delete_file(outcome.path)
        if outcome.status == "gone":
            self.manifest.delete(self.collection, outcome.path)
            run.removed += 1
        else:
            self.manifest.put(self.collection, outcome)
            if outcome.status == "skipped":
                run.skipped += 1
            else:
                run.failed += 1
        run.files_done += 1

    def _store_text(self, group: list[_Loaded], run: _Run) -> None:
        """Replace the group's chunks with text-only rows: searchable by BM25 from now on."""
        with run.clock.time("manifest"):
            self.manifest.put_many(self.collection, (replace(g.outcome, status="pending", chunks=0) for g in group))
        with run.clock.time("text_store"):
            for loaded in group:
                self.store.delete_file(loaded.outcome.path)
            self.store.insert_chunks([c for g in group for c in g.chunks], None)
            self.store.flush()
        with run.clock.time("manifest"):
            self.manifest.put_many(self.collection, (replace(g.outcome, status="embedding") for g in group))
        if self.embedder is None:  # nothing more happens to them in this run
            run.files_done += len(group)

    # -- phase 2: embed -----------------------------------------------------------------------
    def _embed_pending(self, run: _Run, cancel: CancelToken, notify: ProgressFn) -> None:
        """Embed every row of the library that has no vector yet; files turn `indexed` as their last row lands."""
        with run.clock.time("text_store"):
            ids = sorted(self.store.unembedded_ids(run.library))
        with run.clock.time("manifest"):
            files = self.manifest.files(self.collection, run.library)
        files = {path: o for path, o in files.items() if o.status == "embedding"}
        run.chunks_total = len(ids)
        run.files_total = run.files_done + len(files)
        left: dict[str, int] = {}
        window = max(GROUP_CHUNKS, 4 * self.config.embed_batch_size)
        for start in range(0, len(ids), window):
            cancel.raise_if_cancelled()
            with run.clock.time("text_store"):
                chunks = self.store.chunks_by_ids(ids[start : start + window])
            for chunk in chunks:
                left[chunk.path] = left.get(chunk.path, 0) + 1
            self._embed_window(chunks, left, files, run, cancel, notify)
        self._finish_files(files, left, run, final=True)
        with run.clock.time("vector_store"):
            self.store.flush(force=True)

    def _embed_window(
        self,
        chunks: list[Chunk],
        left: dict[str, int],
        files: dict[str, FileOutcome],
        run: _Run,
        cancel: CancelToken,
        notify: ProgressFn,
    ) -> None:
        texts = [embedding_text(c) for c in chunks]
        order = sorted(range(len(chunks)), key=lambda i: len(texts[i]))
        step = max(1, self.config.embed_batch_size)
        for start in range(0, len(order), step):
            cancel.raise_if_cancelled()
            batch = order[start : start + step]
            run.current = chunks[batch[-1]].path
            with run.clock.time("embed"):
                vectors = self.embedder.embed_documents([texts[i] for i in batch], cancel=cancel)
            with run.clock.time("vector_store"):
                self.store.set_vectors([chunks[i].id for i in batch], vectors)
                self.store.flush()
            run.chunks += len(batch)
            run.tokens += sum(self._count(chunks[i].text) for i in batch)
            for i in batch:
                left[chunks[i].path] -= 1
            self._finish_files(files, left, run)
            notify(run.progress("embedding"))

    def _finish_files(
        self, files: dict[str, FileOutcome], left: dict[str, int], run: _Run, final: bool = False
    ) -> None:
        """Mark files whose rows all have vectors as indexed (also those left over from an earlier run)."""
        done = [p for p, n in left.items() if n == 0]
        outcomes = []
        for path in done:
            del left[path]
            outcome = files.pop(path, None)
            if outcome is not None:
                outcomes.append(replace(outcome, status="indexed"))
        if final:  # every unembedded row is done: files still 'embedding' had none left
            outcomes.extend(replace(o, status="indexed") for o in files.values())
            files.clear()
        if outcomes:
            with run.clock.time("manifest"):
                self.manifest.put_many(self.collection, outcomes)
            run.indexed += len(outcomes)
            run.files_done += len(outcomes)

    def _count(self, text: str) -> int:
        if self._counter is None:
            self._counter = self.embedder.token_counter()
        return self._counter.count(text)

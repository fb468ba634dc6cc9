"""Walk -> diff against the manifest -> load -> chunk -> store text -> embed, with progress, cancel and crash safety.

The indexer finds the files that changed and removes the gone ones; engine/ingest/pipeline.py then runs the rest as
one bounded pipeline (read, store text, embed, store vectors at once), so keyword (BM25) search finds a file seconds
after it is read while the model embeds the files before it.

Crash safety: a file is `pending` while its old chunks are replaced and its text stored, `embedding` once its text
rows are complete, and `indexed` when every row has its vector. A crash while storing text leaves `pending` files
that are redone from scratch; later, `embedding` files whose remaining rows are embedded on the next run —
so nothing is embedded twice and the store always converges to a clean index.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from pathlib import Path

from engine.cancel import CancelToken
from engine.config import EngineConfig
from engine.errors import Cancelled, LoaderError, SkipFile
from engine.ingest.approx_tokens import ApproxTokenCounter
from engine.ingest.chunk_rows import chunk_id, embedding_text
from engine.ingest.chunking import chunk_document
from engine.ingest.loaders import is_supported, load_document
from engine.ingest.manifest import UNKNOWN_SIZE, Manifest
from engine.ingest.pipeline import Pipeline
from engine.ingest.run_state import Loaded, Run
from engine.ingest.stage_clock import StageClock
from engine.ingest.walker import walk_files
from engine.types import Chunk, FileOutcome, IndexReport, Progress

__all__ = ["Indexer", "chunk_id", "embedding_text", "file_sha256"]

ProgressFn = Callable[[Progress], None]
PREFETCH_FILES = 4
LOADER_THREADS = 2


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


class Indexer:
    """Brings one library's chunks in the store up to date with its folder.

    Without an embedder (None: its model is not on this machine yet) text is only chunked by an approximate counter
    and stored for keyword search, and the files stay `embedding` until a later run with the embedder gives their rows
    vectors (unchanged files are not read again for that).
    """

    def __init__(self, config: EngineConfig, manifest: Manifest, store, embedder, collection: str) -> None:
        self.config = config
        self.manifest = manifest
        self.store = store
        self.embedder = embedder
        self.collection = collection

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
        run = Run(library)
        notify(run.progress("scanning"))
        root = Path(library)
        if not root.is_dir():
            raise LoaderError(f"The library folder {library} is missing or not a folder; its index is kept.")
        todo, removed = self._diff(root, run, retry_failed, only_paths)
        self._remove(removed, run)
        run.files_total = len(todo)
        try:
            Pipeline(self, run, cancel, notify).execute(todo)
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
        self, root: Path, run: Run, retry_failed: bool, only_paths: set[str] | None
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

    def _remove(self, paths: list[str], run: Run) -> None:
        with run.clock.time("text_store"):
            for path in paths:
                self.store.delete_file(path)
                run.removed += 1
            if paths:
                self.store.flush()
        with run.clock.time("manifest"):
            for path in paths:
                self.manifest.delete(self.collection, path)

    # -- load + chunk (worker threads) ----------------------------------------------------------
    def _load(self, pending: FileOutcome, counter) -> Loaded:
        if pending.status in ("failed", "skipped"):
            return Loaded(pending)
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
            return Loaded(replace(pending, status="skipped", reason=str(exc)))
        except LoaderError as exc:
            if not os.path.lexists(path):  # deleted while indexing, or its folder removed
                return Loaded(replace(pending, status="gone", reason="deleted while indexing"))
            return Loaded(replace(pending, status="failed", reason=str(exc)))
        except FileNotFoundError:
            return Loaded(replace(pending, status="gone", reason="deleted while indexing"))
        except OSError as exc:
            return Loaded(replace(pending, status="failed", reason=f"cannot read file: {exc.strerror or exc}"))
        except Exception as exc:  # noqa: BLE001 - one bad file must never stop a run
            return Loaded(replace(pending, status="failed", reason=f"unexpected error: {type(exc).__name__}: {exc}"))
        if not spans:
            return Loaded(replace(pending, status="skipped", reason="no text to index", sha256=sha))
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
        return Loaded(replace(pending, status="indexed", reason=reason, sha256=sha, chunks=len(chunks)), chunks)

    def _timed_load(self, pending: FileOutcome, counter, clock: StageClock) -> Loaded:
        with clock.time("read"):
            return self._load(pending, counter)

    def loaded_stream(self, todo: list[FileOutcome], run: Run, cancel: CancelToken) -> Generator[Loaded, None, None]:
        """Yield loaded files in order, loading up to PREFETCH_FILES ahead on worker threads."""
        counter = self.embedder.token_counter() if self.embedder is not None else ApproxTokenCounter()
        pool = ThreadPoolExecutor(max_workers=LOADER_THREADS, thread_name_prefix="tansaku-load")
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

    def _result(self, pending: FileOutcome, future: Future) -> Loaded:
        try:
            return future.result(timeout=self.config.file_timeout_s)
        except FutureTimeout:
            reason = f"took longer than {self.config.file_timeout_s:.0f} s to read; skipped"
            return Loaded(replace(pending, status="failed", reason=reason))

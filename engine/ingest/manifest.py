"""Per-file indexing state in SQLite (WAL): what is stored, what changed, what failed and why.

A file is marked `pending` before its old chunks are replaced and `indexed` only after the new ones are flushed,
so a crash at any point leaves a `pending` row that the next run repairs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from engine.errors import StoreError
from engine.types import FileCounts, FileOutcome, LibraryInfo

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS libraries (
    path TEXT PRIMARY KEY,
    added_at REAL NOT NULL,
    last_indexed REAL,
    excludes TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS files (
    collection TEXT NOT NULL,
    path TEXT NOT NULL,
    library TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    chunks INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    PRIMARY KEY (collection, path)
);
CREATE INDEX IF NOT EXISTS files_by_library ON files (collection, library);
CREATE TABLE IF NOT EXISTS removed_libraries (path TEXT PRIMARY KEY, removed_at REAL NOT NULL);
"""
# size for a record recovered from the store after the manifest was rebuilt: the file's stat is unknown, so the
# indexer compares its sha256 (no re-embedding when the content is the same).
UNKNOWN_SIZE = -1

STATUSES = ("indexed", "skipped", "failed", "pending", "embedding")


class Manifest:
    """SQLite-backed manifest; one instance per process, safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.created = not path.exists()  # a first run, or a manifest deleted by hand: the store may know more
        self._lock = threading.RLock()
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            ok = db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return self._rebuild(exc)
        except OSError as exc:
            raise StoreError(f"Cannot open the index manifest at {self.path}: {exc}") from exc
        if ok != "ok":
            db.close()
            return self._rebuild(sqlite3.DatabaseError(ok))
        db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        return db

    def _rebuild(self, exc: Exception) -> sqlite3.Connection:
        """A damaged manifest is set aside and rebuilt empty; the indexer then re-checks every file."""
        if "readonly" in str(exc).lower() or "unable to open" in str(exc).lower():
            raise StoreError(f"Cannot open the index manifest at {self.path}: {exc}") from exc
        backup = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                src.replace(Path(str(backup) + suffix))
        self.rebuilt_from = backup
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        return db

    rebuilt_from: Path | None = None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def delete_meta_where(self, predicate: Callable[[str], bool]) -> None:
        with self._lock:
            keys = [r[0] for r in self._db.execute("SELECT key FROM meta") if predicate(r[0])]
            self._db.executemany("DELETE FROM meta WHERE key = ?", [(k,) for k in keys])

    # -- libraries ----------------------------------------------------------------------------
    def add_library(self, path: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO libraries (path, added_at) VALUES (?, ?)", (path, time.time()))
            self._db.execute("DELETE FROM removed_libraries WHERE path = ?", (path,))

    def remove_library(self, path: str) -> None:
        """Forget a library and leave a tombstone: other models' indexes drop its chunks when they next open."""
        with self._lock:
            self._db.execute("DELETE FROM files WHERE library = ?", (path,))
            self._db.execute("DELETE FROM libraries WHERE path = ?", (path,))
            self._db.execute("INSERT OR REPLACE INTO removed_libraries VALUES (?, ?)", (path, time.time()))

    def removed_libraries(self) -> list[str]:
        """Libraries the user removed (and has not added again): the only chunks ever deleted by library."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT path FROM removed_libraries ORDER BY path")]

    def library_paths(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT path FROM libraries ORDER BY path")]

    def has_library(self, path: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM libraries WHERE path = ?", (path,)).fetchone() is not None

    def set_excludes(self, library: str, patterns: Sequence[str]) -> None:
        with self._lock:
            self._db.execute("UPDATE libraries SET excludes = ? WHERE path = ?", (json.dumps(list(patterns)), library))

    def get_excludes(self, library: str) -> tuple[str, ...]:
        with self._lock:
            row = self._db.execute("SELECT excludes FROM libraries WHERE path = ?", (library,)).fetchone()
        return tuple(json.loads(row[0])) if row else ()

    def mark_library_indexed(self, library: str) -> None:
        with self._lock:
            self._db.execute("UPDATE libraries SET last_indexed = ? WHERE path = ?", (time.time(), library))

    def library_infos(self, collection: str) -> list[LibraryInfo]:
        with self._lock:
            libs = self._db.execute("SELECT path, last_indexed, excludes FROM libraries ORDER BY path").fetchall()
            infos = []
            for path, last, excludes in libs:
                rows = self._db.execute(
                    "SELECT status, COUNT(*), SUM(chunks) FROM files WHERE collection = ? AND library = ? "
                    "GROUP BY status",
                    (collection, path),
                ).fetchall()
                counts = FileCounts.of_totals({status: n for status, n, _c in rows})
                chunks = sum(c or 0 for _s, _n, c in rows)
                infos.append(
                    LibraryInfo(
                        path=path,
                        files=counts.files,
                        chunks=chunks,
                        indexed=counts.indexed,
                        skipped=counts.skipped,
                        failed=counts.failed,
                        pending=counts.pending,
                        last_indexed=last,
                        excludes=tuple(json.loads(excludes)),
                    )
                )
        return infos

    # -- files --------------------------------------------------------------------------------
    def files(self, collection: str, library: str | None = None) -> dict[str, FileOutcome]:
        """Every known file of a library (or all), keyed by path."""
        sql = "SELECT path, library, status, reason, chunks, size, mtime_ns, sha256 FROM files WHERE collection = ?"
        args: tuple = (collection,)
        if library is not None:
            sql += " AND library = ?"
            args += (library,)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return {r[0]: FileOutcome(*r) for r in rows}

    def outcomes(
        self, collection: str, *, library: str | None = None, statuses: Iterable[str] | None = None
    ) -> list[FileOutcome]:
        wanted = set(statuses) if statuses else None
        found = self.files(collection, library).values()
        return sorted((o for o in found if wanted is None or o.status in wanted), key=lambda o: o.path)

    def recent_files(self, collection: str, limit: int) -> list[FileOutcome]:
        """The files whose records were written last: the ones a power cut could have left ahead of the store."""
        sql = (
            "SELECT path, library, status, reason, chunks, size, mtime_ns, sha256 FROM files "
            "WHERE collection = ? ORDER BY updated_at DESC LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (collection, int(limit))).fetchall()
        return [FileOutcome(*r) for r in rows]

    def put(self, collection: str, outcome: FileOutcome) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO files (collection, path, library, size, mtime_ns, sha256, status, reason, "
                "chunks, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    collection,
                    outcome.path,
                    outcome.library,
                    outcome.size,
                    outcome.mtime_ns,
                    outcome.sha256,
                    outcome.status,
                    outcome.reason,
                    outcome.chunks,
                    time.time(),
                ),
            )

    def put_many(self, collection: str, outcomes: Iterable[FileOutcome]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for outcome in outcomes:
                    self.put(collection, outcome)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def delete(self, collection: str, path: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM files WHERE collection = ? AND path = ?", (collection, path))

    def forget_collection(self, collection: str) -> None:
        """Every file record of a collection that was dropped (an index of an outdated row layout)."""
        with self._lock:
            self._db.execute("DELETE FROM files WHERE collection = ?", (collection,))

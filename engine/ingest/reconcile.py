"""The manifest and the chunk store agree: checked cheaply at every open, repaired where they don't, rebuilt after loss.

The index is a cache of the user's files, and the manifest is a cache of what the store holds. Three ways they part:
the manifest is lost or damaged (it is then rebuilt from the chunks, which carry their library, path and file hash);
the store loses its last writes (a power cut; Milvus Lite syncs its log on close) or an older copy of it comes back,
leaving the manifest ahead; or chunks outlive their manifest records. The check at open costs one unfiltered count
(metadata only) and one query over the files written last (the ones a power cut hits); only when it fails are the
libraries counted, and only a library that disagrees is compared file by file. Chunks are only ever deleted for files
that no longer belong to a library, and for libraries the user removed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from engine.ingest.manifest import UNKNOWN_SIZE, Manifest
from engine.types import FileOutcome, Repair, StoredFile

SPOT_CHECK_FILES = 32
CLAIMED = ("indexed", "embedding")  # statuses whose chunks the manifest says are in the store


class CheckedStore(Protocol):
    """What reconciling needs of a ChunkStore."""

    def count(self, library: str | None = None) -> int: ...
    def stored_files(self, library: str | None = None) -> dict[str, StoredFile]: ...
    def files_by_path(self, paths: Sequence[str]) -> dict[str, StoredFile]: ...
    def delete_file(self, path: str) -> int: ...
    def delete_library(self, library: str) -> int: ...
    def flush(self, *, force: bool = False) -> None: ...


def reconcile(manifest: Manifest, store: CheckedStore, collection: str) -> list[Repair]:
    """Bring manifest and store back into agreement for `collection`; returns what was repaired."""
    files = {library: manifest.files(collection, library) for library in manifest.library_paths()}
    if not files and not manifest.removed_libraries():
        return []  # a first run: nothing to compare
    suspects = _suspect_libraries(manifest, store, collection, files)
    if suspects is None:
        return []
    repairs = _drop_removed_libraries(manifest, store)
    for library, known in files.items():
        if library in suspects or store.count(library) != _claimed_chunks(known):
            repairs += _repair_library(manifest, store, collection, library, known)
    if repairs:
        store.flush(force=True)
    return repairs


def recover(manifest: Manifest, store: CheckedStore, collection: str) -> int:
    """Refill a new (rebuilt) manifest from one collection's chunks; returns the number of files recovered.

    Recovered records carry the file's hash but not its size or mtime, so the next indexing run reads and hashes each
    file once and re-embeds nothing whose content is unchanged. Files deleted meanwhile lose their chunks now (unless
    their whole library folder is missing, e.g. an unplugged drive: its index is kept).
    """
    recovered = 0
    for path, stored in store.stored_files().items():
        if os.path.isdir(stored.library) and not os.path.lexists(path):
            store.delete_file(path)
            continue
        manifest.add_library(stored.library)
        status = "indexed" if stored.unembedded == 0 else "embedding"
        outcome = FileOutcome(path, stored.library, status, chunks=stored.chunks, size=UNKNOWN_SIZE)
        manifest.put(collection, replace(outcome, sha256=stored.sha256))
        recovered += 1
    store.flush(force=True)
    return recovered


def _drop_removed_libraries(manifest: Manifest, store: CheckedStore) -> list[Repair]:
    """Chunks of removed libraries can survive in an index that was not open when the library was removed."""
    repairs = []
    for library in manifest.removed_libraries():
        left = store.count(library)
        if left:
            store.delete_library(library)
            repairs.append(Repair("removed_library_dropped", library, left))
    return repairs


def _suspect_libraries(
    manifest: Manifest, store: CheckedStore, collection: str, files: dict[str, dict[str, FileOutcome]]
) -> set[str] | None:
    """None when the cheap check passes; else the libraries it already knows to be wrong (the rest are counted).

    Milvus Lite evaluates every filter by scanning the collection, so the check makes one unfiltered count (metadata
    only) and one filtered query over the files written last, whatever the number of libraries.
    """
    suspects = {lib for lib, known in files.items() if any(o.status == "pending" for o in known.values())}
    recent = [o for o in manifest.recent_files(collection, SPOT_CHECK_FILES) if o.status in CLAIMED]
    stored = store.files_by_path([o.path for o in recent])
    suspects |= {o.library for o in recent if not _agrees(o, stored.get(o.path))}
    expected = sum(_claimed_chunks(known) for known in files.values())
    if not suspects and store.count() == expected:
        return None
    return suspects


def _claimed_chunks(known: dict[str, FileOutcome]) -> int:
    return sum(o.chunks for o in known.values() if o.status in CLAIMED)


def _agrees(claimed: FileOutcome, stored: StoredFile | None) -> bool:
    if stored is None:
        return claimed.chunks == 0
    complete = claimed.status != "indexed" or stored.unembedded == 0
    return stored.chunks == claimed.chunks and stored.sha256 == claimed.sha256 and complete


def _repair_library(
    manifest: Manifest, store: CheckedStore, collection: str, library: str, files: dict[str, FileOutcome]
) -> list[Repair]:
    stored = store.stored_files(library)
    orphans = [p for p in stored if p not in files or files[p].status not in (*CLAIMED, "pending")]
    for path in orphans:
        store.delete_file(path)
    fixed: list[FileOutcome] = []
    redo = 0
    for path, claimed in files.items():
        if claimed.status not in CLAIMED:
            continue
        found = stored.get(path)
        if not _agrees(replace(claimed, status="embedding"), found):
            fixed.append(replace(claimed, status="pending", chunks=0))  # the next indexing run redoes it
            redo += 1
        elif claimed.status == "indexed" and found is not None and found.unembedded:
            fixed.append(replace(claimed, status="embedding"))  # its rows lost their vectors: embed them again
    manifest.put_many(collection, fixed)
    repairs = []
    if orphans:
        repairs.append(Repair("orphans_removed", library, len(orphans)))
    if redo:
        repairs.append(Repair("files_to_reindex", library, redo))
    return repairs

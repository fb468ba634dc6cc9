"""Milvus Lite's in-process server: start it per data folder, share it between stores, say clearly why it failed."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from engine.errors import StoreError, StoreLockedError

# pymilvus serves each Lite folder from one process-wide server manager that keeps it (and its LOCK) until exit.
# Count our users of each folder so the last close releases the lock (another process, or a new data dir, may want it).
_USERS: dict[str, int] = {}
_LOCK = threading.Lock()


def acquire_lite(uri: str) -> str:
    """Start (or share) the Lite server for `uri` (a path ending in .db); returns the absolute path to connect to."""
    if not uri.endswith(".db"):
        raise StoreError(f"a Milvus Lite location must end in .db: {uri}")
    path = Path(uri).expanduser().absolute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the data folder {path.parent}: {exc.strerror or exc}") from exc
    key = str(path)
    from milvus_lite.server_manager import server_manager_instance

    with _LOCK:
        if server_manager_instance.start_and_get_uri(key) is None:
            raise _diagnose_lite_failure(path)
        _USERS[key] = _USERS.get(key, 0) + 1
    return key


def release_lite(key: str) -> None:
    """Drop one user of the folder; the last one stops its server, which releases the folder's lock."""
    from milvus_lite.server_manager import server_manager_instance

    with _LOCK:
        left = _USERS.get(key, 1) - 1
        if left > 0:
            _USERS[key] = left
            return
        _USERS.pop(key, None)
        server_manager_instance.release_server(key)


def _diagnose_lite_failure(path: Path) -> StoreError:
    """pymilvus hides why Milvus Lite did not start; find the likely cause for a clear message."""
    probe_dir = path if path.is_dir() else path.parent
    if path.exists() and not path.is_dir():
        return StoreError(f"{path} is a file, not a Milvus Lite data folder (from an older Milvus Lite?)")
    if not os.access(probe_dir, os.W_OK):
        return StoreError(f"the data folder {probe_dir} is read-only")
    lock = path / "LOCK"
    if lock.exists() and _lock_is_held(lock):
        return StoreLockedError(f"{path} is in use by another process (another Tansaku window?)")
    return StoreError(f"Milvus Lite could not open {path}; see the log for details")


def _lock_is_held(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        if sys.platform == "win32":
            import msvcrt

            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                return True
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            return False
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)

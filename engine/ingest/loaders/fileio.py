"""Checked file access for loaders: stat before reading, a size cap, and OS errors turned into per-file reasons."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from engine.errors import LoaderError, SkipFile
from engine.ingest.sniff import Decoded, decode_text

_UNITS = (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024))


def human_size(n: int, *, decimals: int | None = None) -> str:
    """A byte count the way people read it: '212 MB', '1.2 GB', '3 KB', '900 bytes'."""
    for unit, size in _UNITS:
        if n >= size:
            places = decimals if decimals is not None else (1 if unit == "GB" else 0)
            return f"{n / size:.{places}f} {unit}"
    return f"{n} bytes"


def too_large_reason(size: int, max_bytes: int) -> str:
    limit, actual = human_size(max_bytes), human_size(size)
    if actual == limit:
        actual = human_size(size, decimals=1)
    return f"larger than the {limit} limit ({actual})"


def os_error_reason(exc: OSError) -> str:
    """A short sentence for an OS error met while opening or reading a file."""
    if isinstance(exc, FileNotFoundError):
        return "file not found (deleted, moved, or a broken link)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "not a regular file (directory)"
    if exc.errno == errno.ELOOP:
        return "symlink loop (too many levels of symbolic links)"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return f"cannot read file ({exc.strerror or type(exc).__name__})"


def check_file(path: Path, max_bytes: int) -> os.stat_result:
    """Stat without reading: refuse what is not a regular file, empty, or over the size cap."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise LoaderError(os_error_reason(exc)) from exc
    if stat.S_ISDIR(st.st_mode):
        raise SkipFile("not a regular file (directory)")
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO would block forever; devices and sockets are not documents.
        raise SkipFile("not a regular file (pipe, socket or device)")
    if st.st_size == 0:
        raise SkipFile("empty file (0 bytes)")
    if st.st_size > max_bytes:
        raise SkipFile(too_large_reason(st.st_size, max_bytes))
    return st


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, never more than max_bytes (a file may grow between stat and read)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise LoaderError("file vanished before it could be read") from exc
    except OSError as exc:
        raise LoaderError(os_error_reason(exc)) from exc
    if len(data) > max_bytes:
        raise SkipFile(f"larger than the {human_size(max_bytes)} limit (it grew while being read)")
    if not data:
        raise SkipFile("empty file (0 bytes)")
    return data


def read_text(path: Path, max_bytes: int, *, hint: str | None = None) -> Decoded:
    """Read and decode a text file, with notes on what decoding repaired; SkipFile for binary content."""
    return decode_text(read_bytes(path, max_bytes), hint=hint)

"""Check a zip package (DOCX, EPUB) before any parser inflates it: valid archive, sane declared sizes and ratios."""

from __future__ import annotations

import zipfile
from pathlib import Path

from engine.errors import LoaderError
from engine.ingest.loaders.fileio import human_size

MAX_UNPACKED_BYTES = 512 * 1024**2
UNPACKED_PER_PACKED = 20  # the unpacked total may be this many times the file size cap
MAX_RATIO = 100  # deflated XML reaches ~10-30:1; bombs are ~1000:1
RATIO_MIN_BYTES = 8 * 1024**2  # small members may compress extremely well without harm
MAX_ENTRIES = 20_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def unpacked_limit(max_bytes: int) -> int:
    return max(min(UNPACKED_PER_PACKED * max_bytes, MAX_UNPACKED_BYTES), 1024**2)


def _check_entry(info: zipfile.ZipInfo, label: str) -> None:
    if info.flag_bits & 0x1:
        raise LoaderError(f"encrypted {label} (password required)")
    if info.file_size > RATIO_MIN_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_RATIO:
            raise LoaderError(f"zip bomb suspected: {info.filename} would unpack {ratio:.0f} times its packed size")


def check_zip(path: Path, max_bytes: int, label: str) -> list[str]:
    """Raise LoaderError for a corrupt, encrypted or bomb-like package; return its member names.

    Python's zipfile never inflates past a member's declared size, so checking the declared sizes is enough.
    """
    with open(path, "rb") as fh:
        head = fh.read(len(OLE_MAGIC))
    if head == OLE_MAGIC:
        raise LoaderError(f"encrypted or legacy Office file (password-protected, or not a {label} package)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise LoaderError(f"corrupt {label} (not a valid zip archive)") from exc
    if len(infos) > MAX_ENTRIES:
        raise LoaderError(f"zip bomb suspected: {label} has {len(infos)} entries")
    total = sum(info.file_size for info in infos)
    limit = unpacked_limit(max_bytes)
    if total > limit:
        raise LoaderError(
            f"zip bomb suspected: {label} would unpack to {human_size(total)} (limit {human_size(limit)})"
        )
    for info in infos:
        _check_entry(info, label)
    return [info.filename for info in infos]

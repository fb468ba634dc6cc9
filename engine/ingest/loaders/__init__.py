"""Document loaders: `load_document(path)` picks the loader by suffix and guarantees only SkipFile/LoaderError escape."""

from __future__ import annotations

from pathlib import Path

from engine.errors import LoaderError, SkipFile
from engine.ingest.loaders.fileio import check_file, os_error_reason
from engine.ingest.loaders.registry import SUPPORTED_SUFFIXES, format_for
from engine.types import Document

__all__ = ["LoaderError", "SkipFile", "is_supported", "load_document", "supported_suffixes"]

DEFAULT_MAX_BYTES = 100 * 1024 * 1024


def supported_suffixes() -> frozenset[str]:
    """Lower-case suffixes with a loader, dot included ('.md')."""
    return SUPPORTED_SUFFIXES


def is_supported(path: Path | str) -> bool:
    return format_for(Path(path)) is not None


def load_document(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Load one file as text with sections.

    Raises SkipFile for files deliberately not indexed (unsupported, binary, empty, too large, no text) and
    LoaderError for files that could not be read (corrupt, encrypted, truncated, zip bomb, permission, vanished).
    Nothing else escapes: an unexpected exception becomes a LoaderError naming it.
    A file read in spite of a defect comes back with Document.notes saying what was given up or repaired
    ("10 stray NUL bytes removed"); the indexer reports them as the indexed file's reason.
    """
    path = Path(path)
    fmt = format_for(path)
    if fmt is None:
        suffix = path.suffix.lower()
        raise SkipFile(f"unsupported file type ({suffix})" if suffix else "unsupported file type (no extension)")
    check_file(path, max_bytes)
    try:
        doc = fmt.load(path, max_bytes)
    except LoaderError:
        raise
    except OSError as exc:
        raise LoaderError(os_error_reason(exc)) from exc
    except MemoryError as exc:
        raise LoaderError("out of memory while reading the file") from exc
    except RecursionError as exc:
        raise LoaderError(f"{fmt.kind} file is nested too deeply to read") from exc
    except Exception as exc:  # noqa: BLE001 - the contract is that only loader errors leave this function
        raise LoaderError(f"unexpected error reading {fmt.kind} file ({type(exc).__name__}: {exc})"[:300]) from exc
    if not doc.text.strip():
        raise SkipFile("no text content")
    return doc

"""Numbers, times, progress and engine errors in words for the window (the engine never formats UI text)."""

from __future__ import annotations

import time
from pathlib import Path

from engine import Progress, Scores


def count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def size(num_bytes: int | None) -> str:
    if num_bytes is None:
        return "unknown size"
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s" if minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def ago(timestamp: float | None, now: float | None = None) -> str:
    if not timestamp:
        return "never"
    delta = (now or time.time()) - timestamp
    if delta < 60:
        return "just now"
    if delta < 3600:
        return f"{int(delta // 60)} min ago"
    if delta < 86400:
        return f"{int(delta // 3600)} h ago"
    return time.strftime("%Y-%m-%d", time.localtime(timestamp))


def folder_name(path: str) -> str:
    return Path(path).name or path


def progress_counts(p: Progress) -> str:
    if p.phase == "scanning":
        return "Looking for new and changed files…"
    return f"{p.files_done:,} / {p.files_total:,} files · {count(p.chunks_done, 'chunk')}"


IDLE_PHASES = frozenset({"scanning", "done", "cancelled", "paused"})


def progress_rate(p: Progress) -> str:
    """Files per second and time left, while files are being processed (indexing, embedding, storing)."""
    if p.phase in IDLE_PHASES or p.elapsed_s <= 0 or p.files_done == 0:
        return ""
    rate = p.rate_files
    text = f"{rate:.1f} files/s" if rate < 10 else f"{rate:.0f} files/s"
    eta = p.eta_s
    return f"{text} · about {duration(eta)} left" if eta is not None else text


def scores(s: Scores) -> str:
    parts = []
    if s.rerank is not None:
        parts.append(f"rerank {s.rerank:.3f}")
    if s.dense is not None:
        rank = f" (#{s.dense_rank})" if s.dense_rank is not None else ""
        parts.append(f"dense {s.dense:.3f}{rank}")
    if s.bm25 is not None:
        rank = f" (#{s.bm25_rank})" if s.bm25_rank is not None else ""
        parts.append(f"BM25 {s.bm25:.2f}{rank}")
    if s.fused is not None:
        parts.append(f"fused {s.fused:.4f}")
    return " · ".join(parts) or "no scores"


def model_name(model: str) -> str:
    """A Hugging Face id's last part, or a folder's name."""
    return model.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]


def repair(kind: str, library: str | None, n: int, detail: str = "") -> str:
    """What the engine repaired in its index, as the status bar says it once (see engine.types.Repair)."""
    folder = folder_name(library) if library else ""
    if kind == "manifest_rebuilt":
        return f"The index's file list was damaged and has been rebuilt from the index: {count(n, 'file')} recovered."
    if kind == "orphans_removed":
        return f"{folder}: removed the index of {count(n, 'file')} no longer in the folder."
    if kind == "files_to_reindex":
        return f"{folder}: {count(n, 'file')} missing from the index will be indexed again."
    if kind == "removed_library_dropped":
        return f"Removed what was left of the index of {folder}, a library you had removed."
    return f"Index repaired ({kind})."

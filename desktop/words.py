"""Numbers, times, progress and engine errors in words for the window (the engine never formats UI text).

Every phrase goes through Qt's translation system; counts pick their form by the shown language's plural rule
(English: one for 1, else other; Japanese has no plural, so both forms translate alike: "3 件のファイル").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from desktop.i18n import current_language, translate
from engine import Progress, Scores

# Which form a count takes: True for "one", False for "other". Languages not listed use English's rule.
PLURAL_RULES: dict[str, Callable[[int], bool]] = {
    "en": lambda n: n == 1,
    "ja": lambda n: False,
}


def plural(n: int, one: str, other: str, lang: str | None = None) -> str:
    """`one` or `other` (translated templates with {n}) by the language's rule; n is written with separators."""
    rule = PLURAL_RULES.get(lang or current_language(), PLURAL_RULES["en"])
    return (one if rule(n) else other).format(n=f"{n:,}")


def _nouns() -> dict[str, tuple[str, str]]:
    """Translated at call time, so a language installed after import still applies."""
    return {
        "file": (translate("Words", "{n} file"), translate("Words", "{n} files")),
        "chunk": (translate("Words", "{n} chunk"), translate("Words", "{n} chunks")),
        "folder": (translate("Words", "{n} folder"), translate("Words", "{n} folders")),
        "passage": (translate("Words", "{n} passage"), translate("Words", "{n} passages")),
        "source": (translate("Words", "{n} source"), translate("Words", "{n} sources")),
    }


def count(n: int, noun: str) -> str:
    """ "3 files" / "3 件のファイル" for a noun of _nouns() (file, chunk, folder, passage, source)."""
    one, other = _nouns()[noun]
    return plural(n, one, other)


def size(num_bytes: int | None) -> str:
    if num_bytes is None:
        return translate("Words", "unknown size")
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
        return translate("Words", "{s} s").format(s=seconds)
    minutes, sec = divmod(seconds, 60)
    if minutes < 10:
        return translate("Words", "{m} min {s:02d} s").format(m=minutes, s=sec)
    if minutes < 60:
        return translate("Words", "{m} min").format(m=minutes)
    hours, minutes = divmod(minutes, 60)
    return translate("Words", "{h} h {m:02d} min").format(h=hours, m=minutes)


def ago(timestamp: float | None, now: float | None = None) -> str:
    if not timestamp:
        return translate("Words", "never")
    delta = (now or time.time()) - timestamp
    if delta < 60:
        return translate("Words", "just now")
    if delta < 3600:
        return translate("Words", "{n} min ago").format(n=int(delta // 60))
    if delta < 86400:
        return translate("Words", "{n} h ago").format(n=int(delta // 3600))
    return time.strftime("%Y-%m-%d", time.localtime(timestamp))


def folder_name(path: str) -> str:
    return Path(path).name or path


def progress_counts(p: Progress) -> str:
    if p.phase == "scanning":
        return translate("Words", "Looking for new and changed files…")
    files = translate("Words", "{done} / {total} files").format(done=f"{p.files_done:,}", total=f"{p.files_total:,}")
    return f"{files} · {count(p.chunks_done, 'chunk')}"


IDLE_PHASES = frozenset({"scanning", "done", "cancelled", "paused"})


def _rate_number(rate: float) -> str:
    return f"{rate:.0f}" if rate >= 10 else f"{rate:.1f}"


def file_rate(per_second: float) -> str:
    """Files per second, or per minute when slower than one a second (never "0.0 files/s")."""
    if per_second >= 1:
        return translate("Words", "{rate} files/s").format(rate=_rate_number(per_second))
    per_minute = per_second * 60
    if per_minute < 0.1:
        return translate("Words", "under 0.1 files/min")
    return translate("Words", "{rate} files/min").format(rate=_rate_number(per_minute))


def progress_rate(p: Progress) -> str:
    """Files per second (or minute) and time left, while files are being processed (indexing, embedding, storing)."""
    if p.phase in IDLE_PHASES or p.elapsed_s <= 0 or p.files_done == 0:
        return ""
    text = file_rate(p.rate_files)
    eta = p.eta_s
    if eta is None:
        return text
    return translate("Words", "{rate} · about {time} left").format(rate=text, time=duration(eta))


def scores(s: Scores) -> str:
    parts = []
    if s.rerank is not None:
        parts.append(translate("Words", "rerank {score}").format(score=f"{s.rerank:.3f}"))
    if s.dense is not None:
        rank = f" (#{s.dense_rank})" if s.dense_rank is not None else ""
        parts.append(translate("Words", "dense {score}").format(score=f"{s.dense:.3f}") + rank)
    if s.bm25 is not None:
        rank = f" (#{s.bm25_rank})" if s.bm25_rank is not None else ""
        parts.append(f"BM25 {s.bm25:.2f}{rank}")
    if s.fused is not None:
        parts.append(translate("Words", "fused {score}").format(score=f"{s.fused:.4f}"))
    return " · ".join(parts) or translate("Words", "no scores")


def model_name(model: str) -> str:
    """A Hugging Face id's last part, or a folder's name."""
    return model.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]


def repair(kind: str, library: str | None, n: int, detail: str = "") -> str:
    """What the engine repaired in its index, as the status bar says it once (see engine.types.Repair)."""
    folder = folder_name(library) if library else ""
    files = count(n, "file")
    if kind == "manifest_rebuilt":
        return translate(
            "Words", "The index's file list was damaged and has been rebuilt from the index: {files} recovered."
        ).format(files=files)
    if kind == "orphans_removed":
        return translate("Words", "{folder}: removed the index of {files} no longer in the folder.").format(
            folder=folder, files=files
        )
    if kind == "files_to_reindex":
        return translate("Words", "{folder}: {files} missing from the index will be indexed again.").format(
            folder=folder, files=files
        )
    if kind == "removed_library_dropped":
        return translate("Words", "Removed what was left of the index of {folder}, a library you had removed.").format(
            folder=folder
        )
    return translate("Words", "Index repaired ({kind}).").format(kind=kind)

"""Open a cited file at its page (PDF) or line (text and code), where the user's viewer or editor accepts one.

There is no portable "open at page" call: each viewer has its own flag. On Linux the user's default app for the file's
type (xdg-mime) is looked up and, when it is one that takes a page or line on its command line, started with it. Any
other case opens the file in its default app at its start (the panel shows the page and heading). TANSAKU_OPEN_WITH
overrides everything with a command template, e.g. `code -g {path}:{line}` or `okular -p {page} {path}`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Default apps (their .desktop ids, without ".desktop") that accept a page or a line on the command line.
PAGE_VIEWERS: dict[str, tuple[str, ...]] = {
    "org.gnome.Evince": ("evince", "--page-index={page}", "{path}"),
    "evince": ("evince", "--page-index={page}", "{path}"),
    "org.gnome.Papers": ("papers", "--page-index={page}", "{path}"),
    "atril": ("atril", "--page-index={page}", "{path}"),
    "xreader": ("xreader", "--page-index={page}", "{path}"),
    "okularApplication_pdf": ("okular", "-p", "{page}", "{path}"),
    "org.kde.okular": ("okular", "-p", "{page}", "{path}"),
    "org.pwmt.zathura": ("zathura", "-P", "{page}", "{path}"),
    "org.pwmt.zathura-pdf-mupdf": ("zathura", "-P", "{page}", "{path}"),
}
LINE_EDITORS: dict[str, tuple[str, ...]] = {
    "code": ("code", "-g", "{path}:{line}"),
    "code-oss": ("code-oss", "-g", "{path}:{line}"),
    "codium": ("codium", "-g", "{path}:{line}"),
    "org.gnome.gedit": ("gedit", "+{line}", "{path}"),
    "org.gnome.TextEditor": ("gnome-text-editor", "+{line}", "{path}"),
    "org.kde.kate": ("kate", "-l", "{line}", "{path}"),
    "org.kde.kwrite": ("kwrite", "-l", "{line}", "{path}"),
    "sublime_text": ("subl", "{path}:{line}"),
    "pluma": ("pluma", "+{line}", "{path}"),
    "mousepad": ("mousepad", "--line={line}", "{path}"),
}
TEMPLATE_ENV = "TANSAKU_OPEN_WITH"


@dataclass(frozen=True)
class Location:
    path: str
    page: int | None = None  # 1-based, PDFs
    line: int | None = None  # 1-based, text files


def line_of(path: str, char_start: int, text: str) -> int | None:
    """The 1-based line where a chunk starts in a text file: its first line found near `char_start`, else None."""
    from engine import EngineError, decode_bytes

    try:  # decoded as the indexer decoded it: a Shift_JIS or EUC-JP file read as UTF-8 would match nothing
        content = decode_bytes(Path(path).read_bytes())
    except (OSError, EngineError):
        return None
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not first:
        return None
    at = content.find(first, max(0, char_start - 4000))
    if at < 0:
        at = content.find(first)
    return content.count("\n", 0, at) + 1 if at >= 0 else None


def command_for(
    location: Location,
    *,
    template: str | None = None,
    default_app: Callable[[str], str | None] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str] | None:
    """The command line that opens `location` at its page/line, or None when only a plain open is possible."""
    if template:
        return _fill(shlex.split(template), location)
    if location.page is None and location.line is None:
        return None
    app = default_app(location.path) if default_app is not None else None
    if not app:
        return None
    app = app.removesuffix(".desktop")
    table = PAGE_VIEWERS if location.page is not None else LINE_EDITORS
    words = table.get(app)
    if words is None or which(words[0]) is None:
        return None
    return _fill(list(words), location)


def _fill(words: list[str], location: Location) -> list[str]:
    values = {"path": location.path, "page": location.page or 1, "line": location.line or 1}
    return [word.format(**values) for word in words]


def xdg_default_app(path: str) -> str | None:
    """The user's default app for the file's type on Linux (xdg-mime), e.g. 'org.gnome.Evince.desktop'."""
    if shutil.which("xdg-mime") is None:
        return None
    try:
        mime = _run(["xdg-mime", "query", "filetype", path])
        return _run(["xdg-mime", "query", "default", mime]) if mime else None
    except (OSError, subprocess.SubprocessError):
        return None


def _run(args: list[str]) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=3, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def launch(command: list[str]) -> bool:
    """Start the viewer detached from Tansaku (it outlives the app); False when it cannot be started."""
    try:
        subprocess.Popen(  # noqa: S603 - a viewer the user chose, with a path as one argument
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=sys.platform != "win32",
            close_fds=True,
        )
    except (OSError, ValueError):
        return False
    return True


def open_at(location: Location, fallback: Callable[[str], object]) -> None:
    """Open at the page/line when the viewer allows, else `fallback(path)`: the default app.

    Looking up the default app runs two short processes, so on Linux it happens on a worker thread, and `fallback` may
    then be called from that thread: pass something thread-safe (the sources panel passes a queued signal's emit).
    """
    template = os.environ.get(TEMPLATE_ENV, "").strip()
    if template:
        command = command_for(location, template=template)
        if command and launch(command):
            return
        fallback(location.path)
        return
    if not sys.platform.startswith("linux") or (location.page is None and location.line is None):
        fallback(location.path)
        return
    import threading

    def work() -> None:
        command = command_for(location, default_app=xdg_default_app)
        if command is None or not launch(command):
            fallback(location.path)

    threading.Thread(target=work, name="tansaku-open", daemon=True).start()

"""Walks a library folder: gitignore-style exclusions (pathspec), no symlink loops, stable order."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".*",  # hidden files and folders: .git, .venv, .DS_Store, editor state
    "node_modules/",
    "__pycache__/",
    "venv/",
    ".venv/",
    "*.pyc",
    "~$*",  # Office lock files
    ".~lock.*#",  # LibreOffice lock files
    "*.swp",
    "*.swo",
    "*.tmp",
    "*.temp",
    "*~",
    "*.part",
    "*.crdownload",
    "Thumbs.db",
    "desktop.ini",
)


def build_spec(patterns: Sequence[str], *, with_defaults: bool = True):
    """A pathspec GitIgnoreSpec for the library's own patterns on top of the defaults."""
    import pathspec

    lines = list(DEFAULT_EXCLUDES if with_defaults else ()) + [p for p in patterns if p.strip()]
    return pathspec.GitIgnoreSpec.from_lines(lines)


def walk_files(root: Path, patterns: Sequence[str] = ()) -> Iterator[Path]:
    """Yield regular files under root that no exclusion matches, following folder links once."""
    spec = build_spec(patterns)
    seen_dirs: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=None):
        current = Path(dirpath)
        try:
            st = current.stat()
        except OSError:
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:  # a symlink loop or a second link to the same folder
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        rel_dir = current.relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if not spec.match_file(prefix + d + "/"))
        for name in sorted(filenames):
            if spec.match_file(prefix + name):
                continue
            # Broken links, loops and fifos are yielded too: the loader gives each a readable reason.
            yield current / name


def is_excluded(root: Path, path: Path, patterns: Sequence[str] = ()) -> bool:
    """True if path (inside root) is excluded by the defaults or the library's patterns."""
    spec = build_spec(patterns)
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return True
    parts = rel.split("/")
    for i in range(1, len(parts)):
        if spec.match_file("/".join(parts[:i]) + "/"):
            return True
    return spec.match_file(rel)

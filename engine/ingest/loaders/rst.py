"""reStructuredText: section titles are lines under- (and optionally over-) lined with punctuation."""

from __future__ import annotations

import re
from pathlib import Path

from engine.ingest.loaders.builder import HeadingTrail, sections_between
from engine.ingest.loaders.fileio import read_text
from engine.types import Document

_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1{2,}[ \t]*")


def _adornment(line: str) -> str | None:
    m = _ADORNMENT.fullmatch(line.rstrip("\r\n"))
    return m.group(1) if m else None


def _title_at(lines: list[str], i: int) -> tuple[str, tuple[str, bool], int] | None:
    """(title, style, lines used) when a section title starts at line i."""
    over = _adornment(lines[i])
    if over and i + 2 < len(lines) and _adornment(lines[i + 2]) == over:
        title = lines[i + 1].strip()
        if title and not _adornment(lines[i + 1]):
            return title, (over, True), 3
    line = lines[i]
    if over or not line.strip() or line[0] in " \t" or i + 1 >= len(lines):
        return None
    under = _adornment(lines[i + 1])
    if under and (i == 0 or not lines[i - 1].strip() or _adornment(lines[i - 1])):
        return line.strip(), (under, False), 2
    return None


def find_headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line number, level, title); levels follow the order in which title styles first appear, as docutils does."""
    styles: list[tuple[str, bool]] = []
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < len(lines):
        hit = _title_at(lines, i)
        if hit is None:
            i += 1
            continue
        title, style, used = hit
        if style not in styles:
            styles.append(style)
        found.append((i, styles.index(style) + 1, title))
        i += used
    return found


def rst_document(text: str) -> Document:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    trail = HeadingTrail()
    boundaries: list[tuple[int, tuple[str, ...]]] = [(0, ())]
    for line_no, level, title in find_headings(lines):
        boundaries.append((starts[line_no], trail.push(level, title)))
    return Document(text=text, sections=sections_between(boundaries, len(text)), kind="rst")


def load(path: Path, max_bytes: int) -> Document:
    decoded = read_text(path, max_bytes)
    return rst_document(decoded.text).with_notes(decoded.notes)

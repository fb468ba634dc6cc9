"""Assemble a Document from blocks of text, opening a Section at each heading or page."""

from __future__ import annotations

from engine.types import Document, Section


class HeadingTrail:
    """The open headings by level; pushing a heading closes those at its level or deeper."""

    def __init__(self) -> None:
        self._open: list[tuple[int, str]] = []

    def push(self, level: int, title: str) -> tuple[str, ...]:
        while self._open and self._open[-1][0] >= level:
            self._open.pop()
        self._open.append((level, title))
        return self.trail

    @property
    def trail(self) -> tuple[str, ...]:
        return tuple(title for _, title in self._open)


class DocBuilder:
    """Joins blocks with blank lines; sections tile the text (each runs to the next one's start)."""

    def __init__(self, separator: str = "\n\n") -> None:
        self._sep = separator
        self._parts: list[str] = []
        self._length = 0
        self._sections: list[Section] = []
        self._start = 0
        self._page: int | None = None
        self._headings: tuple[str, ...] = ()

    def open_section(self, headings: tuple[str, ...] = (), page: int | None = None) -> None:
        self._close()
        self._start, self._headings, self._page = self._length, headings, page

    def add_block(self, text: str) -> None:
        if not text.strip():
            return
        if self._length:
            self._append(self._sep)
        self._append(text)

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def _close(self) -> None:
        if self._length > self._start:
            self._sections.append(Section(self._start, self._length, self._page, self._headings))

    def build(self, kind: str) -> Document:
        self._close()
        self._start = self._length
        return Document(text="".join(self._parts), sections=tuple(self._sections), kind=kind)


def sections_between(starts: list[tuple[int, tuple[str, ...]]], length: int) -> tuple[Section, ...]:
    """Sections from (start offset, heading trail) pairs in order, each running to the next start (or `length`)."""
    ends = [start for start, _ in starts[1:]] + [length]
    return tuple(
        Section(start, end, None, headings) for (start, headings), end in zip(starts, ends, strict=True) if end > start
    )

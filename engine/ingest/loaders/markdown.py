"""Markdown: the original text kept as is (offsets point into the file), ATX/setext headings found by markdown-it."""

from __future__ import annotations

import re
from pathlib import Path

from engine.ingest.loaders.builder import HeadingTrail, sections_between
from engine.ingest.loaders.fileio import read_text
from engine.types import Document

_NEWLINE = re.compile(r"\r\n?|\n")  # the line breaks markdown-it normalises, so its line numbers match ours
_FRONT_MATTER = re.compile(r"\A---[ \t]*(?:\r\n?|\n).*?(?:\r\n?|\n)(?:---|\.\.\.)[ \t]*(?=\r\n?|\n|\Z)", re.DOTALL)


def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in _NEWLINE.finditer(text)]


def _blank_front_matter(text: str) -> str:
    """Replace YAML front matter by its line breaks: its closing '---' would otherwise read as a setext heading."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return text
    breaks = "".join(b.group() for b in _NEWLINE.finditer(m.group()))
    return breaks + text[m.end() :]


def _plain(inline: str) -> str:
    """Heading text without markup; only headings go through the inline parser (hostile body text never does)."""
    from markdown_it import MarkdownIt

    parts: list[str] = []
    for token in MarkdownIt("commonmark").parseInline(inline):
        _collect(token.children or (), parts)
    return " ".join("".join(parts).split())


def _collect(tokens, parts: list[str]) -> None:
    for child in tokens:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            _collect(child.children or (), parts)


def find_headings(text: str) -> list[tuple[int, int, str]]:
    """(line number, level, title) of each top-level heading."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").disable("inline")
    tokens = md.parse(_blank_front_matter(text))
    found: list[tuple[int, int, str]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.level == 0 and tok.map and i + 1 < len(tokens):
            title = _plain(tokens[i + 1].content)
            if title:
                found.append((tok.map[0], int(tok.tag[1:]), title))
    return found


def markdown_document(text: str) -> Document:
    starts = line_starts(text)
    trail = HeadingTrail()
    boundaries: list[tuple[int, tuple[str, ...]]] = [(0, ())]
    for line, level, title in find_headings(text):
        boundaries.append((starts[min(line, len(starts) - 1)], trail.push(level, title)))
    return Document(text=text, sections=sections_between(boundaries, len(text)), kind="markdown")


def load(path: Path, max_bytes: int) -> Document:
    decoded = read_text(path, max_bytes)
    return markdown_document(decoded.text).with_notes(decoded.notes)

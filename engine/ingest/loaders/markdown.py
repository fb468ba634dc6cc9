"""Markdown: the original text kept as is (offsets point into the file), ATX/setext headings found by markdown-it.

Markdown that is mostly raw HTML (sites that publish rendered pages as .md: the Japanese Milvus docs hold 33-95 %
HTML blocks, headings included as <h1>..<h6>) is rendered and read as HTML instead: keeping it as is would show and
index tag soup (`<h4 id=... class="common-anchor-header">`) and find no headings at all.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.ingest.loaders.builder import HeadingTrail, sections_between
from engine.ingest.loaders.fileio import read_text
from engine.ingest.loaders.htmlpage import html_document
from engine.types import Document

_NEWLINE = re.compile(r"\r\n?|\n")  # the line breaks markdown-it normalises, so its line numbers match ours
# Share of the file's characters inside HTML blocks from which it is read as a page. Measured on the shared Milvus
# docs: every Japanese file is at or above 0.33 (median 0.90); English files have a median of 0.006, and the 42 of
# 269 above 0.3 are configuration tables and landing pages written in HTML, which also read better as text.
HTML_SHARE = 0.3
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


def _block_tokens(text: str) -> list:
    """markdown-it's block tokens (no inline parse) of the text with its front matter blanked."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable("inline").parse(_blank_front_matter(text))


def html_share(text: str, tokens: list) -> float:
    """How much of the text sits in raw HTML blocks (0..1)."""
    return sum(len(tok.content) for tok in tokens if tok.type == "html_block") / max(1, len(text))


def find_headings(text: str, tokens: list | None = None) -> list[tuple[int, int, str]]:
    """(line number, level, title) of each top-level heading."""
    tokens = _block_tokens(text) if tokens is None else tokens
    found: list[tuple[int, int, str]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.level == 0 and tok.map and i + 1 < len(tokens):
            title = _plain(tokens[i + 1].content)
            if title:
                found.append((tok.map[0], int(tok.tag[1:]), title))
    return found


def _rendered_document(text: str) -> Document:
    """Mostly-HTML markdown rendered to one page and read by the HTML loader (its headings become sections)."""
    from dataclasses import replace

    from markdown_it import MarkdownIt

    page = html_document(MarkdownIt("commonmark").render(_blank_front_matter(text)))
    return replace(page, kind="markdown")


def markdown_document(text: str) -> Document:
    tokens = _block_tokens(text)
    if html_share(text, tokens) >= HTML_SHARE:
        return _rendered_document(text)
    starts = line_starts(text)
    trail = HeadingTrail()
    boundaries: list[tuple[int, tuple[str, ...]]] = [(0, ())]
    for line, level, title in find_headings(text, tokens):
        boundaries.append((starts[min(line, len(starts) - 1)], trail.push(level, title)))
    return Document(text=text, sections=sections_between(boundaries, len(text)), kind="markdown")


def load(path: Path, max_bytes: int) -> Document:
    decoded = read_text(path, max_bytes)
    return markdown_document(decoded.text).with_notes(decoded.notes)

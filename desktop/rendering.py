"""Answer Markdown -> safe HTML for Qt rich text, with [n] citations turned into cite: links; highlighted passages."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from desktop.i18n import translate
from engine import Hit, best_snippet, highlight_spans

CITE_SCHEME = "cite"
SETTINGS_LINK = "settings:"
HIGHLIGHT = "#ffe58a"  # desktop.theme.highlight_color() for the light palette

# [1], [1, 3], [1-3] and full-width brackets (CJK answers use them); the numbers inside become links.
_MARKER_RE = re.compile(r"([\[［【])(\s*\d{1,4}(?:\s*[,，、;\-–]\s*\d{1,4})*\s*)([\]］】])")
_NUMBER_RE = re.compile(r"\d{1,4}")
_TAG_RE = re.compile(r"(<[^>]+>)")
_NO_LINK_TAGS = ("pre", "code", "a")


@cache
def _markdown():
    from markdown_it import MarkdownIt

    # Raw HTML off: answer text comes from a model that read untrusted documents.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")


def cite_href(turn: int, number: int) -> str:
    return f"{CITE_SCHEME}:{turn}:{number}"


def parse_cite(href: str) -> tuple[int, int] | None:
    parts = href.split(":")
    if len(parts) == 3 and parts[0] == CITE_SCHEME and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[1]), int(parts[2])
    return None


def _link_numbers(marker: re.Match[str], turn: int, limit: int) -> str:
    def link(num: re.Match[str]) -> str:
        n = int(num.group(0))
        return f'<a href="{cite_href(turn, n)}">{n}</a>' if 1 <= n <= limit else num.group(0)

    return marker.group(1) + _NUMBER_RE.sub(link, marker.group(2)) + marker.group(3)


def link_citations(fragment: str, turn: int, limit: int) -> str:
    """Turn [n] markers in an HTML fragment's text (not inside code or links) into cite: links."""
    out: list[str] = []
    depth = 0
    for part in _TAG_RE.split(fragment):
        if part.startswith("<") and part.endswith(">"):
            name = part.strip("</>").split()[0].lower() if part.strip("</>") else ""
            if name in _NO_LINK_TAGS:
                depth += -1 if part.startswith("</") else 1
            out.append(part)
        elif depth <= 0:
            out.append(_MARKER_RE.sub(lambda m: _link_numbers(m, turn, limit), part))
        else:
            out.append(part)
    return "".join(out)


def markdown_html(text: str) -> str:
    return _markdown().render(text)


def answer_html(text: str, turn: int, sources: int) -> str:
    """Rendered answer Markdown with clickable citations (numbers beyond the sources stay plain text)."""
    return link_citations(markdown_html(text), turn, sources)


def passages_html(
    hits: Sequence[Hit], turn: int, cited: Sequence[int] = (), query: str = "", color: str = HIGHLIGHT
) -> str:
    """The passage list shown for search-only, abstained and failed answers; each number links to its source.

    Each passage shows its sentence(s) that best match the query, the query's words marked (engine.best_snippet).
    """
    rows = []
    for number, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        where = [f"<b>{html.escape(Path(chunk.path).name)}</b>"]
        if chunk.page is not None:
            where.append(translate("Rendering", "p. {page}").format(page=chunk.page))
        if chunk.headings:
            where.append(html.escape(chunk.heading))
        snippet = best_snippet(query, chunk.text)
        mark = "★ " if number in cited else ""
        rows.append(
            f'<p><a href="{cite_href(turn, number)}">[{number}]</a> {mark}{" · ".join(where)}<br>'
            f"<span>{marked_html(snippet.text, snippet.spans, color)}</span></p>"
        )
    return "".join(rows)


_SOFT_BREAK_RE = re.compile(r"(?<=[^\s.:!?])\n(?=[a-z(\[])")


def reflow(text: str) -> str:
    """Join hard-wrapped lines inside sentences (a break before a lowercase word), keep paragraphs and lists."""
    return _SOFT_BREAK_RE.sub(" ", text)


def marked_html(text: str, spans: Sequence[tuple[int, int]], color: str = HIGHLIGHT) -> str:
    """Text as escaped HTML with the [start, end) spans on a coloured background (spans index the raw text)."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        if start < last:  # overlapping spans never come from the engine; skip rather than mangle the markup
            continue
        out.append(html.escape(text[last:start]))
        out.append(f'<span style="background-color: {color}">{html.escape(text[start:end])}</span>')
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def highlight_html(text: str, query: str, color: str = HIGHLIGHT) -> str:
    """Passage text as HTML (line breaks kept) with the query's words marked, whole words only."""
    return f'<div style="white-space: pre-wrap">{marked_html(text, highlight_spans(text, query), color)}</div>'

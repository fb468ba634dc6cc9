"""Answer Markdown -> safe HTML for Qt rich text, with [n] citations turned into cite: links; highlighted passages."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from desktop.i18n import translate
from engine import Hit

CITE_SCHEME = "cite"
SETTINGS_LINK = "settings:"
SNIPPET_CHARS = 260

# [1], [1, 3], [1-3] and full-width brackets (CJK answers use them); the numbers inside become links.
_MARKER_RE = re.compile(r"([\[［【])(\s*\d{1,4}(?:\s*[,，、;\-–]\s*\d{1,4})*\s*)([\]］】])")
_NUMBER_RE = re.compile(r"\d{1,4}")
_TAG_RE = re.compile(r"(<[^>]+>)")
_NO_LINK_TAGS = ("pre", "code", "a")
_WORD_RE = re.compile(r"[^\W_]{3,}|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{2,}", re.UNICODE)
_STOPWORDS = frozenset(
    "the and for are but not you all any can had her was one our out has his how its may new now see two who "
    "did get let put say she too use what when where which while with this that from have does into about "
    "there their them then than they will would should could been were your".split()
)


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


def passages_html(hits: Sequence[Hit], turn: int, cited: Sequence[int] = ()) -> str:
    """The passage list shown for search-only, abstained and failed answers; each number links to its source."""
    rows = []
    for number, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        where = [f"<b>{html.escape(Path(chunk.path).name)}</b>"]
        if chunk.page is not None:
            where.append(translate("Rendering", "p. {page}").format(page=chunk.page))
        if chunk.headings:
            where.append(html.escape(chunk.heading))
        snippet = " ".join(chunk.text.split())
        if len(snippet) > SNIPPET_CHARS:
            snippet = snippet[: SNIPPET_CHARS - 1].rstrip() + "…"
        mark = "★ " if number in cited else ""
        rows.append(
            f'<p><a href="{cite_href(turn, number)}">[{number}]</a> {mark}{" · ".join(where)}<br>'
            f"<span>{html.escape(snippet)}</span></p>"
        )
    return "".join(rows)


_SOFT_BREAK_RE = re.compile(r"(?<=[^\s.:!?])\n(?=[a-z(\[])")


def reflow(text: str) -> str:
    """Join hard-wrapped lines inside sentences (a break before a lowercase word), keep paragraphs and lists."""
    return _SOFT_BREAK_RE.sub(" ", text)


def query_terms(query: str) -> tuple[str, ...]:
    """Words worth highlighting: 3+ letters (2+ for CJK), no stopwords, longest first."""
    words = {w.lower() for w in _WORD_RE.findall(query) if w.lower() not in _STOPWORDS}
    return tuple(sorted(words, key=len, reverse=True))


def highlight_html(text: str, query: str, color: str = "#ffe58a") -> str:
    """Passage text as HTML (line breaks kept) with the query's words marked."""
    terms = query_terms(query)
    escaped = html.escape(text)
    if terms:
        pattern = re.compile("|".join(re.escape(html.escape(t)) for t in terms), re.IGNORECASE)
        escaped = pattern.sub(lambda m: f'<span style="background-color: {color}">{m.group(0)}</span>', escaped)
    return f'<div style="white-space: pre-wrap">{escaped}</div>'

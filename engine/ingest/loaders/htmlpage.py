"""HTML via selectolax: visible text in blocks, script/style/nav dropped, h1..h6 open sections with a heading trail.

Pathologically nested pages (thousands of unclosed <div>s) are read flat: their container tags become paragraph
breaks before parsing, so the text and headings are kept and only the layout is lost.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.ingest.loaders.builder import DocBuilder, HeadingTrail
from engine.ingest.loaders.fileio import read_bytes
from engine.ingest.sniff import decode_text
from engine.types import Document

DROP = "script, style, nav, noscript, template, svg, head, iframe, object"
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCKS = frozenset(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset figcaption figure footer "
    "form header hgroup hr html li main ol p section summary table tbody thead tfoot tr ul".split()
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
MAX_NESTING = 2000
FLATTENED = f"HTML nested too deeply (over {MAX_NESTING} levels): indexed as flat text"
# Containers whose start tag makes lexbor scan its stack of open elements; p/li/dd/dt close implicitly, so skipped.
_CONTAINERS = (
    "div|section|article|aside|blockquote|table|ul|ol|dl|form|fieldset|figure|header|footer|main|nav"
    "|details|center|address|menu"
)
_NESTING_TAG = re.compile(rf"<(/?)(?:{_CONTAINERS})[\s/>]", re.IGNORECASE)
# A whole container tag, or a table part (ignored outside a table, so its cells would run together), attributes
# included. [^<>]* stops at the next tag, so a '<div' never closed cannot make the scan quadratic.
_FLATTEN_TAG = re.compile(rf"</?(?:{_CONTAINERS}|caption|thead|tbody|tfoot|tr|td|th)(?=[\s/>])[^<>]*>?", re.IGNORECASE)
_CELL = "\x1f"  # marks a table cell start until the line is assembled


def _cells_line(line: str) -> str:
    return " | ".join(cell for cell in (part.strip() for part in line.split(_CELL)) if cell)


def declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii") if m else None


def nesting_depth(markup: str) -> int:
    """Deepest nesting of block containers, estimated from the tags alone (no parse)."""
    depth = deepest = 0
    for m in _NESTING_TAG.finditer(markup):
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def flatten(markup: str) -> str:
    """The markup with every container and table tag turned into a paragraph break: nothing left nests deeply.

    <nav> is one of those containers, so a flattened page's navigation is read with the rest of its text.
    """
    return _FLATTEN_TAG.sub("<p>", markup)


def parse_html(markup: str) -> tuple[Any, tuple[str, ...]]:
    """Parse with lexbor, and notes for the report.

    Pathological nesting is flattened first (lexbor's parse time grows with depth squared), and noted.
    """
    from selectolax.lexbor import LexborHTMLParser

    if nesting_depth(markup) > MAX_NESTING:
        return LexborHTMLParser(flatten(markup)), (FLATTENED,)
    return LexborHTMLParser(markup), ()


def first_heading(tree) -> str | None:
    node = tree.css_first("h1, h2, h3")
    title = " ".join(node.text(separator=" ").split()) if node is not None else ""
    return title or None


def _children(node) -> list:
    out = []
    child = node.child
    while child is not None:
        out.append(child)
        child = child.next
    return out


class _Walker:
    """Walks the DOM without recursion (hostile nesting depth) and feeds a DocBuilder."""

    def __init__(self, builder: DocBuilder, prefix: tuple[str, ...]) -> None:
        self.builder = builder
        self.prefix = prefix
        self.trail = HeadingTrail()
        self.inline: list[str] = []

    def flush(self) -> None:
        if not self.inline:
            return
        lines = (_cells_line(line) for line in "".join(self.inline).split("\n"))
        self.builder.add_block("\n".join(line for line in lines if line))
        self.inline = []

    def headings(self, level: int, title: str) -> tuple[str, ...]:
        own = self.trail.push(level, title)
        if self.prefix and own and own[0] == self.prefix[-1]:
            own = own[1:]  # an EPUB chapter whose first heading repeats its ToC title
        return self.prefix + own

    def enter(self, node) -> bool:
        """Handle a node on the way in; True when its children should be walked too."""
        tag = node.tag
        if tag == "-text":
            self.inline.append(_SPACES.sub(" ", node.text_content or ""))
            return False
        if tag in HEADINGS:
            self.flush()
            title = " ".join(node.text(separator=" ").split())
            if title:
                self.builder.open_section(self.headings(HEADINGS[tag], title))
                self.builder.add_block(title)
            return False
        if tag == "pre":
            self.flush()
            self.builder.add_block(node.text(deep=True).strip("\n"))
            return False
        if tag == "br":
            self.inline.append("\n")
        elif tag in ("td", "th"):
            self.inline.append(_CELL)
        elif tag in BLOCKS:
            self.flush()
        return not tag.startswith("-")

    def walk(self, root) -> None:
        stack: list[tuple[Any, bool]] = [(root, False)]  # selectolax nodes
        while stack:
            node, leaving = stack.pop()
            if leaving:
                if node.tag in BLOCKS:
                    self.flush()
                continue
            if self.enter(node):
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(_children(node)))
        self.flush()


def add_html(tree, builder: DocBuilder, prefix: tuple[str, ...] = ()) -> None:
    """Append the visible text of a parsed page to `builder`, headings prefixed by `prefix`."""
    title_node = tree.css_first("head > title")
    title = " ".join(title_node.text().split()) if title_node is not None else ""
    for node in tree.css(DROP):
        node.decompose()
    root = tree.body or tree.root
    if root is None:
        return
    if title and not prefix and tree.css_first("h1") is None:
        builder.add_block(title)
    _Walker(builder, prefix).walk(root)


def html_document(markup: str) -> Document:
    builder = DocBuilder()
    tree, notes = parse_html(markup)
    add_html(tree, builder)
    return builder.build("html").with_notes(notes)


def load(path: Path, max_bytes: int) -> Document:
    data = read_bytes(path, max_bytes)
    decoded = decode_text(data, hint=declared_charset(data))
    return html_document(decoded.text).with_notes(decoded.notes)

"""DOCX via python-docx: paragraphs and tables in body order; Title / Heading N styles give the heading trail."""

from __future__ import annotations

import re
from pathlib import Path

from engine.errors import LoaderError
from engine.ingest.loaders.builder import DocBuilder, HeadingTrail
from engine.ingest.loaders.zipguard import check_zip
from engine.types import Document

_HEADING_STYLE = re.compile(r"heading\s*([1-9])", re.IGNORECASE)


def heading_level(style_name: str | None) -> int | None:
    """0 for Title, N for 'Heading N', None for body text."""
    if not style_name:
        return None
    name = style_name.strip()
    if name.lower() == "title":
        return 0
    m = _HEADING_STYLE.fullmatch(name)
    return int(m.group(1)) if m else None


def style_level(style) -> int | None:
    """Heading level of a paragraph style, following base styles (a custom style based on Heading 2 is one)."""
    for _ in range(8):
        if style is None:
            return None
        level = heading_level(style.name)
        if level is not None:
            return level
        style = style.base_style
    return None


def table_text(table) -> str:
    """One line per row, cells joined by ' | '; merged cells (repeated by python-docx) appear once."""
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = " ".join(cell.text.split())
            if text:
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return "\n".join(lines)


def _open(path: Path):
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, SyntaxError) as exc:
        # lxml's XMLSyntaxError derives from SyntaxError
        raise LoaderError(f"corrupt DOCX ({type(exc).__name__}: {exc})"[:200]) from exc


def docx_document(document) -> Document:
    from docx.table import Table

    builder = DocBuilder()
    trail = HeadingTrail()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            builder.add_block(table_text(block))
            continue
        text = block.text.strip()
        level = style_level(block.style)
        if level is not None and text:
            builder.open_section(trail.push(level, " ".join(text.split())))
        builder.add_block(text)
    return builder.build("docx")


def load(path: Path, max_bytes: int) -> Document:
    names = check_zip(path, max_bytes, "DOCX")
    if "word/document.xml" not in names:
        raise LoaderError("corrupt DOCX (no word/document.xml inside)")
    return docx_document(_open(path))

"""EPUB via ebooklib: chapters in spine order, each parsed as HTML under its ToC title."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from engine.errors import LoaderError, SkipFile
from engine.ingest.loaders.builder import DocBuilder
from engine.ingest.loaders.htmlpage import add_html, first_heading, parse_html
from engine.ingest.loaders.zipguard import check_zip
from engine.ingest.sniff import decode_text
from engine.types import Document

_ENCRYPTED_CONTENT = re.compile(rb"""CipherReference[^>]+URI\s*=\s*["'][^"']+\.(x?html?|xml)["']""", re.IGNORECASE)


def _check_drm(path: Path, names: list[str]) -> None:
    """Font obfuscation also uses encryption.xml; only encrypted content documents mean DRM."""
    if "META-INF/encryption.xml" not in names:
        return
    with zipfile.ZipFile(path) as zf:
        data = zf.read("META-INF/encryption.xml")
    if _ENCRYPTED_CONTENT.search(data):
        raise LoaderError("encrypted EPUB (DRM-protected)")


def _toc_titles(toc, out: dict[str, str]) -> dict[str, str]:
    """Map each ToC target file (fragment dropped) to its first title."""
    for entry in toc or ():
        if isinstance(entry, (tuple, list)) and len(entry) == 2:
            section, children = entry
            _toc_titles([section], out)
            _toc_titles(children, out)
            continue
        href, title = getattr(entry, "href", None), getattr(entry, "title", None)
        if href and title:
            out.setdefault(href.split("#", 1)[0], " ".join(str(title).split()))
    return out


def _read_book(path: Path):
    from ebooklib import epub

    try:
        return epub.read_epub(str(path), options={"ignore_ncx": False})
    except (epub.EpubException, KeyError, ValueError, SyntaxError, zipfile.BadZipFile, AttributeError) as exc:
        raise LoaderError(f"corrupt EPUB ({type(exc).__name__}: {exc})"[:200]) from exc


def _chapters(book):
    import ebooklib
    from ebooklib import epub

    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or isinstance(item, epub.EpubNav) or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        yield item


def epub_document(book) -> Document:
    titles = _toc_titles(book.toc, {})
    builder = DocBuilder()
    notes: dict[str, None] = {}  # in order, each once
    for item in _chapters(book):
        try:
            decoded = decode_text(item.get_content())
        except SkipFile:
            continue
        tree, parse_notes = parse_html(decoded.text)
        notes.update(dict.fromkeys(f"{item.get_name()}: {note}" for note in decoded.notes + parse_notes))
        title = titles.get(item.get_name()) or first_heading(tree)
        prefix = (title,) if title else ()
        builder.open_section(prefix)
        add_html(tree, builder, prefix)
    return builder.build("epub").with_notes(tuple(notes))


def load(path: Path, max_bytes: int) -> Document:
    names = check_zip(path, max_bytes, "EPUB")
    _check_drm(path, names)
    return epub_document(_read_book(path))

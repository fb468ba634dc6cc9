"""Which loader reads which file suffix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.ingest.loaders import epub, htmlpage, markdown, pdf, rst, tabular, text, word
from engine.types import Document

LoadFn = Callable[[Path, int], Document]

CODE_SUFFIXES = (
    ".py .js .ts .tsx .jsx .go .rs .java .c .cpp .cc .h .hpp .cs .rb .php .swift .kt .scala .sh .bash .zsh .ps1 "
    ".sql .json .yaml .yml .toml .ini .cfg .conf .xml .css .scss .lua .r .m .pl"
).split()


@dataclass(frozen=True)
class Format:
    """A loader family: the Document.kind it produces and the function that reads a path (with a byte cap)."""

    kind: str
    load: LoadFn


_FORMATS: dict[str, Format] = {}


def _register(fmt: Format, *suffixes: str) -> None:
    for suffix in suffixes:
        _FORMATS[suffix] = fmt


_register(Format("markdown", markdown.load), ".md", ".markdown", ".mdx")
_register(Format("text", text.load_text), ".txt", ".text", ".log")
_register(Format("rst", rst.load), ".rst")
_register(Format("pdf", pdf.load), ".pdf")
_register(Format("docx", word.load), ".docx")
_register(Format("html", htmlpage.load), ".html", ".htm")
_register(Format("epub", epub.load), ".epub")
_register(Format("csv", tabular.load), ".csv", ".tsv")
_register(Format("code", text.load_code), *CODE_SUFFIXES)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMATS)


def format_for(path: Path) -> Format | None:
    return _FORMATS.get(path.suffix.lower())

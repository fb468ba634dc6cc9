"""PDF via pypdfium2: the text of each page is one section with its 1-based page number."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from engine.errors import LoaderError, SkipFile
from engine.ingest.loaders.builder import DocBuilder
from engine.types import Document

# PDFium is not thread-safe; one document at a time in this process.
_PDFIUM_LOCK = threading.Lock()
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# FPDF_GetLastError codes
_ERR_FILE, _ERR_FORMAT, _ERR_PASSWORD, _ERR_SECURITY = 2, 3, 4, 5


def clean_page_text(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _has_eof_marker(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 2048))
        return b"%%EOF" in fh.read()


def _open_error(path: Path, exc: Exception) -> LoaderError:
    code = getattr(exc, "err_code", None)
    if code == _ERR_PASSWORD:
        return LoaderError("encrypted PDF (password required)")
    if code == _ERR_SECURITY:
        return LoaderError("encrypted PDF (unsupported security handler)")
    if code == _ERR_FORMAT:
        if not _has_eof_marker(path):
            return LoaderError("truncated PDF (the file is incomplete)")
        return LoaderError("corrupt PDF (unreadable structure)")
    if code == _ERR_FILE:
        return LoaderError("cannot open PDF file")
    return LoaderError(f"corrupt PDF ({exc})")


def _page_texts(pdf) -> list[str]:
    import pypdfium2 as pdfium

    texts: list[str] = []
    for index in range(len(pdf)):
        try:
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                texts.append(clean_page_text(textpage.get_text_range()))
                textpage.close()
            finally:
                page.close()
        except pdfium.PdfiumError:
            texts.append("")  # one broken page should not lose the rest of the document
    return texts


def load(path: Path, max_bytes: int) -> Document:
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            raise _open_error(path, exc) from exc
        try:
            texts = _page_texts(pdf)
        finally:
            pdf.close()
    if not texts:
        raise LoaderError("corrupt PDF (no pages)")
    builder = DocBuilder()
    for number, text in enumerate(texts, start=1):
        builder.open_section(page=number)
        builder.add_block(text.strip("\n"))
    doc = builder.build("pdf")
    if not doc.text.strip():
        raise SkipFile("no extractable text (scanned or image-only PDF?)")
    return doc

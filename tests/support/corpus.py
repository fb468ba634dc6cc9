"""Write test documents of every supported format, and a corpus of hostile files, into a folder.

Each good file carries marker words; EXPECTED says which heading trail (and PDF page) each marker must land in.
HOSTILE_EXPECTED says what load_document must do with each hostile file: ("skip" | "error", key words) or
("ok", a marker the text must contain); HOSTILE_NOTES, the note an "ok" file's Document (and report) carries.
"""

from __future__ import annotations

import os
import random
import struct
import zipfile
import zlib
from pathlib import Path

MARKDOWN = """\
---
title: Front matter title
tags: [a, b]
---

Intro before any heading mdpreamble.

# Guide

Guide intro mdguide.

```
# not a heading mdfence
```

## Install `pkg`

Install the package mdinstall.

Setext Heading
--------------

Setext body mdsetext.

### Deep *nested* title

Deep body mddeep.

# Second

Second body mdsecond.
"""

RST = """\
==========
Doc Title
==========

Intro text rstintro.

Section A
=========

Body of A rsta.

Sub A1
------

Body of A1 rstsub.

::

    indented literal
    ----------------

Section B
=========

Body of B rstb.
"""

HTML = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Test page</title>
<style>body { color: red } stylemarker</style>
<script>var scriptmarker = 1;</script></head>
<body>
<nav><a href="/">navmarker home</a></nav>
<h1>Page Title</h1>
<p>Intro paragraph htmlintro with <b>bold</b> and an entity: fish &amp; chips.</p>
<h2>Section One</h2>
<p>First section htmlone.<br>After a line break.</p>
<pre>def f():
    return "htmlpre"</pre>
<table><tr><th>Key</th><th>Value</th></tr><tr><td>colour</td><td>htmlcell</td></tr></table>
<h3>Sub Section</h3>
<ul><li>item htmlsub one</li><li>item two</li></ul>
<h2>Section Two</h2>
<div>Second section htmltwo.</div>
</body></html>
"""

TEXT = "Plain text file txtmarker.\nSecond line of the text.\n"
CSV = 'name,city,note\nAlice,Paris,csvalice\nBob,Tokyo,"quoted, with comma csvbob"\n'
TSV = "term\tdefinition\nvector\ttsvvector is a list of numbers\n"
CODE = {
    "example.py": 'def hello():\n    """Say hello."""\n    return "codepython"\n',
    "settings.yaml": "server:\n  host: localhost\n  name: codeyaml\n",
    "data.json": '{"name": "codejson", "items": [1, 2, 3]}\n',
    "Main.java": 'class Main { public static void main(String[] a) { System.out.println("codejava"); } }\n',
}
PDF_PAGES = (
    "First page pdfpageone about vector databases.",
    "Second page pdfpagetwo.\nIt has a second line.",
    "Third page pdfpagethree closes the document.",
)

# key -> [(marker, heading trail, page)]
EXPECTED: dict[str, list[tuple[str, tuple[str, ...], int | None]]] = {
    "md": [
        ("mdpreamble", (), None),
        ("mdguide", ("Guide",), None),
        ("mdfence", ("Guide",), None),
        ("mdinstall", ("Guide", "Install pkg"), None),
        ("mdsetext", ("Guide", "Setext Heading"), None),
        ("mddeep", ("Guide", "Setext Heading", "Deep nested title"), None),
        ("mdsecond", ("Second",), None),
    ],
    "rst": [
        ("rstintro", ("Doc Title",), None),
        ("rsta", ("Doc Title", "Section A"), None),
        ("rstsub", ("Doc Title", "Section A", "Sub A1"), None),
        ("indented literal", ("Doc Title", "Section A", "Sub A1"), None),
        ("rstb", ("Doc Title", "Section B"), None),
    ],
    "html": [
        ("htmlintro", ("Page Title",), None),
        ("fish & chips", ("Page Title",), None),
        ("htmlone", ("Page Title", "Section One"), None),
        ("htmlpre", ("Page Title", "Section One"), None),
        ("htmlcell", ("Page Title", "Section One"), None),
        ("htmlsub", ("Page Title", "Section One", "Sub Section"), None),
        ("htmltwo", ("Page Title", "Section Two"), None),
    ],
    "docx": [
        ("docxintro", ("Report",), None),
        ("docxa", ("Report", "Chapter A"), None),
        ("docxdetail", ("Report", "Chapter A", "Detail"), None),
        ("docxcell", ("Report", "Chapter A", "Detail"), None),
        ("docxb", ("Report", "Chapter B"), None),
    ],
    "epub": [
        ("epubone", ("Chapter One",), None),
        ("epubscene", ("Chapter One", "Scene"), None),
        ("epubtwo", ("Chapter Two",), None),
    ],
    "pdf": [("pdfpageone", (), 1), ("pdfpagetwo", (), 2), ("pdfpagethree", (), 3)],
    "txt": [("txtmarker", (), None)],
    "csv": [("csvalice", (), None), ("csvbob", (), None)],
    "tsv": [("tsvvector", (), None)],
    "py": [("codepython", (), None)],
    "yaml": [("codeyaml", (), None)],
    "json": [("codejson", (), None)],
    "java": [("codejava", (), None)],
}
KINDS = {
    "md": "markdown", "rst": "rst", "html": "html", "docx": "docx", "epub": "epub", "pdf": "pdf", "txt": "text",
    "csv": "csv", "tsv": "csv", "py": "code", "yaml": "code", "json": "code", "java": "code",
}  # fmt: skip


def write_pdf(path: Path, pages: tuple[str, ...] = PDF_PAGES, *, user_password: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    path.write_bytes(bytes(pdf.output()))
    return path


def write_image_only_pdf(path: Path) -> Path:
    """A page with drawings but no text, like a scan."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(30, 30, 30)
    pdf.rect(20, 20, 100, 60, style="F")
    path.write_bytes(bytes(pdf.output()))
    return path


def write_docx(path: Path) -> Path:
    import docx

    doc = docx.Document()
    doc.add_heading("Report", 0)
    doc.add_paragraph("Opening words docxintro.")
    doc.add_heading("Chapter A", 1)
    doc.add_paragraph("Chapter A body docxa.")
    doc.add_heading("Detail", 2)
    doc.add_paragraph("Detail body docxdetail.")
    table = doc.add_table(rows=2, cols=2)
    for r, row in enumerate((("Name", "Value"), ("docxcell", "42"))):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    doc.add_heading("Chapter B", 1)
    doc.add_paragraph("Chapter B body docxb.")
    doc.save(str(path))
    return path


def write_epub(path: Path) -> Path:
    """Two chapters; added to the book in reverse order so that only the spine gives the reading order."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("tansaku-test")
    book.set_title("Test Book")
    book.set_language("en")
    one = epub.EpubHtml(title="Chapter One", file_name="one.xhtml", lang="en")
    one.content = "<h1>Chapter One</h1><p>Opening epubone.</p><h2>Scene</h2><p>Scene text epubscene.</p>"
    two = epub.EpubHtml(title="Chapter Two", file_name="two.xhtml", lang="en")
    two.content = "<p>Untitled page epubtwo.</p>"
    book.add_item(two)
    book.add_item(one)
    book.toc = (epub.Link("one.xhtml", "Chapter One", "one"), epub.Link("two.xhtml", "Chapter Two", "two"))
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", one, two]
    epub.write_epub(str(path), book)
    return path


def write_corpus(folder: Path) -> dict[str, Path]:
    """One file per EXPECTED key; returns key -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "md": folder / "guide.md",
        "rst": folder / "manual.rst",
        "html": folder / "page.html",
        "txt": folder / "notes.txt",
        "csv": folder / "people.csv",
        "tsv": folder / "terms.tsv",
    }
    for key, content in (("md", MARKDOWN), ("rst", RST), ("html", HTML), ("txt", TEXT), ("csv", CSV), ("tsv", TSV)):
        paths[key].write_text(content, encoding="utf-8")
    paths["pdf"] = write_pdf(folder / "paper.pdf")
    paths["docx"] = write_docx(folder / "report.docx")
    paths["epub"] = write_epub(folder / "book.epub")
    for name, content in CODE.items():
        key = {"example.py": "py", "settings.yaml": "yaml", "data.json": "json", "Main.java": "java"}[name]
        paths[key] = folder / name
        paths[key].write_text(content, encoding="utf-8")
    return paths


# ---------------------------------------------------------------------------------------------------- hostile files

HOSTILE_EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "empty": ("skip", ("empty",)),
    "whitespace": ("skip", ("no text",)),
    "binary_txt": ("skip", ("binary",)),
    "binary_md": ("skip", ("binary",)),
    "latin1": ("ok", ("Café crème brûlée",)),
    "bad_utf8": ("ok", ("hostilebadutf8", "naïve")),
    "utf16": ("ok", ("hostileutf16", "日本語")),
    "huge": ("skip", ("larger than",)),
    "encrypted_pdf": ("error", ("encrypted", "password")),
    "truncated_pdf": ("error", ("truncated",)),
    "scanned_pdf": ("skip", ("no extractable text",)),
    "corrupt_docx": ("error", ("corrupt",)),
    "zip_bomb_docx": ("error", ("zip bomb",)),
    "encrypted_docx": ("error", ("password-protected",)),
    "drm_epub": ("error", ("encrypted EPUB", "DRM")),
    "symlink_loop": ("error", ("symlink loop",)),
    "dangling_link": ("error", ("not found",)),
    "no_permission": ("error", ("permission denied",)),
    "fifo": ("skip", ("not a regular file",)),
    "directory": ("skip", ("not a regular file",)),
    "unsupported": ("skip", ("unsupported",)),
    "spaces_name": ("ok", ("hostilespaces",)),
    "unicode_name": ("ok", ("hostileunicode",)),
    "newline_name": ("ok", ("hostilenewline",)),
    "deep_html": ("ok", ("hostiledeep",)),
    "stray_nuls": ("ok", ("hostilenuls", "Export")),
    "nul_heavy": ("skip", ("binary file (not text)",)),
    "stored_zip": ("skip", ("binary file (not text)",)),
}
# Files read in spite of a defect, and the words of the note that says so; other "ok" files carry no note.
HOSTILE_NOTES: dict[str, str] = {
    "deep_html": "HTML nested too deeply",
    "stray_nuls": "10 stray NUL bytes removed",
}


def _deflate_bomb(prefix: bytes, filler: bytes, repeats: int, suffix: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of prefix + filler*repeats + suffix, built from one compressed filler block repeated.

    After a full flush the compressor forgets its history, so every filler block compresses to the same bytes.
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = comp.compress(prefix) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(filler) + comp.flush(zlib.Z_FULL_FLUSH)
    assert block == comp.compress(filler) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.compress(suffix) + comp.flush()
    crc = zlib.crc32(prefix)
    for _ in range(repeats):
        crc = zlib.crc32(filler, crc)
    crc = zlib.crc32(suffix, crc)
    return head + block * repeats + tail, crc, len(prefix) + len(filler) * repeats + len(suffix)


def _write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """A zip of already-deflated members: (name, raw deflate data, crc32, uncompressed size)."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0,
            0, offset,
        )  # fmt: skip
        central += encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))


def _small_member(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    return name, comp.compress(data) + comp.flush(), zlib.crc32(data), len(data)


def write_zip_bomb_docx(path: Path, unpacked_mib: int = 1030) -> Path:
    """A DOCX-shaped zip whose word/document.xml inflates to `unpacked_mib` MiB (over 1 GB by default)."""
    content_types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    prefix = (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
        b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
    )
    suffix = b"</w:t></w:r></w:p></w:body></w:document>"
    data, crc, size = _deflate_bomb(prefix, b" " * (1 << 20), unpacked_mib, suffix)
    members = [
        _small_member("[Content_Types].xml", content_types),
        _small_member("_rels/.rels", rels),
        ("word/document.xml", data, crc, size),
    ]
    _write_zip(path, members)
    return path


def _write_binary_files(folder: Path, rng: random.Random) -> dict[str, Path]:
    png = folder / "picture.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(4096))
    no_nuls = folder / "garbage.md"
    no_nuls.write_bytes(bytes(b or 1 for b in rng.randbytes(4096)))
    # Text with every third byte NUL (30%): far more than stray bytes, so binary.
    nul_heavy = folder / "nul heavy.md"
    nul_heavy.write_bytes(
        b"".join(bytes([b, c, 0]) for b, c in zip(b"plain words " * 200, b"more words " * 200, strict=False))
    )
    # A zip of one stored (uncompressed) text file: its few NULs are the zip's own headers.
    stored = folder / "archive.txt"
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("notes.txt", "Readable words inside a stored zip member. " * 100)
    return {"binary_txt": png, "binary_md": no_nuls, "nul_heavy": nul_heavy, "stored_zip": stored}


def with_stray_nuls(text: str, count: int, rng: random.Random) -> bytes:
    """`text` as UTF-8 with `count` NUL bytes put between characters at random places (as broken exports do)."""
    spots = sorted(rng.sample(range(1, len(text)), count))
    pieces = [text[a:b] for a, b in zip([0, *spots], [*spots, len(text)], strict=True)]
    return b"\x00".join(piece.encode("utf-8") for piece in pieces)


STRAY_NULS_MARKDOWN = (
    "# Export hostilenuls\n\nNotes exported from an old wiki; the exporter left NUL bytes here and there.\n\n"
    + "".join(
        f"## Part {n}\n\nParagraph {n} keeps its words intact: séance, naïve, 日本語 and plain ASCII alike.\n\n"
        for n in range(1, 15)
    )
)


def _write_encoding_files(folder: Path) -> dict[str, Path]:
    latin1 = folder / "latin1.txt"
    latin1.write_bytes(("Menu: Café crème brûlée, naïve façade, déjà vu.\n" * 20).encode("cp1252"))
    bad = folder / "bad utf8.txt"
    bad.write_bytes(("A naïve café résumé hostilebadutf8 — ok. " * 10).encode() + b"\xff\xfe broken \xc3(\n")
    utf16 = folder / "utf16.txt"
    utf16.write_text("UTF-16 text hostileutf16 with 日本語 and ümlauts.\n" * 5, encoding="utf-16")
    return {"latin1": latin1, "bad_utf8": bad, "utf16": utf16}


def _write_pdfs(folder: Path) -> dict[str, Path]:
    encrypted = write_pdf(folder / "encrypted.pdf", user_password="secret")
    good = write_pdf(folder / "to-truncate.pdf").read_bytes()
    truncated = folder / "truncated.pdf"
    truncated.write_bytes(good[: len(good) * 6 // 10])
    (folder / "to-truncate.pdf").unlink()
    scanned = write_image_only_pdf(folder / "scanned.pdf")
    return {"encrypted_pdf": encrypted, "truncated_pdf": truncated, "scanned_pdf": scanned}


def write_drm_epub(path: Path) -> Path:
    """An EPUB whose META-INF/encryption.xml says a chapter is encrypted (what DRM-protected books carry)."""
    import zipfile

    write_epub(path)
    encryption = (
        '<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:CipherData>'
        '<enc:CipherReference URI="EPUB/one.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>'
    )
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("META-INF/encryption.xml", encryption)
    return path


def _write_special_files(folder: Path) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    loop_a, loop_b = folder / "loop_a.md", folder / "loop_b.md"
    os.symlink(loop_b.name, loop_a)
    os.symlink(loop_a.name, loop_b)
    paths["symlink_loop"] = loop_a
    paths["dangling_link"] = folder / "dangling.md"
    os.symlink("no-such-target.md", paths["dangling_link"])
    secret = folder / "secret.txt"
    secret.write_text("Secret text hostilesecret.\n", encoding="utf-8")
    secret.chmod(0)
    paths["no_permission"] = secret
    if hasattr(os, "mkfifo"):
        paths["fifo"] = folder / "pipe.txt"
        os.mkfifo(paths["fifo"])
    paths["directory"] = folder / "folder.md"
    paths["directory"].mkdir()
    return paths


def write_hostile_corpus(folder: Path, *, huge_bytes: int = 3 * 1024 * 1024) -> dict[str, Path]:
    """Write the hostile files; returns HOSTILE_EXPECTED key -> path (no "fifo" where mkfifo is missing).

    Load them with a max_bytes between 1.2 MB (the zip bomb's packed size) and `huge_bytes`, so that the huge
    file is refused by the cap while the bomb still reaches the zip checks.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(8)
    paths: dict[str, Path] = {}
    paths["empty"] = folder / "empty.txt"
    paths["empty"].write_bytes(b"")
    paths["whitespace"] = folder / "blank.md"
    paths["whitespace"].write_text("\n   \n\t\n", encoding="utf-8")
    paths.update(_write_binary_files(folder, rng))
    paths.update(_write_encoding_files(folder))
    paths["huge"] = folder / "huge.log"
    line = b"2024-01-01 12:00:00 INFO a long and boring log line that repeats\n"
    paths["huge"].write_bytes(line * (huge_bytes // len(line) + 1))
    paths.update(_write_pdfs(folder))
    paths["corrupt_docx"] = folder / "corrupt.docx"
    paths["corrupt_docx"].write_bytes(b"PK\x03\x04" + rng.randbytes(2048))
    paths["zip_bomb_docx"] = write_zip_bomb_docx(folder / "bomb.docx")
    # Office encrypts a password-protected .docx into an OLE compound file, not a zip.
    paths["encrypted_docx"] = folder / "locked.docx"
    paths["encrypted_docx"].write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    paths["drm_epub"] = write_drm_epub(folder / "drm.epub")
    paths.update(_write_special_files(folder))
    paths["unsupported"] = folder / "program.exe"
    paths["unsupported"].write_bytes(b"MZ\x90\x00" + rng.randbytes(512))
    named = {
        "spaces_name": ("name with  spaces .md", "hostilespaces"),
        "unicode_name": ("日本語のメモ-ü.md", "hostileunicode"),
        "newline_name": ("line\nbreak.txt", "hostilenewline"),
    }
    for key, (name, marker) in named.items():
        paths[key] = folder / name
        paths[key].write_text(f"# Note\n\nA file with an odd name {marker}.\n", encoding="utf-8")
    paths["deep_html"] = folder / "deep.html"
    paths["deep_html"].write_text("<div>" * 20000 + "hostiledeep" + "</div>" * 20000, encoding="utf-8")
    paths["stray_nuls"] = folder / "export with nuls.md"
    paths["stray_nuls"].write_bytes(with_stray_nuls(STRAY_NULS_MARKDOWN, 10, rng))
    return paths

"""Files with recoverable text: stray NULs dropped and deep HTML read flat, each with a note; binary stays skipped."""

from __future__ import annotations

import gzip
import random
import zipfile
from pathlib import Path

import pytest

from engine.errors import SkipFile
from engine.ingest.loaders import load_document
from engine.ingest.loaders.epub import epub_document
from engine.ingest.loaders.htmlpage import FLATTENED
from engine.ingest.sniff import decode_text
from tests.support.corpus import STRAY_NULS_MARKDOWN, with_stray_nuls

pytestmark = pytest.mark.timeout(60)

BINARY = "binary file (not text)"


def test_markdown_export_with_stray_nuls_reads_without_them(tmp_path: Path) -> None:
    path = tmp_path / "export.md"
    path.write_bytes(with_stray_nuls(STRAY_NULS_MARKDOWN, 10, random.Random(3)))
    assert 1400 < path.stat().st_size < 1500  # the reported file: 1.4 kB, NULs about 0.7% of it
    doc = load_document(path)
    assert doc.kind == "markdown"
    assert doc.text == STRAY_NULS_MARKDOWN
    assert doc.notes == ("10 stray NUL bytes removed",)
    offset = doc.text.index("Paragraph 3 ")
    section = next(s for s in doc.sections if s.start <= offset < s.end)
    assert section.headings == ("Export hostilenuls", "Part 3")


@pytest.mark.parametrize("name", ["note.txt", "table.csv", "manual.rst", "script.py"])
def test_one_stray_nul_in_any_text_format(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"Title\n=====\n\nname,count\nhostileone,1\x00\n" + b"naive,2\n" * 10)
    doc = load_document(path)
    assert "\x00" not in doc.text and "hostileone" in doc.text
    assert doc.notes == ("1 stray NUL byte removed",)


def test_nul_padding_past_the_sniffed_start_is_dropped_too(tmp_path: Path) -> None:
    """A log cut short by a crash: good text, then the NULs the file system padded it with."""
    text = "".join(f"2024-01-01 12:00:{n % 60:02d} INFO request {n} served\n" for n in range(400))
    path = tmp_path / "server.log"
    path.write_bytes(text.encode() + bytes(4096))
    doc = load_document(path)
    assert doc.text == text
    assert doc.notes == ("4,096 stray NUL bytes removed",)


def test_clean_text_and_utf16_without_bom_carry_no_note(tmp_path: Path) -> None:
    plain = tmp_path / "plain.md"
    plain.write_text("# Plain\n\nNothing wrong here.\n", encoding="utf-8")
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("UTF-16 without a BOM: héllo wörld 日本語.\n".encode("utf-16-le") * 20)
    assert load_document(plain).notes == ()
    doc = load_document(utf16)
    assert doc.text.startswith("UTF-16 without a BOM: héllo wörld 日本語.\n") and doc.notes == ()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_stray_nuls_after_a_bom(encoding: str) -> None:
    text = "A sentence that says hello to the world. " * 30
    data = (text[:100] + "\x00" + text[100:] + "\x00").encode(encoding)
    decoded = decode_text(data)
    assert decoded.text == text and decoded.notes == ("2 stray NUL bytes removed",)


def _zip(path: Path, method: int) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr("notes.txt", "Readable words inside a zip member. " * 200)
        zf.writestr("more.txt", "And another member with words. " * 100)
    return path


def _binary_files(folder: Path) -> dict[str, Path]:
    rng = random.Random(13)
    files = {
        "png.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(6000),
        "random.md": rng.randbytes(6000),  # NULs about 1/256 of it, like any compressed data
        "elf.txt": b"\x7fELF\x02\x01\x01" + bytes(57) + rng.randbytes(800) + bytes(3000),
        "nul30.md": bytes(b if rng.random() > 0.3 else 0 for b in b"Plain words that read as text. " * 200),
        "mostly_nuls.txt": b"# Title\n\nA little text.\n" + bytes(6000),
        "archive.gz.txt": gzip.compress(b"Compressed words. " * 500),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    paths["stored.zip.md"] = _zip(folder / "stored.zip.md", zipfile.ZIP_STORED)
    paths["deflated.zip.txt"] = _zip(folder / "deflated.zip.txt", zipfile.ZIP_DEFLATED)
    return paths


@pytest.mark.parametrize(
    "name",
    [
        "png.txt",
        "random.md",
        "elf.txt",
        "nul30.md",
        "mostly_nuls.txt",
        "archive.gz.txt",
        "stored.zip.md",
        "deflated.zip.txt",
    ],
)
def test_binary_files_are_still_skipped_as_binary(tmp_path: Path, name: str) -> None:
    path = _binary_files(tmp_path)[name]
    with pytest.raises(SkipFile) as caught:
        load_document(path)
    assert str(caught.value) == BINARY


def test_html_nested_thousands_deep_reads_flat(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    path.write_text(
        "<html><head><title>Deep page</title><style>p { color: red }</style></head><body>"
        + '<div class="wrap">' * 5000
        + "<h2>Plain heading</h2><p>Its text is plain to see hostiledeep.</p>"
        + '<script>var s = "<div>scriptwords</div>";</script>'
        + "<table><tr><td>cell one<td>cell two</tr></table><ul><li>item one<li>item two</ul>",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.notes == (FLATTENED,) and "HTML nested too deeply" in FLATTENED
    assert "Its text is plain to see hostiledeep." in doc.text
    for hidden in ("scriptwords", "color: red", "wrap"):
        assert hidden not in doc.text
    for separate in ("cell one", "cell two", "item one", "item two"):
        assert separate in doc.text.split("\n")
    offset = doc.text.index("hostiledeep")
    assert next(s for s in doc.sections if s.start <= offset < s.end).headings == ("Plain heading",)


def test_html_with_ordinary_nesting_carries_no_note(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<div>" * 500 + "<p>deep words</p>" + "</div>" * 500, encoding="utf-8")
    doc = load_document(path)
    assert doc.text == "deep words" and doc.notes == ()


def test_epub_chapter_nested_too_deeply_reads_flat_and_says_which() -> None:
    from ebooklib import epub

    book = epub.EpubBook()
    deep = epub.EpubHtml(uid="deep", file_name="deep.xhtml", title="Deep")
    raw = ("<html><body>" + "<div>" * 5000 + "<p>epubdeep words</p></body></html>").encode()
    deep.get_content = lambda default=None: raw  # ebooklib's own re-serialising would cut the nesting short
    book.add_item(deep)
    book.spine = [("deep", "yes")]
    doc = epub_document(book)
    assert "epubdeep words" in doc.text
    assert doc.notes == (f"deep.xhtml: {FLATTENED}",)

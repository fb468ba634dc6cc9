"""Loaders: every format the corpus writes loads with the right text, sections, pages and heading trails."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from engine.errors import LoaderError, SkipFile
from engine.ingest.loaders import is_supported, load_document, supported_suffixes
from engine.ingest.loaders import registry as loader_registry
from engine.ingest.loaders.htmlpage import FLATTENED, html_document
from engine.ingest.loaders.markdown import markdown_document
from engine.ingest.loaders.rst import rst_document
from engine.ingest.loaders.tabular import table_document
from engine.ingest.sniff import decode_bytes
from engine.types import Document, Section
from tests.support.corpus import EXPECTED, KINDS, PDF_PAGES, write_corpus

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


def section_at(doc: Document, offset: int) -> Section:
    matches = [s for s in doc.sections if s.start <= offset < s.end]
    assert len(matches) == 1, f"offset {offset} is in {len(matches)} sections"
    return matches[0]


def assert_sections_tile(doc: Document) -> None:
    assert doc.sections, "a loaded document has at least one section"
    assert doc.sections[0].start == 0
    assert doc.sections[-1].end == len(doc.text)
    for before, after in zip(doc.sections, doc.sections[1:], strict=False):
        assert before.end == after.start
        assert before.start < before.end


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_format_loads_with_markers_in_the_right_section(corpus: dict[str, Path], key: str) -> None:
    doc = load_document(corpus[key])
    assert doc.kind == KINDS[key]
    assert_sections_tile(doc)
    for marker, headings, page in EXPECTED[key]:
        offset = doc.text.find(marker)
        assert offset >= 0, f"{marker!r} missing from {key}: {doc.text!r}"
        section = section_at(doc, offset)
        assert section.headings == headings, marker
        assert section.page == page, marker


def test_markdown_keeps_the_original_text(corpus: dict[str, Path]) -> None:
    doc = load_document(corpus["md"])
    assert doc.text == corpus["md"].read_text(encoding="utf-8")
    # Each headed section starts at its heading line, so offsets point into the file.
    starts = [doc.text[s.start : s.start + 12] for s in doc.sections if s.headings]
    assert starts == ["# Guide\n\nGui", "## Install `", "Setext Headi", "### Deep *ne", "# Second\n\nSe"]


def test_markdown_front_matter_and_fences_are_not_headings() -> None:
    doc = markdown_document("---\ntitle: x\n---\n\n```\n# fenced\n```\n\ntext\n")
    assert [s.headings for s in doc.sections] == [()]


def test_markdown_offsets_survive_crlf_and_lone_cr() -> None:
    text = "intro\r\n\r\n# One\r\n\r\nbody one\r\r## Two\rbody two\n"
    doc = markdown_document(text)
    assert [(text[s.start : s.start + 5], s.headings) for s in doc.sections] == [
        ("intro", ()),
        ("# One", ("One",)),
        ("## Tw", ("One", "Two")),
    ]


MOSTLY_HTML_MD = """---
title: x
---
<h1 id="Guide" class="common-anchor-header">Guide<button class="anchor-icon"><svg><path d="M4 9h1"></path></svg>
</button></h1><p>Milvus stores <code translate="no">VARCHAR</code> data.</p>
<h2 id="Limits">Limits</h2><table><tr><th>Name</th><th>Max</th></tr><tr><td>dim</td><td>32,768</td></tr></table>

A closing **markdown** paragraph.
"""


def test_mostly_html_markdown_reads_as_a_page_with_its_html_headings() -> None:
    doc = markdown_document(MOSTLY_HTML_MD)
    assert "<" not in doc.text and "anchor" not in doc.text and "M4 9h1" not in doc.text
    assert "Milvus stores VARCHAR data." in doc.text
    assert "dim | 32,768" in doc.text  # table rows keep their cells together
    assert "A closing markdown paragraph." in doc.text
    assert {s.headings for s in doc.sections} >= {("Guide",), ("Guide", "Limits")}
    assert doc.kind == "markdown"
    assert_sections_tile(doc)


def test_markdown_with_a_little_html_keeps_its_original_text() -> None:
    text = "# Guide\n\n" + "Plain words here. " * 40 + "\n\n<table><tr><td>a</td></tr></table>\n"
    doc = markdown_document(text)
    assert doc.text == text  # offsets still point into the file


def test_pdf_has_one_section_per_page_joined_by_blank_lines(corpus: dict[str, Path]) -> None:
    doc = load_document(corpus["pdf"])
    assert [s.page for s in doc.sections] == [1, 2, 3]
    assert doc.text == "\n\n".join(PDF_PAGES)
    assert "\r" not in doc.text


def test_docx_table_cells_are_joined_per_row(corpus: dict[str, Path]) -> None:
    doc = load_document(corpus["docx"])
    assert "Name | Value\ndocxcell | 42" in doc.text


def test_docx_with_custom_heading_style_based_on_heading_2(tmp_path: Path) -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    custom = document.styles.add_style("Fancy Heading", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = document.styles["Heading 2"]
    document.add_heading("Top", 1)
    document.add_paragraph("Under the custom heading", style="Fancy Heading")
    document.add_paragraph("body text fancybody")
    document.save(str(tmp_path / "custom.docx"))
    doc = load_document(tmp_path / "custom.docx")
    section = next(s for s in doc.sections if s.start <= doc.text.index("fancybody") < s.end)
    assert section.headings == ("Top", "Under the custom heading")


def test_html_drops_script_style_nav_and_keeps_structure(corpus: dict[str, Path]) -> None:
    doc = load_document(corpus["html"])
    for hidden in ("scriptmarker", "stylemarker", "navmarker", "Test page"):
        assert hidden not in doc.text
    assert "Key | Value" in doc.text and "colour | htmlcell" in doc.text
    assert "htmlone.\nAfter a line break." in doc.text
    assert 'def f():\n    return "htmlpre"' in doc.text


def test_html_without_h1_starts_with_its_title() -> None:
    doc = html_document("<html><head><title>Only Title</title></head><body><p>words</p></body></html>")
    assert doc.text == "Only Title\n\nwords"


def test_html_reads_pathological_nesting_flat_and_deep_normal_pages_as_they_are() -> None:
    fine = html_document("<div>" * 500 + "deep words" + "</div>" * 500)
    assert fine.text == "deep words" and fine.notes == ()
    flat = html_document("<div>" * 5000 + "x")
    assert flat.text == "x" and flat.notes == (FLATTENED,)


def test_epub_follows_the_spine_not_the_manifest(corpus: dict[str, Path]) -> None:
    doc = load_document(corpus["epub"])
    assert doc.text.index("epubone") < doc.text.index("epubscene") < doc.text.index("epubtwo")
    assert doc.text.count("Chapter One") == 1  # the chapter's h1 is not repeated under its ToC title


def test_rst_title_styles_rank_by_first_use() -> None:
    text = "Top\n###\n\nA\n***\n\nbody\n\nB\n###\n\nmore\n"
    doc = rst_document(text)
    assert [s.headings for s in doc.sections] == [("Top",), ("Top", "A"), ("B",)]


def test_csv_rows_read_as_column_value_pairs(corpus: dict[str, Path]) -> None:
    doc = load_document(corpus["csv"])
    assert doc.text.splitlines() == [
        "name | city | note",
        "name: Alice | city: Paris | note: csvalice",
        "name: Bob | city: Tokyo | note: quoted, with comma csvbob",
    ]


def test_csv_falls_back_to_raw_text_when_rows_cannot_be_rendered() -> None:
    raw = "a,b\n" + "1,2\n" * 100
    assert table_document(raw, ".csv", max_chars=50).text == raw
    unparsable = 'a,b\n"' + "x" * 200_000 + "\n"  # one field over csv's field size limit
    assert table_document(unparsable, ".csv", max_chars=10**7).text == unparsable


def test_supported_suffixes_and_is_supported() -> None:
    suffixes = supported_suffixes()
    for suffix in (".md", ".mdx", ".txt", ".rst", ".pdf", ".docx", ".html", ".htm", ".epub", ".csv", ".tsv"):
        assert suffix in suffixes
    for suffix in (".py", ".ts", ".go", ".rs", ".yaml", ".toml", ".sql", ".r", ".m", ".pl", ".ps1"):
        assert suffix in suffixes
    assert is_supported("Notes.MD") and is_supported(Path("a/b/c.Yml"))
    assert not is_supported("archive.tar.gz") and not is_supported("Makefile")


def test_unsupported_files_are_skipped_with_their_suffix(tmp_path: Path) -> None:
    path = tmp_path / "movie.mp4"
    path.write_bytes(b"\x00\x01")
    with pytest.raises(SkipFile, match=r"unsupported file type \(\.mp4\)"):
        load_document(path)


def test_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000, encoding="utf-8")
    with pytest.raises(SkipFile, match=r"larger than the 1000 bytes limit \(5 KB\)"):
        load_document(path, max_bytes=1000)
    assert load_document(path, max_bytes=5000).text.startswith("word word")


def test_missing_file_is_a_loader_error(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="not found") as info:
        load_document(tmp_path / "gone.md")
    assert not isinstance(info.value, SkipFile)


def test_unexpected_exceptions_become_loader_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path, max_bytes: int) -> Document:
        raise RuntimeError("parser fell over")

    monkeypatch.setitem(loader_registry._FORMATS, ".txt", loader_registry.Format("text", broken))
    path = tmp_path / "a.txt"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(LoaderError, match="RuntimeError: parser fell over"):
        load_document(path)


GERMAN = "Ein Mädchen aß Grüße und Äpfel, dann schlief es süß. " * 4


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (codecs.BOM_UTF8 + "héllo".encode(), "héllo"),
        ("héllo wörld".encode("utf-16"), "héllo wörld"),
        ("héllo wörld".encode("utf-16-be"), "héllo wörld"),  # no BOM: NULs in every other byte
        ("héllo wörld".encode("utf-16-le"), "héllo wörld"),
        ("héllo wörld".encode("utf-32"), "héllo wörld"),
        (GERMAN.encode("cp1252"), GERMAN),
    ],
)
def test_decode_bytes_handles_boms_utf16_and_legacy_encodings(data: bytes, expected: str) -> None:
    assert decode_bytes(data) == expected


@pytest.mark.parametrize("data", [b"\x00\x01\x02\x03" * 100, bytes(range(1, 32)) * 50, b"ELF\x7f\x00\x00\x01\x00"])
def test_decode_bytes_calls_binary_binary(data: bytes) -> None:
    with pytest.raises(SkipFile, match="binary"):
        decode_bytes(data)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_shared_milvus_doc_loads_quietly(
    shared_data: Path, capfd: pytest.CaptureFixture[str], language: str
) -> None:
    folder = shared_data / f"milvus-docs-2.4.x-{language}"
    if not folder.is_dir():
        pytest.skip(f"{folder.name} is not present")
    loaded = skipped = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            doc = load_document(path)
        except SkipFile:
            skipped += 1
            continue
        assert_sections_tile(doc)
        if language == "ja" and path.suffix == ".md":
            assert "common-anchor-header" not in doc.text, path  # the rendered HTML's tags are gone
        loaded += 1
    assert loaded > 200
    assert skipped <= 5
    out, err = capfd.readouterr()
    assert out == "" and err == ""

"""Answer rendering, passage highlighting, chat history files and words (no window needed)."""

from __future__ import annotations

import html
import json

from desktop.chat_history import ChatStore, Turn, chat_from_json, chat_to_json, new_chat
from desktop.rendering import answer_html, highlight_html, marked_html, parse_cite, passages_html, reflow
from desktop.words import duration, progress_rate, size
from engine.types import Answer, Chunk, Citation, Hit, Progress, Scores


def _hit(path: str = "/docs/a.md", text: str = "The lamp is lit at dusk.", page: int | None = 3) -> Hit:
    chunk = Chunk("id-1", "/docs", path, 0, text, 0, len(text), page, ("Guide", "Lamps"), "abc")
    return Hit(chunk, Scores(dense=0.5, dense_rank=1, bm25=2.0, bm25_rank=2, fused=0.03, rerank=0.9))


def test_citations_become_links_only_for_existing_sources():
    html = answer_html("Lit at dusk [1][2]. See also [1, 3] and [9]. Code `x[1]`.", turn=4, sources=2)
    assert html.count('href="cite:4:1"') == 2 and html.count('href="cite:4:2"') == 1
    assert "cite:4:3" not in html and "cite:4:9" not in html
    assert "<code>x[1]</code>" in html  # not inside code
    assert parse_cite("cite:4:2") == (4, 2) and parse_cite("https://example.com") is None


def test_untrusted_html_in_answers_is_escaped():
    html = answer_html('<img src="x" onerror="alert(1)"> **bold** [1]', turn=0, sources=1)
    assert "<img" not in html and "&lt;img" in html
    assert "<strong>bold</strong>" in html


def test_markdown_tables_and_lists_render():
    html = answer_html("| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two", turn=0, sources=0)
    assert "<table>" in html and "<li>one</li>" in html


def test_passages_list_links_and_marks_cited():
    html = passages_html([_hit(), _hit("/docs/b<x>.md")], turn=1, cited=(2,))
    assert 'href="cite:1:1"' in html and 'href="cite:1:2"' in html
    assert "p. 3" in html and "Guide &gt; Lamps" in html
    assert "b&lt;x&gt;.md" in html and "★" in html


def test_highlight_marks_query_words_and_keeps_text_safe():
    page = highlight_html("The LAMP is lit.\n<script>", "when is the lamp lit?", "#ffe58a")
    assert '<span style="background-color: #ffe58a">LAMP</span>' in page
    assert "&lt;script&gt;" in page and "white-space: pre-wrap" in page
    assert ">The<" not in page  # stop words are not marked
    japanese = highlight_html("灯台の守り人が灯台に住む", "灯台の守り人", "#ff0")
    assert japanese.count("<span") == 3 and '">の<' not in japanese  # 灯台, 守り人, 灯台; particles are not


def test_html_is_escaped_around_and_inside_highlights():
    text = "a <b>data</b> & data&co <script>"
    first, second = text.index("data"), text.index("data&")
    out = marked_html(text, [(first, first + 4), (second, second + 4)], "#ff0")
    assert "<b>" not in out and "<script>" not in out and "&lt;script&gt;" in out and "&amp; " in out
    assert out.count('<span style="background-color: #ff0">data</span>') == 2
    assert html.unescape(out.replace('<span style="background-color: #ff0">', "").replace("</span>", "")) == text
    page = highlight_html("Metadata is data.\n<x> & data&co", "data", "#ff0")
    assert "Meta<span" not in page and page.count("<span") == 2 and "&lt;x&gt; &amp; " in page


def test_passages_show_the_best_sentence_marked_and_escaped():
    text = "Intro about <tags> & things. " + "Other words are here. " * 12 + "The maximum dimension is 32,768 & more."
    row = passages_html([_hit(text=text)], turn=0, query="maximum dimension?", color="#ff0")
    assert "32,768" in row and "Intro" not in row and "&amp; more" in row
    assert '<span style="background-color: #ff0">maximum</span>' in row
    plain = passages_html([_hit(text=text)], turn=0)
    assert "Intro about &lt;tags&gt; &amp; things." in plain and "background-color" not in plain


def test_chat_json_round_trip_and_store(tmp_path):
    answer = Answer("q?", "Lit at dusk [1].", "llm", (_hit(),), (Citation(1, _hit()),))
    chat = new_chat()
    chat = chat.__class__(chat.id, (Turn("q?").with_answer(answer), Turn("still streaming", mode="streaming")))
    again = chat_from_json(chat_to_json(chat))
    assert again.turns[0] == chat.turns[0]
    assert again.turns[1].stopped  # a turn saved mid-answer reopens as stopped
    store = ChatStore(tmp_path / "chats")
    store.save(chat)
    (tmp_path / "chats" / "broken.json").write_text("{not json", encoding="utf-8")
    summaries = store.list()
    assert [s.id for s in summaries] == [chat.id] and summaries[0].title == "q?"
    assert json.loads((tmp_path / "chats" / f"{chat.id}.json").read_text(encoding="utf-8"))["version"] == 1
    store.delete(chat.id)
    assert store.list() == ()


def test_words():
    assert size(1_234_567_890) == "1.2 GB" and size(512) == "512 B" and size(None) == "unknown size"
    assert duration(42) == "42 s" and duration(125) == "2 min 05 s" and duration(7300) == "2 h 01 min"
    p = Progress("/lib", "indexing", files_total=100, files_done=25, elapsed_s=10.0)
    assert progress_rate(p) == "2.5 files/s · about 30 s left"
    assert progress_rate(Progress("/lib", "embedding", files_total=100, files_done=25, elapsed_s=10.0))
    assert progress_rate(Progress("/lib", "scanning", files_total=100, files_done=25, elapsed_s=10.0)) == ""


def test_reflow_joins_wrapped_sentences_only():
    text = "# Title\n\nThe keeper\nlights the lamp.\nShips pass.\n- one\n- two"
    assert reflow(text) == "# Title\n\nThe keeper lights the lamp.\nShips pass.\n- one\n- two"

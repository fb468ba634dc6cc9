"""A search-only answer shows each passage's best-matching sentence, whole words marked; Sources keeps the full chunk."""

from __future__ import annotations

import re

from tests.desktop.helpers import ask, wait_library_state, wait_ready

INTRO = "Milvus is an open-source database built for similarity search over embeddings."
ANSWER = "Metadata fields sit beside the vectors, and the maximum vector dimension is 32,768 by default."


def test_search_only_turn_shows_the_best_sentence_marked(qtbot, make_window, engine_config, docs):
    filler = " ".join(f"Collections group rows of kind {word} in segments." for word in ("alpha", "beta", "gamma"))
    (docs / "limits.md").write_text(f"# Limits\n\n{INTRO} {filler} {ANSWER}\n", encoding="utf-8")
    window = make_window(engine_config)
    wait_ready(qtbot, window)
    window.add_folders([str(docs)])
    wait_library_state(qtbot, window, str(docs.resolve()), "ready")

    turn = ask(qtbot, window, "What is the maximum vector dimension for the data?")

    assert turn.mode == "search_only"
    number = next(n for n, h in enumerate(turn.hits, 1) if h.chunk.path.endswith("limits.md"))
    shown = window.chat_pane.turn_view(0).answer.text()
    row = shown.split(f'href="cite:0:{number}"')[1].split("</p>")[0]
    assert "32,768" in row and INTRO not in row  # the answer sentence, not the chunk's first lines
    marked = re.findall(r'<span style="background-color: [^"]+">([^<]+)</span>', row)
    assert {"maximum", "vector", "dimension"} <= set(marked) and "vectors" in marked
    assert "data" not in marked and "Meta<span" not in row  # "data" is not marked inside "Metadata"

    window.chat_pane.turn_view(0).answer.linkActivated.emit(f"cite:0:{number}")
    panel = window.sources
    assert panel.current_number() == number
    assert INTRO in panel.text.toPlainText() and "32,768" in panel.text.toPlainText()  # the full chunk
    source_html = panel.text.toHtml()
    assert re.search(r"background-color:#[0-9a-f]{6};\">maximum</span>", source_html)
    assert "Meta<span" not in source_html

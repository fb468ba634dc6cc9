"""Snippets: the best-matching sentence of a passage, and whole-word highlights (Latin and Japanese)."""

from __future__ import annotations

from engine.search.snippets import MAX_CHARS, best_snippet, highlight_spans, query_terms, sentences

# Shaped like the Milvus FAQ chunk: the answer to the question sits in the fourth sentence, not in the first lines.
FAQ = """# Product FAQ

Milvus is an open-source vector database. It was created to serve embedding similarity search.
Indexes are built in the background, and each collection may hold several partitions.

#### What is the maximum vector dimension supported in Milvus?

Milvus can manage vectors with up to 32,768 dimensions by default. You can increase the value of `Proxy.maxDimension`
to allow for a larger dimension vector.

#### Does Milvus support Apple M1 CPU?

Current Milvus release does not support Apple M1 CPU directly."""


def marked(text: str, spans) -> list[str]:
    return [text[start:end] for start, end in spans]


def test_the_answer_sentence_is_the_snippet_not_the_first_lines():
    snippet = best_snippet("What is the maximum vector dimension?", FAQ)
    assert "32,768" in snippet.text
    assert "open-source" not in snippet.text  # the chunk's first lines are not shown
    assert snippet.text.startswith("…") and len(snippet.text) <= MAX_CHARS
    words = {w.lower() for w in marked(snippet.text, snippet.spans)}
    assert {"maximum", "vector", "vectors", "dimension", "dimensions"} <= words


def test_the_best_sentence_later_in_a_chunk_wins_over_a_weaker_early_one():
    text = (
        "Vectors are stored in collections. Each collection has a schema with fields. "
        "The index type decides speed. The maximum dimension of a vector field is 32,768."
    )
    snippet = best_snippet("maximum vector dimension", text, max_chars=90)
    assert "32,768" in snippet.text and "index type" not in snippet.text
    assert snippet.text.startswith("… ")


def test_a_short_heading_takes_the_sentence_after_it():
    text = "Intro text that talks about other things entirely.\n\n## Dimension limit\n\nUp to 32,768 per field."
    assert "32,768" in best_snippet("dimension limit", text).text


def test_no_match_gives_the_first_sentences():
    snippet = best_snippet("zebra", FAQ)
    assert snippet.text.startswith("Product FAQ Milvus is an open-source") and snippet.spans == ()


def test_a_long_sentence_is_cut_around_its_match_with_ellipses():
    text = (
        " ".join(f"filler{i}" for i in range(80)) + " the lighthouse keeper " + " ".join(f"pad{i}" for i in range(80))
    )
    snippet = best_snippet("lighthouse", text)
    assert snippet.text.startswith("… ") and snippet.text.endswith(" …")
    assert marked(snippet.text, snippet.spans) == ["lighthouse"]
    assert len(snippet.text) <= MAX_CHARS


def test_whole_words_only_metadata_is_not_data():
    text = "Metadata lives beside the data. A datastore holds dataset rows."
    assert marked(text, highlight_spans(text, "Where is the data?")) == ["data"]


def test_inflections_are_whole_words():
    text = "Milvus stores it; the files are stored, storing takes time, a store. Restore and storeroom are other words."
    assert marked(text, highlight_spans(text, "Where does Milvus store data?")) == [
        "Milvus",
        "stores",
        "stored",
        "storing",
        "store",
    ]
    assert marked(text, highlight_spans(text, "stored")) == ["stores", "stored", "storing", "store"]
    assert marked("The thing is the theme.", highlight_spans("The thing is the theme.", "things")) == ["thing"]


def test_case_numbers_and_stop_words():
    text = "The GPU index needs 32,768 dims; gpus vary."
    assert marked(text, highlight_spans(text, "gpu 32768 the")) == ["GPU", "32,768", "gpus"]
    assert query_terms("what is the") == ()


def test_japanese_whole_words_tokyo_to_is_not_kyoto():
    text = "東京都に住んでいます。京都へ行きました。"
    assert marked(text, highlight_spans(text, "東京都")) == ["東京都"]
    assert marked(text, highlight_spans(text, "京都")) == ["京都"]
    assert marked(text, highlight_spans(text, "京都の寺")) == ["京都"]


def test_japanese_sentences_and_best_sentence():
    text = "Milvusはベクトルデータベースです。「最大です。」と書かれている。" + "索引は自動で作られます。" * 8
    text += "ベクトルの最大次元数は32,768です。"
    assert [text[s:e] for s, e in sentences(text)][:2] == [
        "Milvusはベクトルデータベースです。",
        "「最大です。」と書かれている。",  # the quotation goes on: not cut after 」
    ]
    snippet = best_snippet("ベクトルの最大次元数は？", text)
    assert "32,768" in snippet.text and snippet.text.startswith("…")
    assert {"ベクトル", "最大次元数"} <= set(marked(snippet.text, snippet.spans))  # touching words: one mark


def test_sentences_keep_abbreviations_and_wrapped_lines_together():
    text = "Use a tool, e.g. the CLI.\nIt is\nwrapped here.\n- a list item\n| a | b |\n|---|---|"
    assert [text[s:e] for s, e in sentences(text)] == [
        "Use a tool, e.g. the CLI.",
        "It is\nwrapped here.",
        "- a list item",
        "| a | b |",
    ]


def test_width_variants_fold_as_in_bm25():
    text = "ﾃﾞｰﾀを保存した。最大は３２，７６８です。v2.4.1 ではなく 2.4"
    assert marked(text, highlight_spans(text, "データ 32,768 2.4")) == ["ﾃﾞｰﾀ", "３２，７６８", "2.4"]


def test_japanese_sentences_join_without_spaces():
    text = "東京都に住んでいます。" * 3 + "京都へ行きました。" + "東京都に住んでいます。" * 12
    snippet = best_snippet("京都", text)
    assert snippet.text.startswith("…京都へ行きました。東京都") and snippet.text.endswith("。…")
    assert marked(snippet.text, snippet.spans) == ["京都"] and " " not in snippet.text

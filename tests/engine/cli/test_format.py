"""CLI renderings of hits: the --json contract keeps its fields and adds the snippet; text shows the best sentence."""

from __future__ import annotations

from engine.cli.format import answer_json, hit_json, hit_text
from engine.types import Answer, Chunk, Hit, Scores

TEXT = "Milvus is a vector database. " * 6 + "Metadata and vectors share a row; the maximum vector dimension is 32,768."


def _hit() -> Hit:
    chunk = Chunk("id-1", "/docs", "/docs/faq.md", 4, TEXT, 10, 10 + len(TEXT), None, ("FAQ",), "abc")
    return Hit(chunk, Scores(bm25=3.0, bm25_rank=1, fused=0.03))


def test_json_keeps_its_fields_and_adds_the_snippet_with_highlights():
    plain = hit_json(_hit())
    assert "snippet" not in plain and plain["text"] == TEXT  # without a question: exactly as before
    out = hit_json(_hit(), "What is the maximum vector dimension?")
    assert {k: v for k, v in out.items() if not k.startswith("snippet")} == plain
    assert "32,768" in out["snippet"] and len(out["snippet"]) < len(TEXT)
    marked = [out["snippet"][s:e] for s, e in out["snippet_highlights"]]
    assert {"maximum", "vector", "dimension", "vectors"} <= set(marked) and "Metadata" not in marked
    assert "32,768" in answer_json(Answer("maximum dimension?", "", "search_only", (_hit(),)))["sources"][0]["snippet"]


def test_text_shows_the_best_sentence():
    text = hit_text(1, _hit(), question="maximum vector dimension")
    assert "32,768" in text and text.count("Milvus is a vector database") < 6

"""Plain-text and JSON renderings of engine results for the terminal."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from engine.patches import NOT_TRIED
from engine.search.snippets import best_snippet
from engine.types import Answer, FileOutcome, Hit, SearchHits, shown_status


def hit_json(hit: Hit, question: str | None = None) -> dict:
    """A hit as JSON; with the question, "snippet" holds the chunk's best-matching sentence(s) and
    "snippet_highlights" the [start, end) of the question's words in it."""
    c, s = hit.chunk, hit.scores
    out: dict[str, object] = {
        "path": c.path,
        "page": c.page,
        "heading": c.heading,
        "text": c.text,
        "library": c.library,
        "chunk_no": c.chunk_no,
        "char_start": c.char_start,
        "char_end": c.char_end,
        "scores": {
            "dense": s.dense,
            "dense_rank": s.dense_rank,
            "bm25": s.bm25,
            "bm25_rank": s.bm25_rank,
            "fused": s.fused,
            "rerank": s.rerank,
        },
    }
    if question is not None:
        snippet = best_snippet(question, c.text)
        out["snippet"] = snippet.text
        out["snippet_highlights"] = [list(span) for span in snippet.spans]
    return out


def ranking_json(hits: Sequence[Hit]) -> dict:
    """How a list was ranked, for --json lines: `reranked` (as before) plus the budget's counts and the early flag."""
    info = hits if isinstance(hits, SearchHits) else SearchHits(hits)
    return {
        "reranked": info.reranked,
        "reranked_count": info.reranked_count,
        "rerank_candidates": info.rerank_candidates,
        "rerank_seconds": round(info.rerank_seconds, 3),
        "early": info.rerank_pending or bool(info.early_stage),
        "stage": info.early_stage or "final",
    }


def early_text(hits: SearchHits) -> str:
    """An early list printed by --early: the keyword matches, then the fused list while the reranker works."""
    if hits.early_stage == "keywords":
        lines = ["Keyword matches so far (searching by meaning…):"]
    else:
        lines = [f"Ranking {hits.rerank_candidates} candidates… by keyword + meaning so far:"]
    for n, hit in enumerate(hits, 1):
        heading = f" — {hit.chunk.heading}" if hit.chunk.heading else ""
        lines.append(f"  [{n}] {location(hit)}{heading}")
    if not hits:
        lines.append("  No matching passages.")
    return "\n".join(lines)


def partial_rerank_note(hits: SearchHits) -> str:
    """A stderr line when the time budget stopped the reranker before every candidate ("" otherwise)."""
    if not hits.reranked or hits.reranked_count >= hits.rerank_candidates:
        return ""
    if hits.reranked_count == 0 and hits.rerank_left_out_s > 0:
        return (
            f"tansaku: not reranked: about {hits.rerank_left_out_s:.1f} s a candidate on this machine, and the "
            f"{hits.rerank_budget_s:g} s budget fits fewer than two (keyword + meaning order; --rerank-budget sets it)"
        )
    return (
        f"tansaku: reranked {hits.reranked_count} of {hits.rerank_candidates} candidates in "
        f"{hits.rerank_seconds:.1f} s (the rest keep their keyword + meaning order; --rerank-budget 0 ranks all)"
    )


_RANKED_BY = {"hybrid": "keyword + meaning", "bm25": "keyword", "dense": "meaning"}


def rerank_note(reason: str, mode: str, model: str, models_dir: Path) -> str:
    """The one stderr line for a search ranked without the reranker it was meant to use, and how to get it."""
    get = (
        f"get it with `huggingface-cli download {model} --cache-dir {models_dir}` or --rerank-model DIR"
        if "/" in model and not Path(model).expanduser().exists()
        else "pass a folder holding the reranker with --rerank-model DIR"
    )
    return (
        f"tansaku: reranker not available ({reason}): ranked by {_RANKED_BY.get(mode, mode)}; "
        f"{get}; --no-rerank silences this note"
    )


def _how_to_get_embedder(model: str, models_dir: Path) -> str:
    if "/" in model and not Path(model).expanduser().exists():
        return f"get it with `huggingface-cli download {model} --cache-dir {models_dir}` or pass --embed-model DIR"
    return "put the model in that folder or pass --embed-model DIR"


def embed_wait_note(files: int, reason: str, model: str, models_dir: Path) -> str:
    """The line `tansaku index` adds when it stored text only: keyword search works, vectors wait for the model."""
    return (
        f"stored text for keyword search; {files} file{'' if files == 1 else 's'} wait for the embedding model "
        f"({reason}): {_how_to_get_embedder(model, models_dir)}, then run `tansaku index` again"
    )


def dense_note(reason: str, model: str, models_dir: Path) -> str:
    """The one stderr line for a hybrid search that ranked by keywords alone because the embedder is missing."""
    return (
        f"tansaku: embedding model not available ({reason}): ranked by keyword; "
        f"{_how_to_get_embedder(model, models_dir)}"
    )


def location(hit: Hit) -> str:
    c = hit.chunk
    return f"{c.path}:{c.page}" if c.page is not None else c.path


def score_line(hit: Hit) -> str:
    s = hit.scores
    parts = []
    if s.dense is not None:
        parts.append(f"dense {s.dense:.3f} (#{s.dense_rank})")
    if s.bm25 is not None:
        parts.append(f"bm25 {s.bm25:.2f} (#{s.bm25_rank})")
    if s.fused is not None:
        parts.append(f"fused {s.fused:.4f}")
    if s.rerank is not None:
        parts.append(f"rerank {s.rerank:.3f}")
    return " · ".join(parts)


def hit_text(n: int, hit: Hit, width: int = 100, question: str = "") -> str:
    """A hit for the terminal: where, scores, and the chunk's sentence(s) that best match the question."""
    c = hit.chunk
    head = f"[{n}] {location(hit)}"
    if c.heading:
        head += f"  — {c.heading}"
    excerpt = best_snippet(question, c.text).text
    body = textwrap.fill(excerpt, width=width, initial_indent="    ", subsequent_indent="    ")
    return f"{head}\n    {score_line(hit)}\n{body}"


def sources_text(hits: tuple[Hit, ...] | list[Hit]) -> str:
    lines = ["Sources:"]
    for n, hit in enumerate(hits, 1):
        heading = f" — {hit.chunk.heading}" if hit.chunk.heading else ""
        lines.append(f"  [{n}] {location(hit)}{heading}")
    return "\n".join(lines)


def answer_json(answer: Answer) -> dict:
    return {
        "question": answer.question,
        "answer": answer.text,
        "mode": answer.mode,
        "error": answer.error,
        "error_kind": answer.error_kind,
        "citations": [{"n": c.number, "path": c.hit.chunk.path, "page": c.hit.chunk.page} for c in answer.citations],
        "sources": [dict(hit_json(h, answer.question), n=i) for i, h in enumerate(answer.hits, 1)],
    }


def outcome_json(o: FileOutcome) -> dict:
    return {
        "path": o.path,
        "library": o.library,
        "status": o.status,
        "reason": o.reason,
        "chunks": o.chunks,
        "size": o.size,
    }


def outcome_text(o: FileOutcome) -> str:
    reason = f"  ({o.reason})" if o.reason else ""
    chunks = f"{o.chunks} chunks" if o.status == "indexed" else ""
    if o.status == "embedding" and not reason:
        reason = "  (text stored for keyword search; embeddings still to come)"
    return f"{shown_status(o.status):8} {chunks:>11}  {o.path}{reason}"


def patches_off_text(patches: dict[str, dict[str, object]]) -> str:
    """The patches of dependencies' internals that were tried and are off, with why; '' when there are none."""
    return "; ".join(
        f"{name} ({info['why']})" for name, info in patches.items() if not info["active"] and info["why"] != NOT_TRIED
    )


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def short(path: str, width: int = 40) -> str:
    name = Path(path).name
    return name if len(name) <= width else "…" + name[-(width - 1) :]


def repair_text(repair: dict) -> str:
    """One repair from `status()["repairs"]` in words (see engine.types.Repair)."""
    kind, n, library = repair["kind"], int(repair["count"]), repair.get("library") or ""
    if kind == "manifest_rebuilt":
        kept = f" (the damaged copy is kept at {repair['detail']})" if repair.get("detail") else ""
        return f"the manifest was rebuilt from the store: {n} files recovered{kept}"
    if kind == "orphans_removed":
        return f"{library}: chunks of {n} files no longer in the library were removed"
    if kind == "files_to_reindex":
        return f"{library}: {n} files the store had lost are marked for indexing again (run `tansaku index`)"
    if kind == "removed_library_dropped":
        return f"{library}: {n} chunks of this removed library were deleted"
    return kind

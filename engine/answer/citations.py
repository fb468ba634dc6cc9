"""[n] citation markers in answer text, and the answer texts for search-only and abstained questions."""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.types import Citation, Hit

SEARCH_ONLY_HEADER = "Search only — no answer model configured. The most relevant passages:"
ABSTAIN_HEADER = "I couldn't find this in your documents."
ABSTAIN_CLOSEST = "The closest passages were:"
SNIPPET_CHARS = 240

# [1], [1, 3], [1-3], [1–3], [1,2-4]; full-width brackets too (CJK answers often use them).
_NUM = r"\s*\d{1,4}\s*"
_ITEM = rf"{_NUM}(?:[-–—~]{_NUM})?"
_MARKER_RE = re.compile(rf"[\[［【]({_ITEM}(?:[,，、;]{_ITEM})*)[\]］】]")
_RANGE_RE = re.compile(r"^\s*(\d+)\s*[-–—~]\s*(\d+)\s*$")


def _numbers(group: str, n: int) -> list[int]:
    """The citation numbers in one marker's inside, in order; ranges expand within 1..n."""
    out: list[int] = []
    for item in re.split(r"[,，、;]", group):
        m = _RANGE_RE.match(item)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            out.extend(range(max(a, 1), min(b, n) + 1) if a <= b else (a, b))
        else:
            out.append(int(item))
    return out


def unlink_citations(text: str, sources: Sequence[str]) -> str:
    """An earlier answer's [n] markers become "(earlier source: name)", so they can never point at new sources."""

    def named(marker: re.Match[str]) -> str:
        names = [sources[n - 1] if 1 <= n <= len(sources) else "?" for n in _numbers(marker.group(1), len(sources))]
        return f"(earlier source: {', '.join(dict.fromkeys(names))})"

    return _MARKER_RE.sub(named, text)


def cited_numbers(text: str, n: int) -> tuple[int, ...]:
    """Unique cited numbers within 1..n, ordered by first appearance."""
    seen: dict[int, None] = {}
    for marker in _MARKER_RE.finditer(text):
        for number in _numbers(marker.group(1), n):
            if 1 <= number <= n:
                seen.setdefault(number, None)
    return tuple(seen)


def citations_outside(text: str, n: int) -> tuple[int, ...]:
    """Cited numbers that name no source (outside 1..n), unique, in order of first appearance.

    A model that writes [7] with five sources made the reference up; the window says so beside the answer.
    """
    seen: dict[int, None] = {}
    for marker in _MARKER_RE.finditer(text):
        for item in re.split(r"[,，、;]", marker.group(1)):
            m = _RANGE_RE.match(item)
            ends = (int(m.group(1)), int(m.group(2))) if m else (int(item),)
            for number in ends:
                if not 1 <= number <= n:
                    seen.setdefault(number, None)
    return tuple(seen)


def extract_citations(text: str, hits: Sequence[Hit]) -> tuple[Citation, ...]:
    """Map each [n] in text to hits[n-1]; numbers of sources that do not exist are dropped."""
    return tuple(Citation(number=k, hit=hits[k - 1]) for k in cited_numbers(text, len(hits)))


def location(hit: Hit) -> str:
    """path:page (or path) plus the heading trail, as a passage list shows it."""
    chunk = hit.chunk
    where = f"{chunk.path}:{chunk.page}" if chunk.page is not None else chunk.path
    return f"{where} — {chunk.heading}" if chunk.headings else where


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def passage_list(hits: Sequence[Hit]) -> str:
    """Numbered passages with their location and a snippet; numbers match Answer.hits order."""
    return "\n".join(f"[{i}] {location(h)}\n    {snippet(h.chunk.text)}" for i, h in enumerate(hits, start=1))


def format_search_only(question: str, hits: Sequence[Hit]) -> str:
    """The search-only answer: clearly labelled, the ranked passages are the answer."""
    if not hits:
        return f"{SEARCH_ONLY_HEADER}\n\n(no passages matched)"
    return f"{SEARCH_ONLY_HEADER}\n\n{passage_list(hits)}"


def format_abstention(question: str, hits: Sequence[Hit]) -> str:
    """The answer when nothing relevant was found: say so, then show the closest passages."""
    if not hits:
        return ABSTAIN_HEADER
    return f"{ABSTAIN_HEADER} {ABSTAIN_CLOSEST}\n\n{passage_list(hits)}"


def list_citations(hits: Sequence[Hit]) -> tuple[Citation, ...]:
    """Every listed passage as a citation, so search-only and abstained answers are clickable too."""
    return tuple(Citation(number=i, hit=h) for i, h in enumerate(hits, start=1))

"""Immutable values passed between engine parts and across threads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Section:
    """A span of a document's text with its location: page (1-based, PDFs) and heading trail."""

    start: int
    end: int
    page: int | None = None
    headings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """A loaded file: its full text and the sections that cover it, in order."""

    text: str
    sections: tuple[Section, ...] = ()
    kind: str = "text"  # loader family: text, markdown, pdf, docx, html, epub, csv, code, rst
    notes: tuple[str, ...] = ()  # what the loader repaired or gave up to read it, for the file's report

    def with_notes(self, notes: tuple[str, ...]) -> Document:
        return replace(self, notes=self.notes + notes) if notes else self


@dataclass(frozen=True)
class Chunk:
    """One indexed passage of a file; `id` is stable for (path, chunk_no)."""

    id: str
    library: str
    path: str
    chunk_no: int
    text: str
    char_start: int
    char_end: int
    page: int | None = None
    headings: tuple[str, ...] = ()
    file_sha256: str = ""

    @property
    def heading(self) -> str:
        return " > ".join(self.headings)


@dataclass(frozen=True)
class Scores:
    """Every score a hit collected on its way; None where that stage did not see it."""

    dense: float | None = None
    dense_rank: int | None = None
    bm25: float | None = None
    bm25_rank: int | None = None
    fused: float | None = None
    rerank: float | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its scores."""

    chunk: Chunk
    scores: Scores = field(default_factory=Scores)

    @property
    def best_score(self) -> float:
        s = self.scores
        if s.rerank is not None:
            return s.rerank
        return s.fused if s.fused is not None else 0.0


@dataclass(frozen=True)
class Citation:
    """A [n] marker in an answer and the hit it points to."""

    number: int
    hit: Hit


@dataclass(frozen=True)
class Answer:
    """The result of `Engine.ask`.

    mode: "llm" (generated), "search_only" (no key/endpoint: the passages are the answer),
    "abstained" (nothing relevant found), "error" (LLM failed; `error` says why, hits still present).
    """

    question: str
    text: str
    mode: str
    hits: tuple[Hit, ...] = ()
    citations: tuple[Citation, ...] = ()
    error: str | None = None
    error_kind: str | None = None


@dataclass(frozen=True)
class QueryRewrite:
    """The query searched for a question in a chat.

    method: "as_typed" (first or standalone question), "llm" (rewritten by the answer model), "rule" (rewritten
    without a model: search only, or the rewrite request failed; `error` then says why).
    """

    query: str
    method: str
    error: str | None = None


@dataclass(frozen=True)
class Progress:
    """An indexing progress snapshot."""

    library: str
    phase: str  # scanning, indexing, done, cancelled, paused
    files_total: int = 0
    files_done: int = 0
    chunks_done: int = 0  # chunks embedded in this run
    chunks_total: int = 0  # chunks waiting for embeddings when this run started embedding (0 while storing text)
    tokens_done: int = 0
    current_file: str = ""
    elapsed_s: float = 0.0

    @property
    def rate_files(self) -> float:
        return self.files_done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        if self.chunks_total and self.chunks_done:
            rate = self.chunks_done / self.elapsed_s if self.elapsed_s > 0 else 0.0
            left = self.chunks_total - self.chunks_done
            return left / rate if rate > 0 and left > 0 else None
        rate = self.rate_files
        if rate <= 0 or self.files_total <= self.files_done:
            return None
        return (self.files_total - self.files_done) / rate


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file: indexed, skipped, failed, pending (to be stored) or embedding (text stored)."""

    path: str
    library: str
    status: str
    reason: str = ""
    chunks: int = 0
    size: int = 0
    mtime_ns: int = 0
    sha256: str = ""


@dataclass(frozen=True)
class IndexReport:
    """Totals of one indexing run."""

    library: str
    files_seen: int = 0
    files_indexed: int = 0
    files_unchanged: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    files_removed: int = 0
    chunks_embedded: int = 0
    tokens_embedded: int = 0
    elapsed_s: float = 0.0
    cancelled: bool = False
    # Files whose text is stored (keyword search finds them) but which wait for the embedding model's vectors, and
    # why that model did not run ("" when it did).
    files_awaiting_embedding: int = 0
    embedder_unavailable: str = ""
    # Wall seconds per stage (engine/ingest/stage_clock.py): read, text_store, embed, vector_store, manifest.
    stages: tuple[tuple[str, float], ...] = ()


def shown_status(status: str) -> str:
    """A file's status as users see it: `embedding` (text stored, vectors still to come) counts as pending."""
    return "pending" if status == "embedding" else status


@dataclass(frozen=True)
class FileCounts:
    """Files per status. The one definition behind the library row, the report's footer, the status bar and
    `tansaku status/report`, so that they always agree. `pending` = not fully indexed yet (unread, or read with its
    vectors still to come)."""

    indexed: int = 0
    skipped: int = 0
    failed: int = 0
    pending: int = 0

    @property
    def files(self) -> int:
        return self.indexed + self.skipped + self.failed + self.pending

    @classmethod
    def of(cls, statuses: Iterable[str]) -> FileCounts:
        """From one status per file (a report's outcomes)."""
        totals: dict[str, int] = {}
        for status in statuses:
            totals[status] = totals.get(status, 0) + 1
        return cls.of_totals(totals)

    @classmethod
    def of_totals(cls, totals: dict[str, int]) -> FileCounts:
        """From files per stored status (the manifest's GROUP BY)."""
        counts = dict.fromkeys(("indexed", "skipped", "failed", "pending"), 0)
        for status, n in totals.items():
            shown = shown_status(status)
            if shown in counts:
                counts[shown] += n
        return cls(**counts)

    def text(self) -> str:
        """The footer line, as the CLI prints it (the window words it the same way, translated)."""
        return (
            f"{self.indexed:,} indexed · {self.skipped:,} skipped · {self.failed:,} failed · {self.pending:,} pending"
        )


@dataclass(frozen=True)
class LibraryInfo:
    """A library (an added folder) and its counts."""

    path: str
    files: int
    chunks: int
    indexed: int
    skipped: int
    failed: int
    pending: int
    last_indexed: float | None
    excludes: tuple[str, ...] = ()

    @property
    def counts(self) -> FileCounts:
        return FileCounts(self.indexed, self.skipped, self.failed, self.pending)


@dataclass(frozen=True)
class StoredFile:
    """One file as the chunk store holds it: what the manifest is checked against, and rebuilt from."""

    path: str
    library: str
    sha256: str
    chunks: int
    unembedded: int = 0


@dataclass(frozen=True)
class Repair:
    """Something the engine found wrong with its index and put right, for the user to be told once.

    kind: "manifest_rebuilt" (count = files recovered from the store; detail = where the damaged copy was kept),
    "orphans_removed" (chunks of count files that no longer belong to the library were deleted),
    "files_to_reindex" (count files the manifest claimed but the store lacked; the next indexing run redoes them),
    "removed_library_dropped" (chunks of a library the user had removed, still in an older model's index).
    """

    kind: str
    library: str | None
    count: int
    detail: str = ""


class SearchHits(list[Hit]):
    """`Engine.search`'s hits in rank order (a plain list to callers that need no more), and how they were ranked.

    `reranked` is True when the reranker ordered them (all or some: see the counts). `rerank_unavailable` is the
    reason it did not although it was asked to (its model is not downloaded, or failed to load): the hits are then
    ranked by fusion, and the caller says so once. It is "" when the reranker ran or was not asked for.
    `rerank_candidates` is how many fused candidates were meant for the reranker, `reranked_count` how many of them it
    scored within the time budget (the scored ones rank first, the rest keep their fused order below them), and
    `rerank_seconds` the time it spent. `rerank_pending` marks the early, fused-only list handed out while the
    reranker is still at work (`Engine.search`'s on_fused). `dense_unavailable` is why a hybrid
    search ranked by keywords alone (the embedding model is not on this machine yet), else "".
    `early_stage` names an early list: "keywords" (BM25 alone, handed out before the question's embedding is
    computed), "fused" (keyword + meaning, before the reranker), "" for the final list. `rerank_budget_s` is the
    budget the reranker ran under (0: none) and `rerank_left_out_s` the expected seconds of the first candidate it
    left out because the budget could not fit it (0.0: none was left out that way).
    """

    reranked: bool
    rerank_unavailable: str
    dense_unavailable: str
    reranked_count: int
    rerank_candidates: int
    rerank_seconds: float
    rerank_pending: bool
    early_stage: str
    rerank_budget_s: float
    rerank_left_out_s: float

    def __init__(
        self,
        hits: Iterable[Hit] = (),
        *,
        reranked: bool = False,
        rerank_unavailable: str = "",
        dense_unavailable: str = "",
        reranked_count: int = 0,
        rerank_candidates: int = 0,
        rerank_seconds: float = 0.0,
        rerank_pending: bool = False,
        early_stage: str = "",
        rerank_budget_s: float = 0.0,
        rerank_left_out_s: float = 0.0,
    ) -> None:
        super().__init__(hits)
        self.reranked = reranked
        self.rerank_unavailable = rerank_unavailable
        self.dense_unavailable = dense_unavailable
        self.reranked_count = reranked_count
        self.rerank_candidates = rerank_candidates
        self.rerank_seconds = rerank_seconds
        self.rerank_pending = rerank_pending
        self.early_stage = early_stage
        self.rerank_budget_s = rerank_budget_s
        self.rerank_left_out_s = rerank_left_out_s

    @property
    def fully_reranked(self) -> bool:
        """Every candidate was scored (the budget did not cut the reranking short)."""
        return self.reranked and self.reranked_count >= self.rerank_candidates

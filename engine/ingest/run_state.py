"""The mutable state of one indexing run (counters, stage clock) and a file after loading."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from engine.ingest.stage_clock import StageClock
from engine.types import Chunk, FileOutcome, IndexReport, Progress


@dataclass
class Loaded:
    """A file after loading and chunking on a worker thread."""

    outcome: FileOutcome
    chunks: list[Chunk] = field(default_factory=list)


@dataclass
class Run:
    """Mutable counters of one run, turned into Progress and IndexReport snapshots."""

    library: str
    started: float = field(default_factory=time.monotonic)
    files_total: int = 0
    files_done: int = 0
    chunks: int = 0
    chunks_total: int = 0
    tokens: int = 0
    indexed: int = 0
    unchanged: int = 0
    seen: int = 0  # files of the library on disk that this run looked at
    skipped: int = 0
    failed: int = 0
    removed: int = 0
    current: str = ""
    clock: StageClock = field(default_factory=StageClock)

    def progress(self, phase: str) -> Progress:
        return Progress(
            library=self.library,
            phase=phase,
            files_total=self.files_total,
            files_done=self.files_done,
            chunks_done=self.chunks,
            # Known only once every file is read: while text is still being stored, more chunks may come.
            chunks_total=self.chunks_total if phase == "embedding" else 0,
            tokens_done=self.tokens,
            current_file=self.current,
            elapsed_s=time.monotonic() - self.started,
        )

    def report(self, cancelled: bool, awaiting: int = 0) -> IndexReport:
        return IndexReport(
            library=self.library,
            files_seen=self.seen,
            files_indexed=self.indexed,
            files_unchanged=self.unchanged,
            files_skipped=self.skipped,
            files_failed=self.failed,
            files_removed=self.removed,
            chunks_embedded=self.chunks,
            tokens_embedded=self.tokens,
            elapsed_s=time.monotonic() - self.started,
            cancelled=cancelled,
            files_awaiting_embedding=awaiting,
            stages=self.clock.snapshot(),
        )

"""A terminal progress bar for indexing: files, chunks, rate, ETA (tqdm on stderr)."""

from __future__ import annotations

from typing import Any

from engine.types import Progress


class ProgressBar:
    """Context manager fed with Progress snapshots; silent when disabled or not a terminal job."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._bar: Any = None  # a tqdm bar, created at the first update

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def update(self, p: Progress) -> None:
        if not self.enabled or p.phase == "scanning":
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=p.files_total, unit="file", dynamic_ncols=True, leave=True)
        bar = self._bar
        bar.total = p.files_total
        bar.n = p.files_done
        rate = p.tokens_done / p.elapsed_s if p.elapsed_s > 0 else 0.0
        name = p.current_file.rsplit("/", 1)[-1][:30]
        bar.set_postfix_str(f"{p.chunks_done} chunks, {rate:.0f} tok/s, {name}", refresh=False)
        bar.refresh()

"""How long a model's forward pass takes per token on this machine, learned from the passes it has run.

The reranker's time budget reads it before a pass to decide whether the pass fits: on a slow CPU one 0.6B pair can
take longer than the whole budget, and a pass that has started cannot be cut short without losing its score.
"""

from __future__ import annotations

import threading


class PassRate:
    """The fastest seconds per token measured so far (None until a pass is measured).

    The fastest, not an average: the estimate decides whether a pass runs at all, so one slow pass (the machine
    busy for a moment) must not make every later search skip the reranker, and then never measure it again. On a
    machine that stays busy the estimate is optimistic, and a search overruns its budget by at most one pass (the
    budget's running check stops it there).
    """

    def __init__(self) -> None:
        self._seconds_per_token: float | None = None
        self._lock = threading.Lock()

    @property
    def seconds_per_token(self) -> float | None:
        return self._seconds_per_token

    def record(self, tokens: int, seconds: float) -> None:
        """One measured pass over `tokens` tokens (padding included: it costs the same)."""
        if tokens <= 0 or seconds <= 0:
            return
        rate = seconds / tokens
        with self._lock:
            old = self._seconds_per_token
            self._seconds_per_token = rate if old is None else min(old, rate)

    def estimate(self, tokens: int) -> float | None:
        """The expected seconds for a pass over `tokens` tokens, or None before any pass was measured."""
        rate = self._seconds_per_token
        return None if rate is None else rate * max(tokens, 0)

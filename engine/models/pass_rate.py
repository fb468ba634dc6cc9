"""How long a model's forward pass takes per token on this machine, learned from the passes it has run.

The reranker's time budget reads it before a pass to decide whether the pass fits: on a slow CPU one 0.6B pair can
take longer than the whole budget, and a pass that has started cannot be cut short without losing its score.
"""

from __future__ import annotations

import threading

SMOOTHING = 0.5  # weight of the newest pass: a machine that gets busy (or idle) is followed within a few passes


class PassRate:
    """Seconds per token, an exponentially weighted average of the measured passes; None until one is measured."""

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
            self._seconds_per_token = rate if old is None else SMOOTHING * rate + (1 - SMOOTHING) * old

    def estimate(self, tokens: int) -> float | None:
        """The expected seconds for a pass over `tokens` tokens, or None before any pass was measured."""
        rate = self._seconds_per_token
        return None if rate is None else rate * max(tokens, 0)

"""How long a model's forward pass takes per token on this machine, learned from the passes it has run.

The reranker's time budget reads it before a pass to decide whether the pass fits: on a slow CPU one 0.6B pair can
take longer than the whole budget, and a pass that has started cannot be cut short without losing its score.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class PassRate:
    """The fastest seconds per token measured so far (None until a pass is measured).

    The fastest, not an average: the estimate decides whether a pass runs at all, so one slow pass (the machine
    busy for a moment) must not make every later search skip the reranker, and then never measure it again. On a
    machine that stays busy the estimate is optimistic, and a search overruns its budget by at most one pass (the
    budget's running check stops it there).
    """

    def __init__(self, store: Path | None = None, key: str = "") -> None:
        """`store`: a JSON file that keeps the rate between runs under `key` (model, device, precision, CPU and
        torch), so that the first question after a restart plans with it instead of spending a pass to learn it."""
        self._store, self._key = store, key
        self._seconds_per_token: float | None = self._load()
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
            if self._seconds_per_token != old:
                self._save(self._seconds_per_token)

    def estimate(self, tokens: int) -> float | None:
        """The expected seconds for a pass over `tokens` tokens, or None before any pass was measured."""
        rate = self._seconds_per_token
        return None if rate is None else rate * max(tokens, 0)

    def _load(self) -> float | None:
        if self._store is None:
            return None
        try:
            value = json.loads(self._store.read_text(encoding="utf-8")).get(self._key)
        except (OSError, ValueError, AttributeError):
            return None  # none yet, or unreadable: learned again from the next pass
        return float(value) if isinstance(value, (int, float)) and value > 0 else None

    def _save(self, rate: float) -> None:
        """Best effort, written whole then renamed: a rate that is not kept is only learned again."""
        if self._store is None:
            return
        try:
            try:
                rates = json.loads(self._store.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                rates = {}
            if not isinstance(rates, dict):
                rates = {}
            rates[self._key] = rate
            self._store.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._store.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(rates, indent=1), encoding="utf-8")
            os.replace(tmp, self._store)
        except OSError as exc:
            log.debug("could not keep the reranker's speed in %s: %s", self._store, exc)


def machine_key(*parts: str) -> str:
    """`parts` plus what makes a pass faster or slower on this machine: the CPU, its core count, torch's version and
    threads (a new CPU or torch must be measured afresh, not planned with an old rate)."""
    import torch

    return "|".join([*parts, cpu_name(), str(os.cpu_count()), torch.__version__, str(torch.get_num_threads())])


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()

"""Which patches of dependencies' internals run in this process, and why the others do not.

Tansaku replaces or hooks a few private parts of its dependencies for speed: Milvus Lite's BM25 internals
(engine/store/lite_patch.py), torch's private CPU feature checks and int8 matrix product (engine/models/device.py,
engine/models/int8_linear.py) and transformers' attention registries (engine/models/cpu_attention.py). Each of them
must fail soft: when a name it needs is missing or its fast code raises, it goes back to the stock code path for good,
logs one warning here, and search, indexing and model loading carry on. This registry is where each patch says how it
stands, for `tansaku status --json`, the self-test and the logs.

A state is one of three kinds: active; inactive because it is not used (disabled, another path chosen, a GPU: no
warning); or failed (a warning, and it stays off for the rest of the process).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

MILVUS_LITE_BM25 = "milvus_lite_bm25"
CPU_BF16_DETECTION = "cpu_bf16_detection"
CPU_INT8 = "cpu_int8"
CPU_ATTENTION = "cpu_attention"
NAMES = (MILVUS_LITE_BM25, CPU_BF16_DETECTION, CPU_INT8, CPU_ATTENTION)
NOT_TRIED = "not tried in this process yet"


@dataclass(frozen=True)
class PatchState:
    active: bool
    why: str
    failed: bool = False


_lock = threading.Lock()
_states: dict[str, PatchState] = {}


def activate(name: str, why: str) -> bool:
    """Record that `name` runs; a patch that failed stays off. Returns whether it is active now."""
    with _lock:
        current = _states.get(name)
        if current is not None and current.failed:
            return False
        _states[name] = PatchState(True, why)
        return True


def unused(name: str, why: str) -> None:
    """Record that `name` is not used here (disabled, or another path was chosen); no warning.

    Never hides a patch that is active (another model may use it) or one that failed.
    """
    with _lock:
        current = _states.get(name)
        if current is None or not (current.active or current.failed):
            _states[name] = PatchState(False, why)


def fail(name: str, why: str) -> None:
    """Record that `name` is off for good because something it needs is missing or raised; warn once."""
    with _lock:
        current = _states.get(name)
        if current is not None and current.failed:
            return  # already off and reported: one warning per patch
        _states[name] = PatchState(False, why, failed=True)
    log.warning("Patch %s is off, the stock code runs instead: %s", name, why)


def failed(name: str) -> bool:
    with _lock:
        current = _states.get(name)
        return current is not None and current.failed


def state(name: str) -> PatchState | None:
    with _lock:
        return _states.get(name)


def states() -> dict[str, dict[str, object]]:
    """name -> {"active": bool, "why": str} for every known patch (those not tried yet say so)."""
    with _lock:
        known = dict(_states)
    names = list(NAMES) + sorted(set(known) - set(NAMES))
    out: dict[str, dict[str, object]] = {}
    for name in names:
        current = known.get(name)
        out[name] = {"active": False, "why": NOT_TRIED} if current is None else _public(current)
    return out


def _public(current: PatchState) -> dict[str, object]:
    return {"active": current.active, "why": current.why}


def forget(name: str) -> None:
    """Drop what is recorded about `name`, so it may be tried again (tests, benchmarks)."""
    with _lock:
        _states.pop(name, None)

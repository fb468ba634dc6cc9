"""A small LRU of reranker scores, so that a repeated question (or a follow-up rewritten to the same query) is free."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

PairKey = tuple[str, str, int, str, str]


def pair_key(model: str, instruction: str, max_doc_tokens: int, query: str, document: str) -> PairKey:
    """Everything a score depends on besides the weights' precision (fixed for one Reranker).

    The passage enters by a hash of its text, not its chunk id: an edited file keeps its chunk ids but must be
    scored again.
    """
    digest = hashlib.blake2b(document.encode("utf-8"), digest_size=16).hexdigest()
    return (model, instruction, max_doc_tokens, query, digest)


class ScoreCache:
    """Least-recently-used (query, passage) -> P(yes); `size` 0 turns it off."""

    def __init__(self, size: int = 4096) -> None:
        self._size = max(0, size)
        self._scores: OrderedDict[PairKey, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._scores)

    def get(self, key: PairKey) -> float | None:
        score = self._scores.get(key)
        if score is not None:
            self._scores.move_to_end(key)
        return score

    def put(self, key: PairKey, score: float) -> None:
        if self._size == 0:
            return
        self._scores[key] = score
        self._scores.move_to_end(key)
        while len(self._scores) > self._size:
            self._scores.popitem(last=False)

    def clear(self) -> None:
        self._scores.clear()

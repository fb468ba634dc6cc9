"""A fusion-parameter sweep for the hybrid mode, from one dense and one BM25 search per question.

Each question's dense and BM25 lists are fetched once (as Retriever.candidates does: store.search_dense on the
query embedding, store.search_bm25 on the text) at the deepest depth, then fused with engine.fusion.fuse under every
setting. A setting chosen here should be confirmed with a plain harness run (`--fusion/--rrf-k/--*-weight`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from engine.engine import Engine
from engine.search.fusion import fuse
from engine.types import Hit
from tests.quality.corpora import Corpus
from tests.quality.harness import file_ranking
from tests.quality.metrics import Metrics, score_runs

DEPTHS = (20, 50, 100)
RRF_KS = (1, 10, 30, 60, 100)
DENSE_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)


@dataclass(frozen=True)
class Setting:
    method: str
    depth: int
    rrf_k: int
    dense_weight: float

    @property
    def label(self) -> str:
        k = f", k {self.rrf_k}" if self.method == "rrf" else ""
        return f"{self.method}{k}, w {self.dense_weight:.1f}/{1 - self.dense_weight:.1f}, depth {self.depth}"


def settings() -> list[Setting]:
    rrf = [Setting("rrf", d, k, w) for d, k, w in itertools.product(DEPTHS, RRF_KS, DENSE_WEIGHTS)]
    weighted = [Setting("weighted", d, 0, w) for d, w in itertools.product(DEPTHS, DENSE_WEIGHTS)]
    return rrf + weighted


def candidate_lists(engine: Engine, corpus: Corpus, depth: int) -> list[tuple[list[Hit], list[Hit]]]:
    store = engine.store()
    out = []
    for q in corpus.questions:
        vector = engine.embedder.embed_query(q.text)
        out.append((store.search_dense(vector, depth), store.search_bm25(q.text, depth)))
    return out


def score_setting(corpus: Corpus, lists: Sequence[tuple[list[Hit], list[Hit]]], s: Setting) -> Metrics:
    runs = []
    for q, (dense, bm25) in zip(corpus.questions, lists, strict=True):
        fused = fuse(
            dense[: s.depth],
            bm25[: s.depth],
            method=s.method,
            k=s.rrf_k or 60,
            dense_weight=s.dense_weight,
            bm25_weight=1 - s.dense_weight,
            limit=2 * s.depth,
        )
        runs.append((file_ranking(fused, corpus.folder), q.relevant))
    return score_runs(runs)


def sweep(engine: Engine, corpus: Corpus) -> list[tuple[Setting, Metrics]]:
    lists = candidate_lists(engine, corpus, max(DEPTHS))
    results = [(s, score_setting(corpus, lists, s)) for s in settings()]
    return sorted(results, key=lambda r: (-r[1].ndcg10, -r[1].mrr10))


def sweep_table(engine: Engine, corpus: Corpus, top: int = 20) -> str:
    results = sweep(engine, corpus)
    lines = [
        f"#### hybrid fusion sweep on {corpus.name} ({len(results)} settings, best {top} by nDCG@10)",
        "",
        "| setting | hit@1 | hit@5 | hit@10 | MRR@10 | nDCG@10 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    default = next(r for r in results if r[0] == Setting("rrf", 50, 60, 0.5))
    shown = results[:top] + ([default] if default not in results[:top] else [])
    for s, m in shown:
        mark = " (defaults, depth 50)" if s == default[0] else ""
        lines.append("| " + " | ".join([s.label + mark, *m.row()]) + " |")
    return "\n".join(lines)

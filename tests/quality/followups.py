"""Follow-up retrieval on the Milvus docs: the last turn of each conversation as typed vs rewritten in context.

    python -m tests.quality.harness --corpus milvus-followups --no-rerank [--work-dir DIR] [--variants]

Search only (no LLM): the rewrite is engine.answer.followup.rule_rewrite, the one the app uses without an answer
endpoint or when the rewrite request fails. Hybrid search, no reranker, all-MiniLM-L6-v2; hit@5 per file.
`--variants` also scores the other rule rewrites that were measured before choosing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.answer.followup import PriorTurn, is_standalone, rule_rewrite, salient_terms
from engine.engine import Engine
from tests.quality.corpora import MILVUS_DOCS, SHARED_DATA, _strip_prefix
from tests.quality.harness import file_ranking
from tests.quality.metrics import Metrics, score_runs

FOLLOWUPS_DEV = SHARED_DATA / "milvus-docs-qa" / "followups-dev.jsonl"


@dataclass(frozen=True)
class Conversation:
    id: str
    questions: tuple[str, ...]
    relevant: dict[str, float]  # the last turn's files

    @property
    def history(self) -> tuple[PriorTurn, ...]:
        return tuple(PriorTurn(q) for q in self.questions[:-1])

    @property
    def last(self) -> str:
        return self.questions[-1]


def load_conversations(path: Path = FOLLOWUPS_DEV) -> tuple[Conversation, ...]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            questions = tuple(t["question"] for t in item["turns"])
            relevant = {_strip_prefix(p): 1.0 for p in item["turns"][-1]["relevant"]}
            found.append(Conversation(item["id"], questions, relevant))
    return tuple(found)


def _previous_question(c: Conversation) -> str:
    return f"{c.questions[-2]} {c.last}"


def _all_questions(c: Conversation) -> str:
    return " ".join(c.questions)


def _previous_terms(c: Conversation) -> str:
    own = set(salient_terms(c.last))
    terms = [t for t in salient_terms(c.questions[-2]) if t not in own]
    return " ".join([*dict.fromkeys(terms), c.last])


Rewrite = Callable[[Conversation], str]
REWRITES: dict[str, Rewrite] = {
    "as typed": lambda c: c.last,
    "rewritten (rule)": lambda c: rule_rewrite(c.last, c.history),
}
VARIANTS: dict[str, Rewrite] = {
    "previous question + follow-up": _previous_question,
    "all earlier questions + follow-up": _all_questions,
    "previous question's content words + follow-up": _previous_terms,
}


def evaluate_followups(
    engine: Engine,
    conversations: Sequence[Conversation],
    rewrites: dict[str, Rewrite] = REWRITES,
    mode: str = "hybrid",
    depth: int = 50,
) -> dict[str, Metrics]:
    results = {}
    for label, rewrite in rewrites.items():
        runs = []
        for c in conversations:
            hits = engine.search(rewrite(c), k=depth, mode=mode, rerank=False)
            runs.append((file_ranking(hits, MILVUS_DOCS), c.relevant))
        results[label] = score_runs(runs)
    return results


def detection_line(conversations: Sequence[Conversation]) -> str:
    flagged = sum(not is_standalone(c.last) for c in conversations)
    return f"standalone test: {flagged}/{len(conversations)} last turns judged follow-ups"

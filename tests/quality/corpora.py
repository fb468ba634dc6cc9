"""Evaluation sets: a folder of documents (as a user's library) and questions with their relevant files."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MILVUS_DOCS = SHARED_DATA / "milvus-docs-2.4.x-en"
MILVUS_DEV = SHARED_DATA / "milvus-docs-qa" / "dev.jsonl"
MILVUS_DOCS_JA = SHARED_DATA / "milvus-docs-2.4.x-ja"
MILVUS_DEV_JA = SHARED_DATA / "milvus-docs-qa" / "dev-ja.jsonl"
SCIFACT = SHARED_DATA / "scifact"
MILVUS_PREFIX = "site/en/"


@dataclass(frozen=True)
class Question:
    """`relevant` maps a file path relative to the library folder (posix) to its gain."""

    id: str
    text: str
    relevant: dict[str, float]
    kind: str = ""


@dataclass(frozen=True)
class Corpus:
    name: str
    folder: Path
    questions: tuple[Question, ...]


def milvus_corpus(
    limit: int | None = None, dev_file: Path = MILVUS_DEV, docs: Path = MILVUS_DOCS, name: str = "milvus"
) -> Corpus:
    """The Milvus 2.4 docs and dev.jsonl; relevant paths lose their 'site/en/' (or 'site/ja/') prefix."""
    if not docs.is_dir() or not dev_file.is_file():
        raise FileNotFoundError(f"Milvus docs or questions missing under {SHARED_DATA}")
    questions = []
    for line in dev_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        relevant = {_strip_prefix(p): 1.0 for p in item["relevant"]}
        questions.append(Question(item["id"], item["question"], relevant, item.get("kind", "")))
    return Corpus(name, docs, tuple(questions[:limit] if limit else questions))


def milvus_ja_corpus(limit: int | None = None) -> Corpus:
    """The official Japanese translation of the same docs (same paths) and 40 Japanese questions (dev-ja.jsonl)."""
    return milvus_corpus(limit, MILVUS_DEV_JA, MILVUS_DOCS_JA, name="milvus-ja")


def _strip_prefix(path: str) -> str:
    for prefix in (MILVUS_PREFIX, "site/ja/"):
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


def scifact_corpus(work_dir: Path, limit: int | None = None, root: Path = SCIFACT) -> Corpus:
    """BEIR SciFact test queries; each abstract written as `<id>.txt` (title, blank line, text) under work_dir."""
    corpus_file = root / "corpus.jsonl"
    if not corpus_file.is_file():
        raise FileNotFoundError(f"SciFact corpus missing: {corpus_file}")
    folder = Path(work_dir) / "scifact-docs"
    _write_scifact_docs(corpus_file, folder)
    qrels: dict[str, dict[str, float]] = {}
    with (root / "qrels" / "test.tsv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader)  # header: query-id, corpus-id, score
        for query_id, doc_id, score in reader:
            qrels.setdefault(query_id, {})[f"{doc_id}.txt"] = float(score)
    texts = {}
    for line in (root / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            texts[str(item["_id"])] = item["text"]
    questions = [Question(qid, texts[qid], rel) for qid, rel in qrels.items() if qid in texts]
    return Corpus("scifact", folder, tuple(questions[:limit] if limit else questions))


def _write_scifact_docs(corpus_file: Path, folder: Path) -> None:
    """Write the documents once; an existing complete folder is reused (unchanged files cost nothing to re-index)."""
    marker = folder.with_name(folder.name + ".complete")  # beside the folder, so it is not indexed
    if marker.is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    with corpus_file.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            item = json.loads(line)
            title = (item.get("title") or "").strip()
            body = (item.get("text") or "").strip()
            text = f"{title}\n\n{body}\n" if title else f"{body}\n"
            (folder / f"{item['_id']}.txt").write_text(text, encoding="utf-8")
    marker.write_text("ok\n", encoding="utf-8")

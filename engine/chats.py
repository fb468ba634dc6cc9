"""Chats: turns of one conversation, kept as JSON files in <data dir>/chats, shared by the window and the CLI.

The format is the one desktop/chat_history.py wrote before chats moved into the engine, so earlier chats open as
they were: nothing to migrate.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.types import Answer, Chunk, Hit, Scores

log = logging.getLogger(__name__)

TITLE_CHARS = 60
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Turn:
    """One question and its answer. mode: pending, streaming, llm, search_only, abstained, error."""

    question: str
    text: str = ""
    mode: str = "pending"
    error: str | None = None
    error_kind: str | None = None
    hits: tuple[Hit, ...] = ()
    cited: tuple[int, ...] = ()
    note: str = ""
    asked_at: float = field(default_factory=time.time)
    searched_for: str = ""  # the query actually searched, when a follow-up was rewritten ("" = the question)
    rerank_unavailable: str = ""  # why the reranker did not order these hits although asked to ("" = it did, or off)

    @property
    def done(self) -> bool:
        return self.mode not in ("pending", "streaming")

    @property
    def stopped(self) -> bool:
        return self.mode == "error" and self.error_kind == "cancelled"

    def with_answer(self, answer: Answer) -> Turn:
        return replace(
            self,
            text=answer.text,
            mode=answer.mode,
            error=answer.error,
            error_kind=answer.error_kind,
            hits=tuple(answer.hits),
            cited=tuple(c.number for c in answer.citations),
        )

    @property
    def query(self) -> str:
        return self.searched_for or self.question

    def hit(self, number: int) -> Hit | None:
        return self.hits[number - 1] if 1 <= number <= len(self.hits) else None


@dataclass(frozen=True)
class Chat:
    id: str
    turns: tuple[Turn, ...] = ()
    created: float = field(default_factory=time.time)

    @property
    def title(self) -> str:
        if not self.turns:
            return "New chat"
        first = " ".join(self.turns[0].question.split())
        return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


@dataclass(frozen=True)
class ChatSummary:
    id: str
    title: str
    updated: float
    turns: int = 0
    created: float = 0.0


def distinct_titles(summaries: Sequence[ChatSummary]) -> tuple[ChatSummary, ...]:
    """The same chats, in the same order, where chats that share a title get " (2)", " (3)"… by creation order.

    Three chats started with the same question would otherwise be three identical rows in the history.
    """
    groups: dict[str, list[ChatSummary]] = {}
    for summary in summaries:
        groups.setdefault(summary.title, []).append(summary)
    renamed: dict[str, str] = {}
    for title, group in groups.items():
        if len(group) > 1:
            for number, summary in enumerate(sorted(group, key=lambda s: (s.created, s.id))[1:], start=2):
                renamed[summary.id] = f"{title} ({number})"
    return tuple(replace(s, title=renamed[s.id]) if s.id in renamed else s for s in summaries)


def new_chat() -> Chat:
    return Chat(id=time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])


# -- JSON -------------------------------------------------------------------------------------------
def _hit_from_dict(data: dict[str, Any]) -> Hit:
    chunk = dict(data["chunk"])
    chunk["headings"] = tuple(chunk.get("headings", ()))
    return Hit(chunk=Chunk(**chunk), scores=Scores(**data.get("scores", {})))


def turn_to_dict(turn: Turn) -> dict[str, Any]:
    return asdict(turn)


_TURN_FIELDS = frozenset(Turn.__dataclass_fields__)


def turn_from_dict(data: dict[str, Any]) -> Turn:
    values = {k: v for k, v in data.items() if k in _TURN_FIELDS}  # a newer version's extra keys are ignored
    values["hits"] = tuple(_hit_from_dict(h) for h in values.get("hits", ()))
    values["cited"] = tuple(values.get("cited", ()))
    if values.get("mode") in ("pending", "streaming"):  # the app quit mid-answer
        values.update(mode="error", error_kind="cancelled", error="Stopped.")
    return Turn(**values)


def chat_to_json(chat: Chat) -> str:
    data = {
        "version": FORMAT_VERSION,
        "id": chat.id,
        "created": chat.created,
        "turns": [turn_to_dict(t) for t in chat.turns],
    }
    return json.dumps(data, ensure_ascii=False, indent=1)


def chat_from_json(text: str) -> Chat:
    data = json.loads(text)
    turns = tuple(turn_from_dict(t) for t in data.get("turns", ()))
    return Chat(id=str(data["id"]), turns=turns, created=float(data.get("created", 0.0)))


CHATS_FOLDER = "chats"


class ChatStore:
    """One JSON file per chat under <data dir>/chats; writes are atomic (temp file + replace)."""

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> ChatStore:
        return cls(Path(data_dir) / CHATS_FOLDER)

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, chat_id: str) -> Path:
        safe = "".join(ch for ch in chat_id if ch.isalnum() or ch in "-_")
        return self.folder / f"{safe}.json"

    def save(self, chat: Chat) -> None:
        if not chat.turns:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(chat.id)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(chat_to_json(chat), encoding="utf-8")
        os.replace(tmp, path)

    def load(self, chat_id: str) -> Chat:
        """A saved chat by id, or the most recently updated one for "last"; KeyError when there is none."""
        if chat_id == "last":
            saved = self.list()
            if not saved:
                raise KeyError("no saved chats")
            chat_id = saved[0].id
        path = self._path(chat_id)
        if not path.is_file():
            raise KeyError(chat_id)
        return chat_from_json(path.read_text(encoding="utf-8"))

    def delete(self, chat_id: str) -> None:
        self._path(chat_id).unlink(missing_ok=True)

    def list(self) -> tuple[ChatSummary, ...]:
        """Saved chats, newest first; unreadable files are skipped (and logged), never fatal."""
        if not self.folder.is_dir():
            return ()
        found = []
        for path in self.folder.glob("*.json"):
            try:
                chat = chat_from_json(path.read_text(encoding="utf-8"))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("Skipping unreadable chat %s (%s)", path.name, exc)
                continue
            found.append(ChatSummary(chat.id, chat.title, path.stat().st_mtime, len(chat.turns), chat.created))
        return distinct_titles(sorted(found, key=lambda s: s.updated, reverse=True))

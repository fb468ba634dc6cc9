"""Chats: turns of one conversation, kept as JSON files in the data dir so they can be reopened from a list."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from engine import Answer, Chunk, Hit, Scores

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


def new_chat() -> Chat:
    return Chat(id=time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])


# -- JSON -------------------------------------------------------------------------------------------
def _hit_from_dict(data: dict[str, Any]) -> Hit:
    chunk = dict(data["chunk"])
    chunk["headings"] = tuple(chunk.get("headings", ()))
    return Hit(chunk=Chunk(**chunk), scores=Scores(**data.get("scores", {})))


def turn_to_dict(turn: Turn) -> dict[str, Any]:
    return asdict(turn)


def turn_from_dict(data: dict[str, Any]) -> Turn:
    values = dict(data)
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


class ChatStore:
    """One JSON file per chat under <data dir>/chats; writes are atomic (temp file + replace)."""

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
        return chat_from_json(self._path(chat_id).read_text(encoding="utf-8"))

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
            found.append(ChatSummary(chat.id, chat.title, path.stat().st_mtime))
        return tuple(sorted(found, key=lambda s: s.updated, reverse=True))

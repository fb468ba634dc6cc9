"""ChatController: a question -> search on the engine thread -> streamed answer on the answer thread -> a Turn."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.engine_host import EngineHost, JobFailure, JobHandle, SearchResult
from desktop.i18n import translate
from desktop.ranking import Ranking
from desktop.state_words import AskPlan, answer_note
from engine import Answer, CancelToken, Chat, ChatStore, ChatSummary, QueryRewrite, Turn, new_chat

log = logging.getLogger(__name__)


def stopped() -> str:
    return translate("ChatController", "Stopped.")


class ChatController(QObject):
    """Owns the current chat and the question in flight.

    Signals:
        chat_reset(Chat): a new or reopened chat replaces the view.
        turn_added(int, Turn); turn_changed(int, Turn) while searching/streaming; turn_finished(int, Turn).
        busy_changed(bool); history_changed(tuple[ChatSummary, ...])
    """

    chat_reset = Signal(object)
    turn_added = Signal(int, object)
    turn_changed = Signal(int, object)
    turn_finished = Signal(int, object)
    busy_changed = Signal(bool)
    history_changed = Signal(object)

    def __init__(
        self,
        host: EngineHost,
        store: ChatStore,
        plan: Callable[[], AskPlan],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._host = host
        self._store = store
        self._plan = plan  # how a question can be answered in the current state of models and index
        self._plans: dict[int, AskPlan] = {}
        self._chat = new_chat()
        self._token: CancelToken | None = None
        self._handles: list[JobHandle] = []
        self._turn_index: int | None = None
        self._streamed: list[str] = []
        self._search_handle: JobHandle | None = None  # the search in flight (it may be deep in the reranker)
        self._ranking: dict[int, Ranking] = {}  # this session's turns only; a reopened chat says nothing

    @property
    def chat(self) -> Chat:
        return self._chat

    @property
    def busy(self) -> bool:
        return self._turn_index is not None

    def ranking(self, index: int) -> Ranking:
        """How turn `index`'s sources were ordered (see desktop.ranking)."""
        return self._ranking.get(index, Ranking())

    def set_store(self, store: ChatStore) -> None:
        self._store = store
        self.history_changed.emit(self._store.list())

    # -- asking ------------------------------------------------------------------------------------
    def ask(self, question: str) -> int | None:
        """Start answering; a question asked while another streams replaces it (the old one is stopped).

        A question after earlier turns is first rewritten into a standalone search (on the answer thread: it may
        wait on the answer endpoint); a first question is searched as typed.
        """
        question = question.strip()
        if not question:
            return None
        if self.busy:
            self._abandon()
        turn = Turn(question)
        index = len(self._chat.turns)
        self._chat = replace(self._chat, turns=self._chat.turns + (turn,))
        self.turn_added.emit(index, turn)
        self._start(index)
        history = self._chat.turns[:index]
        if not history:
            self._search(index, question)
            return index
        handle = self._host.submit(
            "rewrite_query",
            question,
            history,
            token=self._token,
            on_done=partial(self._on_rewritten, index),
            on_error=partial(self._on_failed, index),
        )
        self._handles = [handle]
        return index

    def rerun(self, index: int, query: str) -> None:
        """Search a turn again for an edited query and answer it again (its earlier turns stay as they are)."""
        query = " ".join(query.split())
        if not query or not 0 <= index < len(self._chat.turns):
            return
        if self.busy:
            self._abandon()
        turn = self._turn(index)
        searched_for = query if query != turn.question else ""
        turn = replace(
            turn,
            searched_for=searched_for,
            text="",
            hits=(),
            cited=(),
            mode="pending",
            error=None,
            error_kind=None,
            rerank_unavailable="",
        )
        self._set_turn(index, turn)
        self.turn_changed.emit(index, turn)
        self._start(index)
        self._search(index, query)

    def _start(self, index: int) -> None:
        self._turn_index = index
        self._streamed = []
        self._handles = []
        self._token = CancelToken()
        self.busy_changed.emit(True)

    def _on_rewritten(self, index: int, rewrite: QueryRewrite) -> None:
        if rewrite.method != "as_typed":
            turn = replace(self._turn(index), searched_for=rewrite.query)
            self._set_turn(index, turn)
            self.turn_changed.emit(index, turn)
        self._search(index, rewrite.query)

    def _search(self, index: int, query: str) -> None:
        plan = self._plans[index] = self._plan()
        if not plan.search:  # nothing searchable yet: say why instead of an empty or misleading answer
            turn = replace(self._turn(index), note="", mode="error", error_kind="not_searchable", error=plan.refusal)
            self._finish(index, turn)
            return
        turn = replace(self._turn(index), note="")
        self._set_turn(index, turn)
        self._ranking.pop(index, None)
        search_kwargs: dict[str, Any] = {} if plan.semantic else {"mode": "bm25", "rerank": False}
        handle = self._host.submit(
            "search",
            query,
            token=self._token,
            on_done=partial(self._on_hits, index),
            on_error=partial(self._on_failed, index),
            on_progress=partial(self._on_early, index),
            **search_kwargs,
        )
        self._search_handle = handle
        self._handles.append(handle)

    def stop(self) -> None:
        """Stop the answer in flight; the partial text and the sources stay.

        While the search runs (the reranker may be mid-way) the turn ends at once, keeping the early list in its
        keyword + meaning order: the engine stops at its next cancel check, and its late result is dropped.
        """
        if self._token is not None:
            self._token.cancel()
        if self._search_handle is not None and self._turn_index is not None:
            self._abandon()

    def _turn(self, index: int) -> Turn:
        return self._chat.turns[index]

    def _set_turn(self, index: int, turn: Turn) -> None:
        turns = list(self._chat.turns)
        turns[index] = turn
        self._chat = replace(self._chat, turns=tuple(turns))

    def _on_early(self, index: int, early: object) -> None:
        """An early list (the keyword matches, then the fused list, before the reranker orders it): shown at once,
        marked as still being ranked."""
        if not isinstance(early, SearchResult) or index != self._turn_index or self._search_handle is None:
            return
        self._ranking[index] = Ranking.early(early)
        turn = replace(self._turn(index), hits=early.hits)
        self._set_turn(index, turn)
        self.turn_changed.emit(index, turn)

    def _on_hits(self, index: int, found: SearchResult) -> None:
        self._search_handle = None
        self._ranking[index] = Ranking.final(found)
        hits = found.hits
        plan = self._plans.get(index)
        note = answer_note(plan, len(hits)) if plan is not None else ""
        turn = replace(
            self._turn(index),
            hits=hits,
            mode="streaming",
            note=note,
            rerank_unavailable=self._rerank_note(index, found),
        )
        self._set_turn(index, turn)
        self.turn_changed.emit(index, turn)
        # The answer request goes now that the reranked top k is known; its counts travel with the hits (a partial
        # rerank must not end in "not in your documents", see engine.answer.policy).
        handle = self._host.submit(
            "answer",
            turn.question,
            found.search_hits(),
            history=self._chat.turns[:index],
            token=self._token,
            on_done=partial(self._on_answer, index),
            on_error=partial(self._on_failed, index),
            on_tokens=partial(self._on_tokens, index),
        )
        self._handles.append(handle)

    def _rerank_note(self, index: int, found: SearchResult) -> str:
        """Why the reranker did not rank this turn's hits, said once per chat: "" when an earlier turn said it."""
        if not found.rerank_unavailable:
            return ""
        told = any(t.rerank_unavailable for i, t in enumerate(self._chat.turns) if i != index)
        return "" if told else found.rerank_unavailable

    def _on_tokens(self, index: int, text: str) -> None:
        self._streamed.append(text)
        turn = replace(self._turn(index), text="".join(self._streamed), mode="streaming")
        self._set_turn(index, turn)
        self.turn_changed.emit(index, turn)

    def _on_answer(self, index: int, answer: Answer) -> None:
        self._finish(index, self._turn(index).with_answer(answer))

    def _on_failed(self, index: int, failure: JobFailure) -> None:
        turn = self._turn(index)
        if failure.cancelled:
            turn = replace(turn, text="".join(self._streamed), mode="error", error_kind="cancelled", error=stopped())
        else:
            turn = replace(turn, mode="error", error_kind=failure.error_type, error=failure.message)
        self._finish(index, turn)

    def _finish(self, index: int, turn: Turn) -> None:
        self._set_turn(index, turn)
        if index in self._ranking:
            self._ranking[index] = self._ranking[index].stopped()
        self._turn_index = None
        self._token = None
        self._handles = []
        self._search_handle = None
        self.turn_finished.emit(index, turn)
        self.busy_changed.emit(False)
        self._save()

    def _abandon(self) -> None:
        """Stop the current question without waiting for its result (which arrives stale and is dropped)."""
        index = self._turn_index
        for handle in self._handles:
            self._host.drop(handle)
        if index is not None:
            turn = replace(
                self._turn(index), text="".join(self._streamed), mode="error", error_kind="cancelled", error=stopped()
            )
            self._finish(index, turn)

    # -- chats -------------------------------------------------------------------------------------
    def _save(self) -> None:
        try:
            self._store.save(self._chat)
        except OSError as exc:
            log.warning("Could not save the chat history (%s)", exc)
        self.history_changed.emit(self._store.list())

    def new_chat(self) -> None:
        if self.busy:
            self._abandon()
        self._chat = new_chat()
        self._ranking.clear()
        self.chat_reset.emit(self._chat)

    def open_chat(self, chat_id: str) -> bool:
        if self.busy:
            self._abandon()
        try:
            self._chat = self._store.load(chat_id)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("Could not open chat %s (%s)", chat_id, exc)
            return False
        self._ranking.clear()
        self.chat_reset.emit(self._chat)
        return True

    def delete_chat(self, chat_id: str) -> None:
        self._store.delete(chat_id)
        if chat_id == self._chat.id:
            self.new_chat()
        self.history_changed.emit(self._store.list())

    def history(self) -> tuple[ChatSummary, ...]:
        return self._store.list()

    def refresh_history(self) -> None:
        self.history_changed.emit(self._store.list())

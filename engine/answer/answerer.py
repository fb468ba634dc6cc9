"""Hits -> cited prompt -> streamed tokens from an OpenAI-compatible API -> Answer (or abstain / search only).

The parts live beside it: policy.py decides, streaming.py talks to the endpoint, failures.py words what went wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from engine.answer import policy
from engine.answer.citations import extract_citations
from engine.answer.failures import LLMFailure, describe_error
from engine.answer.followup import (
    REWRITE_MAX_TOKENS,
    PriorTurn,
    clean_rewrite,
    is_standalone,
    rewrite_messages,
    rule_rewrite,
)
from engine.answer.prompting import OPENAI_DEFAULT_BASE_URL, Preview, build_preview, build_prompt
from engine.answer.secrets import get_api_key
from engine.answer.streaming import ChatRequest, OnToken, stream_chat
from engine.cancel import CancelToken
from engine.config import EngineConfig
from engine.errors import Cancelled
from engine.types import Answer, Hit, QueryRewrite

log = logging.getLogger(__name__)

KEYLESS_PLACEHOLDER = "not-needed"  # local servers ignore the key, but the SDK insists on one


class Answerer:
    """Decides between abstaining, search-only and an LLM answer, and streams the latter."""

    def __init__(self, config: EngineConfig, api_key_provider: Callable[[], str | None] = get_api_key) -> None:
        self.config = config
        self._api_key_provider = api_key_provider

    def _api_key(self) -> str | None:
        try:
            return self._api_key_provider() or None
        except Exception:  # a provider must never break answering; no key means search-only
            log.warning("API key provider failed; continuing without a key")
            return None

    def available(self) -> bool:
        """An answer model is reachable in principle: a key, or a base URL (local servers often need no key)."""
        return bool(self.config.llm_base_url) or self._api_key() is not None

    def decide(self, question: str, hits: Sequence[Hit]) -> str | None:
        """Return "abstained", "search_only", or None when the LLM should answer."""
        return policy.decide(hits, abstain_threshold=self.config.abstain_threshold, llm_available=self.available())

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        on_token: OnToken | None = None,
        cancel: CancelToken | None = None,
        history: Sequence[PriorTurn] = (),
    ) -> Answer:
        """decide(), then abstain, list passages, or stream an LLM answer."""
        mode = self.decide(question, hits)
        if mode == policy.ABSTAINED:
            return policy.abstention_answer(question, hits)
        if mode == policy.SEARCH_ONLY:
            return policy.search_only_answer(question, hits)
        return self.stream_answer(question, hits, on_token=on_token, cancel=cancel, history=history)

    def preview(
        self, question: str, hits: Sequence[Hit], *, history: Sequence[PriorTurn] = (), searched_for: str = ""
    ) -> Preview:
        """Exactly what would be sent (for --dry-run and the cloud consent dialog): the rewrite request first, when a
        follow-up needs one, then the answer request with the earlier turns."""
        rewrite = self.rewrite_request(question, history)
        return build_preview(
            question,
            hits,
            self.config,
            history=history,
            searched_for=searched_for,
            rewrite_messages=rewrite or (),
        )

    # -- follow-ups ---------------------------------------------------------------------------------
    def rewrite_request(self, question: str, history: Sequence[PriorTurn]) -> list[dict[str, str]] | None:
        """The rewrite request's messages, or None when none is sent (first question, standalone, no endpoint)."""
        if not history or is_standalone(question) or not self.config.llm_rewrite or not self.available():
            return None
        return rewrite_messages(question, history)

    def rewrite_query(
        self,
        question: str,
        history: Sequence[PriorTurn],
        *,
        cancel: CancelToken | None = None,
        use_llm: bool = True,
    ) -> QueryRewrite:
        """The query to search for a question in a chat: as typed when it stands alone, else rewritten by the
        answer model (one short request), else by rule when there is no model, its request fails, or use_llm is
        False (a dry run sends nothing)."""
        question = " ".join(question.split())
        if not history or is_standalone(question):
            return QueryRewrite(question, "as_typed")
        messages = self.rewrite_request(question, history) if use_llm else None
        if messages is None:
            return QueryRewrite(rule_rewrite(question, history), "rule")
        key = self._api_key()
        parts: list[str] = []
        try:
            request = ChatRequest(
                lambda: self._client(key), self.config.llm_model, messages, max_tokens=REWRITE_MAX_TOKENS
            )
            stream_chat(request, parts, None, cancel)
        except Cancelled:
            raise
        except Exception as exc:  # the rewrite is a nicety: search by rule and let the answer request report errors
            failure = self.describe_error(exc, key)
            log.warning("Follow-up rewrite failed, rewriting by rule: %s", failure.message)
            return QueryRewrite(rule_rewrite(question, history), "rule", error=failure.message)
        reply = "".join(parts)
        if not reply.strip():
            return QueryRewrite(rule_rewrite(question, history), "rule", error="The rewrite came back empty.")
        return QueryRewrite(clean_rewrite(reply, question), "llm")

    def stream_answer(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        on_token: OnToken | None = None,
        cancel: CancelToken | None = None,
        history: Sequence[PriorTurn] = (),
    ) -> Answer:
        """Stream an answer; API failures and cancel come back as Answer(mode="error"), never raised."""
        hits = tuple(hits)
        prompt = build_prompt(
            question,
            hits,
            max_context_chars=self.config.llm_max_context_chars,
            history=history,
            history_chars=self.config.llm_history_chars,
        )
        key = self._api_key()
        if key is None and not self.config.llm_base_url:
            failure = LLMFailure("not_configured", "No API key and no answer endpoint are configured.")
            return _failed(question, hits, prompt.hits, "", failure)
        parts: list[str] = []
        try:
            request = ChatRequest(lambda: self._client(key), self.config.llm_model, list(prompt.messages))
            stream_chat(request, parts, on_token, cancel)
        except Cancelled:
            return _failed(question, hits, prompt.hits, "".join(parts), LLMFailure("cancelled", "Answer cancelled."))
        except Exception as exc:  # every API failure becomes words; the sources still show
            failure = self.describe_error(exc, key)
            log.warning("Answer request failed: %s", failure.message, exc_info=failure.kind == "error")
            return _failed(question, hits, prompt.hits, "".join(parts), failure)
        text = "".join(parts)
        return Answer(question, text, "llm", hits, extract_citations(text, prompt.hits))

    def _client(self, key: str | None) -> Any:
        import openai

        return openai.OpenAI(
            api_key=key or KEYLESS_PLACEHOLDER,
            base_url=self.config.llm_base_url or None,
            timeout=self.config.llm_timeout_s,
            max_retries=0,  # we retry a 429 ourselves, once, so that cancel is honoured while waiting
        )

    def endpoint(self) -> str:
        return self.config.llm_base_url or OPENAI_DEFAULT_BASE_URL

    def describe_error(self, exc: BaseException, key: str | None = None) -> LLMFailure:
        """A specific, key-free message for each way an answer request fails."""
        c = self.config
        return describe_error(exc, endpoint=self.endpoint(), model=c.llm_model, timeout_s=c.llm_timeout_s, key=key)


def _failed(question: str, hits: tuple[Hit, ...], sent: Sequence[Hit], text: str, failure: LLMFailure) -> Answer:
    """An error answer: partial text (if any) and all the retrieved hits, so the sources still show."""
    citations = extract_citations(text, sent) if text else ()
    return Answer(question, text, "error", hits, citations, error=failure.message, error_kind=failure.kind)

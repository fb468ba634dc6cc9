"""Hits -> cited prompt -> streamed tokens from an OpenAI-compatible API -> Answer (or abstain / search only)."""

from __future__ import annotations

import email.utils
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.cancel import CancelToken
from engine.citations import extract_citations, format_abstention, format_search_only, list_citations
from engine.config import EngineConfig
from engine.errors import Cancelled
from engine.prompting import OPENAI_DEFAULT_BASE_URL, Preview, build_preview, build_prompt
from engine.secrets import get_api_key, redact
from engine.types import Answer, Hit

log = logging.getLogger(__name__)

KEYLESS_PLACEHOLDER = "not-needed"  # local servers ignore the key, but the SDK insists on one
RETRY_AFTER_CAP_S = 10.0
_POLL_S = 0.05

OnToken = Callable[[str], None]


@dataclass(frozen=True)
class LLMFailure:
    """A failed answer request in words: kind for the UI to branch on, message to show, HTTP status if any."""

    kind: str
    message: str
    status: int | None = None


def search_only_answer(question: str, hits: Sequence[Hit]) -> Answer:
    """No key and no endpoint: the ranked passages are the answer, labelled as such."""
    hits = tuple(hits)
    return Answer(question, format_search_only(question, hits), "search_only", hits, list_citations(hits))


def abstention_answer(question: str, hits: Sequence[Hit]) -> Answer:
    """Nothing relevant enough: say so and show the closest passages; no LLM call."""
    hits = tuple(hits)
    return Answer(question, format_abstention(question, hits), "abstained", hits, list_citations(hits))


class Answerer:
    """Decides between abstaining, search-only and an LLM answer, and streams the latter."""

    def __init__(self, config: EngineConfig, api_key_provider: Callable[[], str | None] = get_api_key) -> None:
        self.config = config
        self._api_key_provider = api_key_provider

    # -- decisions --------------------------------------------------------------------------------

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
        if not hits:
            return "abstained"
        reranked = [h.scores.rerank for h in hits if h.scores.rerank is not None]
        # Without a reranker there is no calibrated score to abstain on: fused/RRF scores are ranks, not relevance.
        if reranked and max(reranked) < self.config.abstain_threshold:
            return "abstained"
        return None if self.available() else "search_only"

    def answer(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        on_token: OnToken | None = None,
        cancel: CancelToken | None = None,
    ) -> Answer:
        """decide(), then abstain, list passages, or stream an LLM answer."""
        mode = self.decide(question, hits)
        if mode == "abstained":
            return abstention_answer(question, hits)
        if mode == "search_only":
            return search_only_answer(question, hits)
        return self.stream_answer(question, hits, on_token=on_token, cancel=cancel)

    def preview(self, question: str, hits: Sequence[Hit]) -> Preview:
        """Exactly what stream_answer would send (for --dry-run and the cloud consent dialog)."""
        return build_preview(question, hits, self.config)

    # -- streaming --------------------------------------------------------------------------------

    def stream_answer(
        self,
        question: str,
        hits: Sequence[Hit],
        *,
        on_token: OnToken | None = None,
        cancel: CancelToken | None = None,
    ) -> Answer:
        """Stream an answer; API failures and cancel come back as Answer(mode="error"), never raised."""
        hits = tuple(hits)
        prompt = build_prompt(question, hits, max_context_chars=self.config.llm_max_context_chars)
        key = self._api_key()
        if key is None and not self.config.llm_base_url:
            failure = LLMFailure("not_configured", "No API key and no answer endpoint are configured.")
            return _failed(question, hits, prompt.hits, "", failure)
        parts: list[str] = []
        try:
            self._run(list(prompt.messages), key, parts, on_token, cancel)
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

    def _run(
        self,
        messages: list[dict[str, str]],
        key: str | None,
        parts: list[str],
        on_token: OnToken | None,
        cancel: CancelToken | None,
    ) -> None:
        import openai

        for attempt in (1, 2):
            _check(cancel)
            try:
                self._pump(messages, key, parts, on_token, cancel)
                return
            except openai.RateLimitError as exc:
                wait = _retry_after_s(exc)
                if attempt == 2 or parts or wait is None or wait > RETRY_AFTER_CAP_S or _is_quota(exc):
                    raise
                log.info("Rate limited; retrying once in %.1f s", wait)
                _sleep(wait, cancel)

    def _pump(
        self,
        messages: list[dict[str, str]],
        key: str | None,
        parts: list[str],
        on_token: OnToken | None,
        cancel: CancelToken | None,
    ) -> None:
        """Run the request on a helper thread so a cancel returns at once, even before the first byte arrives."""
        events: queue.Queue[tuple[str, object]] = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(
            target=self._stream_worker, args=(messages, key, events, stop), name="tansaku-answer", daemon=True
        )
        worker.start()
        try:
            while True:
                try:
                    kind, payload = events.get(timeout=_POLL_S)
                except queue.Empty:
                    _check(cancel)
                    continue
                if kind == "token":
                    _check(cancel)
                    parts.append(str(payload))
                    if on_token is not None:
                        on_token(str(payload))
                elif kind == "error":
                    raise payload  # type: ignore[misc]
                else:
                    return
        finally:
            stop.set()  # the worker closes the response at its next chunk (or at once if it is done)

    def _stream_worker(
        self,
        messages: list[dict[str, str]],
        key: str | None,
        events: queue.Queue[tuple[str, object]],
        stop: threading.Event,
    ) -> None:
        client = None
        stream = None
        try:
            client = self._client(key)
            stream = client.chat.completions.create(model=self.config.llm_model, messages=messages, stream=True)
            for chunk in stream:
                if stop.is_set():
                    break
                for choice in chunk.choices or ():
                    content = getattr(choice.delta, "content", None) if choice.delta else None
                    if content:
                        events.put(("token", content))
            events.put(("done", None))
        except BaseException as exc:  # handed to the caller's thread, which maps it to words
            events.put(("error", exc))
        finally:
            for closable in (stream, client):
                if closable is not None:
                    try:
                        closable.close()
                    except Exception:  # closing a half-read response may fail; nothing to do about it
                        pass

    # -- errors -----------------------------------------------------------------------------------

    def endpoint(self) -> str:
        return self.config.llm_base_url or OPENAI_DEFAULT_BASE_URL

    def describe_error(self, exc: BaseException, key: str | None = None) -> LLMFailure:
        """A specific, key-free message for each way an answer request fails."""
        import openai

        failure = self._describe_status(exc) if isinstance(exc, openai.APIStatusError) else None
        if failure is None:
            failure = self._describe_transport(exc)
        return LLMFailure(failure.kind, redact(failure.message, key), failure.status)

    def _describe_transport(self, exc: BaseException) -> LLMFailure:
        import openai

        endpoint = self.endpoint()
        if isinstance(exc, openai.APITimeoutError):
            return LLMFailure(
                "timeout",
                f"The answer endpoint {endpoint} did not respond within "
                f"{self.config.llm_timeout_s:g} s. Try again, or raise the timeout in Settings.",
            )
        if isinstance(exc, openai.APIConnectionError):
            cause = _root_cause(exc)
            return LLMFailure(
                "connection",
                f"Could not connect to the answer endpoint {endpoint}"
                f" ({cause}). Check the base URL and that the server is running.",
            )
        if isinstance(exc, openai.APIError):
            return LLMFailure("stream", f"The answer endpoint reported an error while answering: {exc.message}")
        return LLMFailure("error", f"The answer could not be generated ({type(exc).__name__}: {exc}).")

    def _describe_status(self, exc: Any) -> LLMFailure:
        import openai

        status = exc.status_code
        detail = _detail(exc)
        model, endpoint = self.config.llm_model, self.endpoint()
        if isinstance(exc, openai.AuthenticationError):
            return LLMFailure(
                "auth",
                f"The API key was rejected by {endpoint} (401). Check the key in Settings or OPENAI_API_KEY.",
                status,
            )
        if isinstance(exc, openai.PermissionDeniedError):
            return LLMFailure("permission", f"The API key may not use this endpoint or model (403): {detail}", status)
        if isinstance(exc, openai.NotFoundError):
            return LLMFailure(
                "model_not_found",
                f"The model '{model}' was not found at {endpoint} (404). Check the "
                "model name, and that a local server's base URL ends in /v1.",
                status,
            )
        if isinstance(exc, openai.RateLimitError):
            if _is_quota(exc):
                return LLMFailure("quota", f"The account behind this API key has no quota left (429): {detail}", status)
            wait = _retry_after_s(exc)
            hint = f" The endpoint asked to wait {wait:g} s." if wait is not None else ""
            return LLMFailure("rate_limit", f"Rate limited by {endpoint} (429).{hint} Try again in a moment.", status)
        if _is_context_length(exc):
            return LLMFailure(
                "context_length",
                f"The question and its sources are too long for model '{model}' "
                "(context length exceeded). Use fewer or shorter sources, or a model with a larger "
                "context.",
                status,
            )
        if status >= 500:
            return LLMFailure(
                "server", f"The answer endpoint {endpoint} had a server error ({status}). Try again later.", status
            )
        if isinstance(exc, openai.BadRequestError):
            return LLMFailure("bad_request", f"The answer endpoint rejected the request (400): {detail}", status)
        return LLMFailure("http", f"The answer endpoint returned HTTP {status}: {detail}", status)


def _failed(question: str, hits: tuple[Hit, ...], sent: Sequence[Hit], text: str, failure: LLMFailure) -> Answer:
    """An error answer: partial text (if any) and all the retrieved hits, so the sources still show."""
    citations = extract_citations(text, sent) if text else ()
    return Answer(question, text, "error", hits, citations, error=failure.message, error_kind=failure.kind)


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None and cancel.cancelled:
        raise Cancelled("cancelled")


def _sleep(seconds: float, cancel: CancelToken | None) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        _check(cancel)
        time.sleep(min(_POLL_S, left))
    _check(cancel)


def _error_body(exc: Any) -> dict[str, Any]:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    return body if isinstance(body, dict) else {}


def _detail(exc: Any) -> str:
    message = _error_body(exc).get("message") or getattr(exc, "message", "") or str(exc)
    return " ".join(str(message).split())[:300]


def _is_quota(exc: Any) -> bool:
    return getattr(exc, "code", None) == "insufficient_quota" or _error_body(exc).get("code") == "insufficient_quota"


_CONTEXT_PHRASES = (
    "context length",
    "context_length",
    "context window",
    "context size",
    "too many tokens",
    "maximum context",
    "prompt is too long",
)


def _is_context_length(exc: Any) -> bool:
    code = str(getattr(exc, "code", None) or _error_body(exc).get("code") or "")
    if code in ("context_length_exceeded", "string_above_max_length"):
        return True
    text = _detail(exc).lower()
    return exc.status_code in (400, 413, 422) and any(p in text for p in _CONTEXT_PHRASES)


def _retry_after_s(exc: Any) -> float | None:
    """Seconds from Retry-After / retry-after-ms (number or HTTP date); None if absent or unreadable."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    ms = headers.get("retry-after-ms")
    try:
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _root_cause(exc: BaseException) -> str:
    """The innermost cause's words, e.g. "Connection refused", for the connection message."""
    seen = exc
    while seen.__cause__ is not None and seen.__cause__ is not seen:
        seen = seen.__cause__
    text = str(seen) or type(seen).__name__
    if "refused" in text.lower():
        return "connection refused"
    return text if len(text) < 200 else type(seen).__name__

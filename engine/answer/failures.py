"""Failed answer requests in words: one specific, key-free message for each way the OpenAI SDK can fail."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any

from engine.answer.secrets import redact


@dataclass(frozen=True)
class LLMFailure:
    """A failed answer request in words: kind for the UI to branch on, message to show, HTTP status if any."""

    kind: str
    message: str
    status: int | None = None


def describe_error(
    exc: BaseException, *, endpoint: str, model: str, timeout_s: float, key: str | None = None
) -> LLMFailure:
    """A specific, key-free message for each way an answer request fails."""
    import openai

    failure = _describe_status(exc, endpoint, model) if isinstance(exc, openai.APIStatusError) else None
    if failure is None:
        failure = _describe_transport(exc, endpoint, timeout_s)
    return LLMFailure(failure.kind, redact(failure.message, key), failure.status)


def _describe_transport(exc: BaseException, endpoint: str, timeout_s: float) -> LLMFailure:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return LLMFailure(
            "timeout",
            f"The answer endpoint {endpoint} did not respond within "
            f"{timeout_s:g} s. Try again, or raise the timeout in Settings.",
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


def _describe_status(exc: Any, endpoint: str, model: str) -> LLMFailure:
    import openai

    status = exc.status_code
    detail = _detail(exc)
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
        if is_quota(exc):
            return LLMFailure("quota", f"The account behind this API key has no quota left (429): {detail}", status)
        wait = retry_after_s(exc)
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


def _error_body(exc: Any) -> dict[str, Any]:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    return body if isinstance(body, dict) else {}


def _detail(exc: Any) -> str:
    message = _error_body(exc).get("message") or getattr(exc, "message", "") or str(exc)
    return " ".join(str(message).split())[:300]


def is_quota(exc: Any) -> bool:
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


def retry_after_s(exc: Any) -> float | None:
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

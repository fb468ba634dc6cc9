"""Streams one chat completion on a helper thread, so that cancel returns at once, and retries a short 429 once."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.answer.failures import is_quota, retry_after_s
from engine.cancel import CancelToken
from engine.errors import Cancelled

log = logging.getLogger(__name__)

RETRY_AFTER_CAP_S = 10.0
_POLL_S = 0.05

OnToken = Callable[[str], None]
ClientFactory = Callable[[], Any]


@dataclass(frozen=True)
class ChatRequest:
    """One streamed chat completion: how to make the SDK client, the model, and the messages."""

    make_client: ClientFactory
    model: str
    messages: list[dict[str, str]]
    max_tokens: int | None = None  # a cap for short requests (the follow-up rewrite); None: the server's default


def stream_chat(request: ChatRequest, parts: list[str], on_token: OnToken | None, cancel: CancelToken | None) -> None:
    """Append streamed tokens to `parts` (also handed to on_token); raises the SDK's errors and Cancelled."""
    import openai

    for attempt in (1, 2):
        _check(cancel)
        try:
            _pump(request, parts, on_token, cancel)
            return
        except openai.RateLimitError as exc:
            wait = retry_after_s(exc)
            if attempt == 2 or parts or wait is None or wait > RETRY_AFTER_CAP_S or is_quota(exc):
                raise
            log.info("Rate limited; retrying once in %.1f s", wait)
            _sleep(wait, cancel)


def _pump(request: ChatRequest, parts: list[str], on_token: OnToken | None, cancel: CancelToken | None) -> None:
    """Run the request on a helper thread so a cancel returns at once, even before the first byte arrives."""
    events: queue.Queue[tuple[str, object]] = queue.Queue()
    stop = threading.Event()
    worker = threading.Thread(target=_stream_worker, args=(request, events, stop), name="tansaku-answer", daemon=True)
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
                assert isinstance(payload, BaseException)
                raise payload
            else:
                return
    finally:
        stop.set()  # the worker closes the response at its next chunk (or at once if it is done)


def _stream_worker(request: ChatRequest, events: queue.Queue[tuple[str, object]], stop: threading.Event) -> None:
    client = None
    stream = None
    try:
        client = request.make_client()
        limits = {} if request.max_tokens is None else {"max_tokens": request.max_tokens, "temperature": 0}
        stream = client.chat.completions.create(model=request.model, messages=request.messages, stream=True, **limits)
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


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None and cancel.cancelled:
        raise Cancelled("cancelled")


def _sleep(seconds: float, cancel: CancelToken | None) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        _check(cancel)
        time.sleep(min(_POLL_S, left))
    _check(cancel)

"""A scriptable OpenAI-compatible chat server on 127.0.0.1 for tests that drive the real openai SDK.

Usage::

    with FakeOpenAIServer() as server:
        server.push(Reply("Paris is the capital [1]."))       # the next request gets this (SSE or JSON)
        server.push(Fail.rate_limit(retry_after=0.1), Reply("ok"))  # a queue: one behaviour per request
        config = EngineConfig(llm_base_url=server.base_url)
        ...
        server.requests[-1].body["messages"]                    # what the client sent
        server.requests[-1].headers["authorization"]            # "Bearer <key>"

When the queue is empty, `server.default` answers (a short Reply). Behaviours:
`Reply(text)` streams the text in several deltas (or returns one JSON completion when `stream` is false);
`Fail(status, ...)` answers with OpenAI's error JSON (constructors: unauthorized, model_not_found, rate_limit,
quota, server_error, context_length); `Hold(seconds)` waits before answering (client timeouts; `release()` ends it);
`Trickle()` streams a token every `interval` seconds until the client hangs up (cancel tests; `disconnected` is
set when it does); `StreamError(text, message)` streams some text, then an error event. GET /v1/models lists
`server.models`. Only 127.0.0.1 is bound; `refused_port()` gives a port where nothing listens.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Reply:
    """A successful completion; streamed as `chunks` deltas (at least one) when the request asks to stream."""

    text: str = "OK"
    chunks: int = 4
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Fail:
    """An HTTP error with OpenAI's error body {"error": {"message", "type", "param", "code"}}."""

    status: int
    message: str = "error"
    type: str = "invalid_request_error"
    code: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def unauthorized(cls) -> Fail:
        return cls(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")

    @classmethod
    def model_not_found(cls, model: str = "gpt-4o") -> Fail:
        return cls(404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found")

    @classmethod
    def rate_limit(cls, retry_after: float | None = None) -> Fail:
        headers = (("Retry-After", f"{retry_after:g}"),) if retry_after is not None else ()
        return cls(429, "Rate limit reached for requests.", "requests", "rate_limit_exceeded", headers)

    @classmethod
    def quota(cls) -> Fail:
        return cls(429, "You exceeded your current quota.", "insufficient_quota", "insufficient_quota")

    @classmethod
    def server_error(cls, status: int = 500) -> Fail:
        return cls(status, "The server had an error while processing your request.", "server_error")

    @classmethod
    def context_length(cls) -> Fail:
        return cls(
            400,
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 200000 tokens.",
            "invalid_request_error",
            "context_length_exceeded",
        )


@dataclass(frozen=True)
class Hold:
    """Wait `seconds` (or until release()) before answering with `then`: makes a client time out."""

    seconds: float = 30.0
    then: Reply | Fail = field(default_factory=Reply)


@dataclass(frozen=True)
class Trickle:
    """Stream `token` every `interval` seconds, forever, until the client disconnects or the server stops."""

    token: str = "tick "
    interval: float = 0.02


@dataclass(frozen=True)
class StreamError:
    """Stream `text`, then an in-stream error event (some servers report failures this way)."""

    text: str = "partial "
    message: str = "The model crashed."


Behaviour = Reply | Fail | Hold | Trickle | StreamError


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    client: str


class _ClientGone(Exception):
    pass


class _Server(ThreadingHTTPServer):
    """Quiet about clients that hang up (cancel, timeouts); other handler errors are kept in `fake.errors`."""

    daemon_threads = True
    fake: FakeOpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, _ClientGone)):
            return
        self.fake.errors.append(repr(exc))
        super().handle_error(request, client_address)


class FakeOpenAIServer:
    """Context manager: a threaded HTTP server on 127.0.0.1:<free port> speaking the chat completions API."""

    def __init__(self, default: Behaviour | None = None, models: tuple[str, ...] = ("gpt-4o",)) -> None:
        self.default: Behaviour = default or Reply()
        self.models = models
        self.requests: list[RecordedRequest] = []
        self.disconnected = threading.Event()  # a streaming client hung up mid-stream
        self.holding = 0  # requests currently inside a Hold
        self.errors: list[str] = []  # unexpected exceptions in the server's handlers (a bug in a test or here)
        self._gate = threading.Event()
        self._queue: list[Behaviour] = []
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._httpd = _Server((HOST, 0), handler)
        self._httpd.fake = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    # -- scripting --------------------------------------------------------------------------------

    def push(self, *behaviours: Behaviour) -> None:
        """Queue behaviours; each request takes the next one, then `default` when the queue is empty."""
        with self._lock:
            self._queue.extend(behaviours)

    def release(self) -> None:
        """End every Hold and Trickle now."""
        self._gate.set()

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next(self) -> Behaviour:
        with self._lock:
            return self._queue.pop(0) if self._queue else self.default

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _hold(self, seconds: float) -> None:
        with self._lock:
            self.holding += 1
        try:
            self._gate.wait(seconds)
        finally:
            with self._lock:
                self.holding -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeOpenAIServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    # -- routing ----------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._record(None)
        if self.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.fake.models]
            self._json(200, {"object": "list", "data": data})
        else:
            self._fail(Fail(404, f"Unknown path {self.path}", code="not_found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self._record(body)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._fail(Fail(404, f"Unknown path {self.path}", code="not_found"))
            return
        stream = isinstance(body, dict) and bool(body.get("stream"))
        model = body.get("model", "gpt-4o") if isinstance(body, dict) else "gpt-4o"
        try:
            self._behave(self.fake._next(), stream, model)
        except (_ClientGone, ConnectionError):
            self.fake.disconnected.set()
            self.close_connection = True

    def _behave(self, behaviour: Behaviour, stream: bool, model: str) -> None:
        if isinstance(behaviour, Hold):
            self.fake._hold(behaviour.seconds)
            behaviour = behaviour.then
        if isinstance(behaviour, Fail):
            self._fail(behaviour)
        elif isinstance(behaviour, Reply) and not stream:
            self._json(200, _completion(model, behaviour.text, behaviour.finish_reason))
        elif isinstance(behaviour, Reply):
            self._sse_start()
            for piece in _split(behaviour.text, behaviour.chunks):
                self._sse(_chunk(model, {"content": piece}))
            self._sse(_chunk(model, {}, behaviour.finish_reason))
            self._sse_end()
        elif isinstance(behaviour, Trickle):
            self._trickle(behaviour, model)
        elif isinstance(behaviour, StreamError):
            self._sse_start()
            self._sse(_chunk(model, {"content": behaviour.text}))
            self._sse({"error": {"message": behaviour.message, "type": "server_error", "param": None, "code": None}})
            self._sse_end()

    def _trickle(self, behaviour: Trickle, model: str) -> None:
        self._sse_start()
        while not self.fake._gate.is_set():
            self._sse(_chunk(model, {"content": behaviour.token}))
            time.sleep(behaviour.interval)
        self._sse_end()

    # -- writing ----------------------------------------------------------------------------------

    def _record(self, body: Any) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fake._record(RecordedRequest(self.command, self.path, headers, body, self.client_address[0]))

    def _json(self, status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _fail(self, fail: Fail) -> None:
        error = {"message": fail.message, "type": fail.type, "param": None, "code": fail.code}
        self._json(fail.status, {"error": error}, fail.headers)

    def _sse_start(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        try:
            self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        except OSError as exc:
            raise _ClientGone() from exc

    def _sse(self, payload: Any) -> None:
        self._write_chunk(f"data: {json.dumps(payload)}\n\n".encode())

    def _sse_end(self) -> None:
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")  # the zero-length chunk ends the chunked body


def _split(text: str, parts: int) -> list[str]:
    """Text in `parts` nearly equal pieces (at least one, none empty unless text is)."""
    parts = max(1, min(parts, len(text) or 1))
    size, extra = divmod(len(text), parts)
    pieces, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def _chunk(model: str, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def _completion(model: str, text: str, finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def refused_port() -> int:
    """A loopback port with nothing listening (bound then released), for connection-refused tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])

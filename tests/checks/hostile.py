"""Tiny hostile providers on 127.0.0.1: each misbehaves in one way, on every request.

They are raw socket servers (tests/support/rawserver.py), not the crafted provider, because most
of the hostility is below HTTP — a half-sent chunk, headers then a drip, a body far past its
cap — which an HTTP server library would refuse to produce. One listener serves every
behaviour; the first path segment picks it (``http://127.0.0.1:P/<behaviour>/v1``).

Every loop here is bounded in bytes and time and stops when the client goes away: a hostile
server used in a test must never become the thing that hangs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from tests.support.rawserver import RawRequest, RawServer

MODEL = "hostile-chat"
HUGE_BODY_BYTES = 50 * 1024 * 1024
"""What the huge_body provider declares and would send, if the client kept reading."""
SEND_LIMIT_BYTES = 200 * 1024 * 1024
"""Safety bound for the endless stream: past this the server stops on its own."""
SEND_LIMIT_S = 30.0
"""Safety bound in time for the endless and dripping responses."""
JSON_BOMB_DEPTH = 100_000
"""Far deeper than Python's recursion limit, yet only 200 kB: a parser must not crash on it."""

Request = RawRequest


def _head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _completion(content: str) -> dict:
    return {
        "id": "chatcmpl-hostile", "object": "chat.completion", "created": 1_700_000_000, "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def _chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    chunk = {
        "id": "chatcmpl-hostile", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def _json_response(status: str, document: object, extra: dict[str, str] | None = None) -> bytes:
    body = json.dumps(document).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), **(extra or {})}
    return _head(status, headers) + body


class HostileServer:
    """All behaviours on one loopback port, and the redirect target on another."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.requests: dict[str, int] = {}
        """Requests seen per behaviour (proves the run really reached each one)."""
        self.trap_connections = 0
        """Connections to the redirect target; must stay 0 (a redirect is never followed)."""
        self._main = RawServer(self._serve)
        self._trap_server = RawServer(self._trap)
        self.behaviours: dict[str, Callable[[Request, asyncio.StreamWriter], Awaitable[None]]] = {
            "huge_body": self._huge_body,
            "endless_stream": self._endless_stream,
            "event_flood": self._event_flood,
            "slowloris": self._slowloris,
            "invalid_utf8": self._invalid_utf8,
            "json_bomb": self._json_bomb,
            "mid_chunk_close": self._mid_chunk_close,
            "rate_limited": self._rate_limited,
            "redirect": self._redirect,
            "echo_key": self._echo_key,
        }

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> HostileServer:
        self._main.start()
        self._trap_server.start()
        return self

    def stop(self) -> None:
        self._main.stop()
        self._trap_server.stop()

    @property
    def port(self) -> int:
        return self._main.port

    @property
    def trap_port(self) -> int:
        return self._trap_server.port

    def base_url(self, behaviour: str) -> str:
        assert behaviour in self.behaviours, behaviour
        return f"http://127.0.0.1:{self.port}/{behaviour}/v1"

    async def _trap(self, request: Request, writer: asyncio.StreamWriter) -> None:
        self.trap_connections += 1
        writer.write(_json_response("200 OK", _completion("followed a redirect")))

    async def _serve(self, request: Request, writer: asyncio.StreamWriter) -> None:
        behaviour, _, rest = request.path.lstrip("/").partition("/")
        handler = self.behaviours.get(behaviour)
        if handler is None:
            error = {"error": {"message": "no such behaviour", "type": "invalid_request_error", "param": None, "code": None}}
            writer.write(_json_response("404 Not Found", error))
            return
        self.requests[behaviour] = self.requests.get(behaviour, 0) + 1
        request.path = "/" + rest
        await handler(request, writer)

    # --- behaviours ------------------------------------------------------------------------
    async def _huge_body(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """A well-formed completion whose content makes the body 50 MB (declared up front)."""
        prefix = json.dumps(_completion("")).encode().split(b'"content": ""')
        opening, closing = prefix[0] + b'"content": "', b'"' + prefix[1]
        filler = HUGE_BODY_BYTES - len(opening) - len(closing)
        writer.write(_head("200 OK", {"Content-Type": "application/json", "Content-Length": str(HUGE_BODY_BYTES)}) + opening)
        piece = b"A" * 65_536
        while filler > 0:
            writer.write(piece[: min(filler, len(piece))])
            filler -= len(piece)
            await writer.drain()
        writer.write(closing)

    async def _endless_stream(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """A valid SSE stream of content chunks that never ends (for every request, streamed or not)."""
        writer.write(_head("200 OK", {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}))
        started, sent, number = time.monotonic(), 0, 0
        while sent < SEND_LIMIT_BYTES and time.monotonic() - started < SEND_LIMIT_S:
            number += 1
            piece = _chunk(f"tick{number} ")
            writer.write(piece)
            sent += len(piece)
            await writer.drain()
            if number % 64 == 0:
                await asyncio.sleep(0)  # let other connections be served too

    async def _event_flood(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """Endless SSE events of ten bytes each: few bytes, very many events to parse and keep."""
        writer.write(_head("200 OK", {"Content-Type": "text/event-stream"}))
        started, sent = time.monotonic(), 0
        burst = b"data: {}\n\n" * 1_000
        while sent < SEND_LIMIT_BYTES and time.monotonic() - started < SEND_LIMIT_S:
            writer.write(burst)
            sent += len(burst)
            await writer.drain()

    async def _slowloris(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """Status line and headers at once, then one byte of body every half second.

        A per-read timeout never fires on this; only a deadline for the whole exchange does."""
        writer.write(_head("200 OK", {"Content-Type": "application/json", "Content-Length": "100000"}))
        await writer.drain()
        started = time.monotonic()
        while time.monotonic() - started < SEND_LIMIT_S:
            await asyncio.sleep(0.5)
            writer.write(b" ")
            await writer.drain()

    async def _invalid_utf8(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """A completion (or stream) whose text holds bytes that are not UTF-8."""
        bad = b"caf\xe9 \xff\xfe \xc3\x28"
        if request.wants_stream:
            writer.write(_head("200 OK", {"Content-Type": "text/event-stream"}))
            writer.write(_chunk("Hello").replace(b"Hello", bad) + _chunk(None, "stop") + b"data: [DONE]\n\n")
            return
        body = json.dumps(_completion("Hello")).encode().replace(b"Hello", bad)
        writer.write(_head("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body))}) + body)

    async def _json_bomb(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """A completion carrying an array nested 100,000 deep (200 kB, far below any byte cap)."""
        bomb = b"[" * JSON_BOMB_DEPTH + b"]" * JSON_BOMB_DEPTH
        document = json.dumps(_completion("Hello")).encode()
        body = document[:-1] + b', "x_nested": ' + bomb + b"}"
        if request.wants_stream:
            writer.write(_head("200 OK", {"Content-Type": "text/event-stream"}))
            writer.write(b"data: " + body + b"\n\n" + b"data: [DONE]\n\n")
            return
        writer.write(_head("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(body))}) + body)

    async def _mid_chunk_close(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """Chunked transfer: announces a 4 kB chunk, sends 40 bytes of it, and closes."""
        content_type = "text/event-stream" if request.wants_stream else "application/json"
        writer.write(_head("200 OK", {"Content-Type": content_type, "Transfer-Encoding": "chunked"}))
        writer.write(b"1000\r\n" + b'data: {"id": "chatcmpl-hostile", "obj')
        await writer.drain()
        writer.transport.abort()  # no terminating chunk, no FIN handshake niceties

    async def _rate_limited(self, request: Request, writer: asyncio.StreamWriter) -> None:
        error = {"error": {"message": "Rate limit reached for requests", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
        writer.write(_json_response("429 Too Many Requests", error, {"Retry-After": "1"}))

    async def _redirect(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """302 to another origin. Following it would send the request, and any key header that
        is not Authorization, to a host the user never configured."""
        location = f"http://127.0.0.1:{self.trap_port}{request.path}"
        writer.write(_head("302 Found", {"Location": location, "Content-Length": "0"}))

    async def _echo_key(self, request: Request, writer: asyncio.StreamWriter) -> None:
        """A working provider whose every error quotes the credentials it was sent, whole and in
        the "sk-ab…wxyz" style, in the message and in a response header."""
        sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        echoed = {"X-Echo-Key": sent or "none"}

        def error(status: str, message: str) -> bytes:
            partial = f"{sent[:10]}...{sent[-6:]}" if sent else "none"
            text = f"{message}. You sent the key {sent!r} ({partial})."
            return _json_response(status, {"error": {"message": text, "type": "invalid_request_error", "param": None, "code": "echo"}}, echoed)

        if sent != self.key:
            writer.write(error("401 Unauthorized", "Incorrect API key provided"))
            return
        if request.method == "GET" and request.path.endswith("/models"):
            listing = {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 1_700_000_000, "owned_by": "hostile"}]}
            writer.write(_json_response("200 OK", listing, echoed))
            return
        try:
            document = json.loads(request.body)
        except ValueError:
            writer.write(error("400 Bad Request", "Could not parse the body as JSON"))
            return
        if not isinstance(document, dict) or not isinstance(document.get("messages"), list):
            writer.write(error("400 Bad Request", "messages is required"))
            return
        if document.get("model") != MODEL:
            writer.write(error("404 Not Found", f"The model {document.get('model')!r} does not exist"))
            return
        if document.get("stream") is True:
            writer.write(error("400 Bad Request", "Streaming is not available"))
            return
        writer.write(_json_response("200 OK", _completion("Hello there."), echoed))


"""The crafted provider: a real HTTP server on 127.0.0.1 whose every answer comes from a function.

A test writes what a provider would say (a function of the request) and points the real client,
the runner or the command line at ``provider.base_url``; the verdict is then judged on the bytes
such a provider would send. The server records every request (method, path, headers, body, arrival
time) and how many it was answering at once.

Replies can be JSON, text or raw bytes; delayed before the status line (a slow or silent
provider); streamed as HTTP chunks with pauses between them (SSE, endless streams); or left open
after the body (a stream that never ends). Anything below HTTP (a half-sent chunk, garbage instead
of a status line) is the job of :mod:`tests.support.rawserver`.

It is a ``ThreadingHTTPServer``: one thread per connection, so a reply that waits never holds up
the others. Closing it cuts every wait short, and a client that hangs up mid-reply is no error.
"""

from __future__ import annotations

import itertools
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

STREAM_LIMIT_S = 30.0
"""Safety bound for a chunked reply: an endless one stops by itself after this long."""


@dataclass(frozen=True)
class Request:
    """One request as the provider received it."""

    number: int
    """1 for the first request this provider received, 2 for the next, ..."""
    method: str
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    raw: bytes
    arrived: float
    """``time.monotonic()`` when the request was read."""

    @property
    def body(self) -> Any:
        """The body parsed as JSON; the text when it is not JSON; None when there is none."""
        if not self.raw:
            return None
        try:
            return json.loads(self.raw)
        except ValueError:
            return self.raw.decode(errors="replace")


@dataclass(frozen=True)
class Reply:
    """One crafted answer: a dict or list is sent as JSON, a str as UTF-8, bytes as they are."""

    body: Any = None
    status: int = 200
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    """Wait this long before the status line (cut short when the provider closes)."""
    stall_s: float = 0.0
    """Keep the connection open this long after the body, which is then delimited by the close."""
    chunks: Iterable[bytes | str] | None = None
    """Send these (instead of ``body``) as HTTP chunks, each written and flushed on its own."""
    chunk_pause_s: float = 0.0
    """Pause between two chunks."""

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return b"" if self.body is None else json.dumps(self.body).encode()


Handler = Callable[[Request], Reply]
"""The request → the answer."""


def sse_events(*documents: Any, done: bool = True) -> str:
    """``data: ...`` events for ``documents`` (a str is sent as it is), then ``data: [DONE]``."""
    events = [f"data: {d if isinstance(d, str) else json.dumps(d)}\n\n" for d in documents]
    return "".join(events) + ("data: [DONE]\n\n" if done else "")


def scripted(*replies: Reply) -> Handler:
    """Request n gets ``replies[n - 1]``; the last reply repeats."""

    def answer(request: Request) -> Reply:
        return replies[min(request.number, len(replies)) - 1]

    return answer


class CraftedProvider:
    """A handler served on a free loopback port until :meth:`close`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._httpd = _Server(("127.0.0.1", 0), _handler_class(self))
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, name="crafted-provider", daemon=True
        )
        self._thread.start()

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    @property
    def arrivals(self) -> list[float]:
        return [r.arrived for r in self.requests]

    @property
    def gaps(self) -> list[float]:
        """Seconds between consecutive arrivals, measured on the server's clock."""
        times = self.arrivals
        return [b - a for a, b in itertools.pairwise(times)]

    def close(self) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> CraftedProvider:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # --- called from the handler threads ----------------------------------------------------
    def _received(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Request:
        with self._lock:
            request = Request(next(self._numbers), method, path, headers, raw, time.monotonic())
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return request

    def _done(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # Replies go out as several writes (headers, body, chunks); with Nagle's algorithm against
        # the client's delayed ACK each later write waits ~40 ms on loopback. The bytes stay the same.
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-reply (at its body cap, or after enough evidence) is expected.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_class(provider: CraftedProvider) -> type[BaseHTTPRequestHandler]:
    class Http(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

        def _answer(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = provider._received(self.command, self.path, headers, raw)
            try:
                reply = provider.handler(request)
                if reply.delay_s:
                    provider.closing.wait(reply.delay_s)
                self._send(reply)
            finally:
                provider._done()

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for name, value in {"content-type": reply.content_type, **reply.headers}.items():
                self.send_header(name, value)
            if reply.chunks is not None:
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                self._send_chunks(reply.chunks, reply.chunk_pause_s)
                return
            payload = reply.encoded()
            if reply.stall_s:
                self.send_header("connection", "close")
            else:
                self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
            if reply.stall_s:
                provider.closing.wait(reply.stall_s)
                self.close_connection = True

        def _send_chunks(self, chunks: Iterable[bytes | str], pause_s: float) -> None:
            started = time.monotonic()
            for number, piece in enumerate(_bounded(chunks, started)):
                if number and pause_s and provider.closing.wait(pause_s):
                    return
                data = piece.encode() if isinstance(piece, str) else piece
                if data:  # an empty chunk would end the body
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        do_GET = _answer
        do_POST = _answer
        do_DELETE = _answer

    return Http


def _bounded(chunks: Iterable[bytes | str], started: float) -> Iterator[bytes | str]:
    for piece in chunks:
        if time.monotonic() - started > STREAM_LIMIT_S:
            return
        yield piece

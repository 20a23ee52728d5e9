"""A raw asyncio socket server on 127.0.0.1 for byte-level misbehaviour.

The crafted provider (:mod:`tests.support.crafted`) answers in well-formed HTTP. Some tests need
what no HTTP server library would send: CRLF framing split across TCP writes, a chunk announced
and cut short, a body far shorter than its Content-Length, garbage instead of a status line,
headers and then a drip. Here the handler gets the parsed request and the socket's writer, and
writes exact bytes.

The server runs its own event loop in a daemon thread; :meth:`RawServer.stop` cancels every
connection still being served, so a handler that sleeps or streams forever never outlives its test.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

READ_TIMEOUT_S = 10.0
"""A client that sends no complete request head within this long gets no answer."""
MAX_BODY_BYTES = 1_000_000
"""Request bodies are read up to this size (enough for any request the suite sends)."""


@dataclass
class RawRequest:
    method: str
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes

    @property
    def wants_stream(self) -> bool:
        try:
            document = json.loads(self.body)
        except ValueError:
            return False
        return isinstance(document, dict) and document.get("stream") is True


RawHandler = Callable[[RawRequest, asyncio.StreamWriter], Awaitable[None]]


def head(status: str = "200 OK", content_type: str = "text/event-stream", **extra: str) -> bytes:
    """A status line and headers (``content_length="5"`` → ``content-length: 5``), with Connection: close."""
    lines = [f"HTTP/1.1 {status}", f"content-type: {content_type}", "connection: close"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class RawServer:
    """Reads one HTTP/1.1 request per connection and hands it to ``handler`` to write raw bytes."""

    def __init__(self, handler: RawHandler) -> None:
        self.handler = handler
        self.requests: list[RawRequest] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="raw-server", daemon=True)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> RawServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop).result(10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> RawServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await asyncio.wait_for(_read_request(reader), timeout=READ_TIMEOUT_S)
            self.requests.append(request)
            await self.handler(request, writer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, asyncio.CancelledError):
            pass  # the client went away, sent junk, or the server is stopping: nothing to answer
        finally:
            self._tasks.discard(task)
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> RawRequest:
    head_bytes = await reader.readuntil(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get("content-length", "0") or 0), MAX_BODY_BYTES)
    body = await reader.readexactly(length) if length else b""
    return RawRequest(method, path, headers, body)

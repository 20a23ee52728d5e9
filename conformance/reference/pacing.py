"""Latency for the reference provider (``embedded:reference?latency_ms=200&chunk_ms=20``): a
delay before each response starts, and between the body parts of a stream, as a remote model has.
The benchmarks use it to measure what the suite does with time it spends waiting."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Paced:
    """Wraps an ASGI app: ``latency_ms`` before the response head, ``chunk_ms`` before each later body part."""

    def __init__(self, app: ASGIApp, *, latency_ms: float = 0.0, chunk_ms: float = 0.0) -> None:
        self.app = app
        self.latency_s = latency_ms / 1000
        self.chunk_s = chunk_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def paced_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and self.latency_s:
                await asyncio.sleep(self.latency_s)
            elif message["type"] == "http.response.body" and started and self.chunk_s and message.get("body"):
                await asyncio.sleep(self.chunk_s)
            started = started or message["type"] == "http.response.body"
            await send(message)

        await self.app(scope, receive, paced_send)

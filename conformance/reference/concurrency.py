"""Per-server state and stream pacing, for the flavours that misbehave over time or under load.

A real server generates a stream over time; the default reference writes it at once.
The flavours here pace it (as if generated), hold it back until the end (a buffering
proxy), serve streams one at a time (one decoding slot) or cut a stream off when
another one starts (llama-cpp-python). Everything stays on the event loop: pauses are
``asyncio.sleep``, the one lock is an ``asyncio.Lock``, and every stream is finite.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Send

from .flavour import Flavour

PACE_S = 0.005
"""The pause before each event of a paced stream (streams_serialized, streams_cut_by_concurrency)."""
BUFFERED_PACE_S = 0.025
"""The time each event of a buffered_stream takes to "generate" before the whole body is written."""
CUT_AFTER_EVENTS = 20
"""Under streams_cut_by_concurrency only streams of more events than this are cut."""


class StreamCut(Exception):
    """Raised by a body iterator to drop the connection mid-body: no more events, no [DONE]."""


@dataclass
class ServerState:
    """What one app instance counts and shares between requests. Made by ``create_app``, never global,
    so two servers (or two tests) never see each other's requests."""

    chat_requests: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    """Numbers chat completion requests from 1 (flaky_every_other, rate_limited_*)."""
    streams_started: int = 0
    """How many streamed chat completions have started (streams_cut_by_concurrency)."""
    stream_slot: asyncio.Lock = field(default_factory=asyncio.Lock)
    """The one decoding slot of streams_serialized."""

    def next_chat_request(self) -> int:
        return next(self.chat_requests)

    def start_stream(self) -> int:
        """Count a new stream and return its number."""
        self.streams_started += 1
        return self.streams_started


class GatedStreamingResponse(StreamingResponse):
    """A StreamingResponse that may wait for a slot before it starts, and may be cut off mid-body.

    The slot (an asyncio.Lock) is held from before the status line to the last byte, so a
    queued stream shows nothing, headers included, until the one before it has finished.
    A :class:`StreamCut` from the body iterator ends the response without its final empty
    body message: uvicorn then closes the connection, and the client sees a truncated body.
    """

    def __init__(self, content: AsyncIterator[str], *, slot: asyncio.Lock | None = None, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._slot: AbstractAsyncContextManager[Any] = slot if slot is not None else nullcontext()

    async def stream_response(self, send: Send) -> None:
        async with self._slot:
            try:
                await super().stream_response(send)
            except StreamCut:
                return


def stream_body(frames: Sequence[str], flavour: Flavour, state: ServerState) -> AsyncIterator[str]:
    """The body iterator for a stream's frames, paced as the flavour generates them."""
    if flavour.has("buffered_stream"):
        return _buffered(frames)
    if flavour.has("streams_cut_by_concurrency"):
        return _cut_by_newer_streams(frames, state, state.start_stream())
    if flavour.has("streams_serialized"):
        return _paced(frames)
    return _immediate(frames)


def stream_slot(flavour: Flavour, state: ServerState) -> asyncio.Lock | None:
    return state.stream_slot if flavour.has("streams_serialized") else None


async def _immediate(frames: Sequence[str]) -> AsyncIterator[str]:
    for frame in frames:
        # No pause, but a turn of the event loop: streams served at once interleave, side by side,
        # instead of each being written whole before the next request is even read.
        await asyncio.sleep(0)
        yield frame


async def _paced(frames: Sequence[str]) -> AsyncIterator[str]:
    for frame in frames:
        await asyncio.sleep(PACE_S)
        yield frame


async def _buffered(frames: Sequence[str]) -> AsyncIterator[str]:
    """Generated at the usual pace, but written only once complete, as a buffering proxy does."""
    for _ in frames:
        await asyncio.sleep(BUFFERED_PACE_S)
    yield "".join(frames)


async def _cut_by_newer_streams(frames: Sequence[str], state: ServerState, number: int) -> AsyncIterator[str]:
    """Paced; a long stream is dropped as soon as a newer stream has started (its slot was taken over)."""
    for sent, frame in enumerate(frames):
        if sent and len(frames) > CUT_AFTER_EVENTS and state.streams_started > number:
            raise StreamCut
        await asyncio.sleep(PACE_S)
        yield frame

"""Server-sent events for ``stream: true``, chunked the way OpenAI chunks them.

Text streams one word per chunk and tool arguments in small fragments so that
clients (and the suite's stream checks) must really reassemble deltas.

Flavours change three layers independently: which chunks there are (:func:`chunks`),
how each payload is framed on the wire (:func:`_frames`), and how the frames are
written (:func:`sse_events`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from .flavour import Flavour
from .model import (
    REASONING_TEXT,
    Reply,
    ToolCall,
    choice_extras,
    response_head,
    response_tail,
    tool_call_object,
    usage_object,
)
from .requests import ChatRequest

ARGUMENT_FRAGMENT_LENGTH = 7
SSE_MEDIA_TYPE = "text/event-stream"
NDJSON_MEDIA_TYPE = "application/x-ndjson"
DONE = "[DONE]"

AZURE_PROMPT_FILTER_CHUNK: dict[str, Any] = {
    "choices": [],
    "created": 0,
    "id": "",
    "model": "",
    "object": "",
    "prompt_filter_results": [
        {"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}}
    ],
}
"""The chunk Azure OpenAI sends before any other: its prompt's content-filter results, with the
identifying fields left empty."""

Delta = tuple[dict[str, Any], str | None]
"""A choice's delta and its finish_reason."""


def chunks(
    request: ChatRequest, result: Reply, *, completion_id: str, created: int, flavour: Flavour
) -> Iterator[dict[str, Any]]:
    """Every chunk object of the stream, in order (without the final ``[DONE]``)."""
    envelope = {
        **response_head(
            "chat.completion.chunk", request, completion_id=completion_id, created=created, flavour=flavour
        ),
        **response_tail(flavour),
    }
    include_usage = request.include_usage and not flavour.has("include_usage_ignored")
    # With include_usage every chunk announces the field (null) so clients can
    # rely on its presence; the figures come in one extra chunk at the end.
    usage_field = {"usage": None} if include_usage else {}
    if flavour.has("azure_filter_preamble"):
        yield AZURE_PROMPT_FILTER_CHUNK
    for index in range(request.n):
        for delta, finish_reason in _deltas(result, flavour):
            choice = {
                "index": index,
                "delta": delta,
                "logprobs": None,
                "finish_reason": finish_reason,
                **choice_extras(flavour),
            }
            yield {**envelope, "choices": [choice], **usage_field}
    if include_usage:
        yield {**envelope, "choices": [], "usage": usage_object(result, request.n, flavour)}


def media_type(flavour: Flavour) -> str:
    return NDJSON_MEDIA_TYPE if flavour.has("ndjson_stream") else SSE_MEDIA_TYPE


async def sse_events(
    request: ChatRequest, result: Reply, *, completion_id: str, created: int, flavour: Flavour
) -> AsyncIterator[str]:
    """The response body, one event per item so each is flushed on its own (one item under ``one_big_chunk``)."""
    payloads = [
        json.dumps(chunk, separators=(",", ":"), ensure_ascii=False)
        for chunk in chunks(request, result, completion_id=completion_id, created=created, flavour=flavour)
    ]
    if not (flavour.has("no_done") or flavour.has("ndjson_stream")):
        payloads.append(DONE)
    frames = _frames(payloads, flavour)
    if flavour.has("one_big_chunk"):
        yield "".join(frames)
        return
    for frame in frames:
        yield frame


def _frames(payloads: Iterable[str], flavour: Flavour) -> Iterator[str]:
    """Each payload as it goes on the wire: an SSE event (``data: ...`` and a blank line) or an NDJSON line."""
    if flavour.has("ndjson_stream"):
        yield from (f"{payload}\n" for payload in payloads)
        return
    eol = "\r\n" if flavour.has("sse_crlf") else "\n"
    data_field = "data:" if flavour.has("sse_no_space") else "data: "
    comments = flavour.has("sse_comments")
    if comments:
        yield f": keep-alive{eol}{eol}"
    for number, payload in enumerate(payloads, start=1):
        fields = ["event: message", f"id: {number}"] if comments else []
        yield eol.join([*fields, data_field + payload]) + eol + eol


def _deltas(result: Reply, flavour: Flavour) -> Iterator[Delta]:
    """Every delta of one choice; the last, empty one carries the finish_reason."""
    pieces = _tool_call_deltas(result.tool_calls, flavour) if result.tool_calls else _text_deltas(result.content, flavour)
    deltas = [*pieces, {}]
    for position, delta in enumerate(deltas):
        if flavour.has("extra_fields"):
            # Reasoning first, as reasoning models stream it; null once the answer starts.
            delta = {**delta, "reasoning_content": REASONING_TEXT if position == 0 else None}
        yield delta, result.finish_reason if position == len(deltas) - 1 else None


def _text_deltas(content: str | None, flavour: Flavour) -> Iterator[dict[str, Any]]:
    yield {"role": "assistant", "content": "", "refusal": None}
    text = content or ""
    if flavour.has("char_chunks"):
        yield from ({"content": char} for char in text)
        return
    # The content is words joined by single spaces, so this reassembles exactly.
    for position, word in enumerate(text.split()):
        yield {"content": word if position == 0 else f" {word}"}


def _tool_call_deltas(calls: tuple[ToolCall, ...], flavour: Flavour) -> Iterator[dict[str, Any]]:
    yield {"role": "assistant", "content": None}
    for i, call in enumerate(calls):
        if flavour.has("tool_args_object"):
            # The whole call at once: arguments as an object cannot be split into fragments.
            yield {"tool_calls": [_indexed(i, tool_call_object(call, flavour), flavour)]}
            continue
        header = {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        yield {"tool_calls": [_indexed(i, header, flavour)]}
        for start in range(0, len(call.arguments), ARGUMENT_FRAGMENT_LENGTH):
            fragment = {"function": {"arguments": call.arguments[start : start + ARGUMENT_FRAGMENT_LENGTH]}}
            yield {"tool_calls": [_indexed(i, fragment, flavour)]}


def _indexed(index: int, call_delta: dict[str, Any], flavour: Flavour) -> dict[str, Any]:
    """A tool-call delta with its ``index`` first, as OpenAI sends it (unless ``stream_tool_no_index``)."""
    return call_delta if flavour.has("stream_tool_no_index") else {"index": index, **call_delta}

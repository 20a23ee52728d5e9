"""Server-sent events for ``stream: true``, chunked the way OpenAI chunks them.

Text streams one token (a word with its leading space) per chunk, and tool or function
arguments in small fragments, so that clients (and the suite's stream checks) must
really reassemble deltas.

Flavours change three layers independently: which chunks there are (:func:`chunks`),
how each payload is framed on the wire (:func:`_frames`), and how the frames are
written (:func:`sse_frames`, and the pacing in ``concurrency.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .flavour import Flavour
from .model import (
    REASONING_TEXT,
    Reply,
    ToolCall,
    choice_extras,
    choice_logprobs,
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

MIDWAY_CONTENT_CHUNKS = 3
"""Under stream_error_midway, the content chunks sent before the error chunk."""
MIDWAY_ERROR = {"code": 502, "message": "Upstream provider error"}

Delta = tuple[dict[str, Any], dict[str, Any] | None, str | None]
"""A choice's delta, its logprobs and its finish_reason."""
Piece = tuple[dict[str, Any], tuple[str, ...] | None]
"""A delta and the tokens it carries (None: a delta that carries no content, so no logprobs entries)."""


def chunks(
    request: ChatRequest, results: Sequence[Reply], *, completion_id: str, created: int, flavour: Flavour
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
    midway = flavour.has("stream_error_midway") and not results[0].tool_calls
    for index, result in enumerate(results):
        for position, (delta, logprobs, finish_reason) in enumerate(_deltas(request, result, flavour)):
            if midway and (position > MIDWAY_CONTENT_CHUNKS or finish_reason is not None):
                # OpenRouter's way to report an upstream failure once the stream has started: an error
                # chunk with finish_reason "error", then [DONE]. Nothing else follows (a shorter reply
                # loses its finishing chunk instead).
                yield _midway_error_chunk(envelope)
                return
            choice = {
                "index": index,
                "delta": delta,
                "logprobs": logprobs,
                "finish_reason": finish_reason,
                **choice_extras(flavour),
            }
            yield {**envelope, "choices": [choice], **usage_field}
    if include_usage:
        yield {**envelope, "choices": [], "usage": usage_object(results, flavour)}


def _midway_error_chunk(envelope: dict[str, Any]) -> dict[str, Any]:
    head = {key: envelope[key] for key in ("id", "object", "created", "model")}
    choice = {"index": 0, "delta": {"content": ""}, "finish_reason": "error"}
    return {**head, "error": dict(MIDWAY_ERROR), "choices": [choice]}


def media_type(flavour: Flavour) -> str:
    return NDJSON_MEDIA_TYPE if flavour.has("ndjson_stream") else SSE_MEDIA_TYPE


def sse_frames(request: ChatRequest, results: Sequence[Reply], *, completion_id: str, created: int, flavour: Flavour) -> list[str]:
    """The response body, one frame per event, so each is flushed on its own (one frame under ``one_big_chunk``)."""
    payloads = [
        json.dumps(chunk, separators=(",", ":"), ensure_ascii=False)
        for chunk in chunks(request, results, completion_id=completion_id, created=created, flavour=flavour)
    ]
    if not (flavour.has("no_done") or flavour.has("ndjson_stream")):
        payloads.append(DONE)
    frames = list(_frames(payloads, flavour))
    return ["".join(frames)] if flavour.has("one_big_chunk") else frames


def error_event_frames(error: dict[str, Any], flavour: Flavour) -> list[str]:
    """A refusal sent as a stream (stream_error_event): one ``data:`` event with the error body, then [DONE]."""
    return list(_frames([json.dumps(error, separators=(",", ":"), ensure_ascii=False), DONE], flavour))


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


def _deltas(request: ChatRequest, result: Reply, flavour: Flavour) -> Iterator[Delta]:
    """Every delta of one choice; the last, empty one carries the finish_reason."""
    if result.tool_calls and request.legacy_functions:
        pieces: list[Piece] = [(delta, None) for delta in _function_call_deltas(result.tool_calls[0])]
    elif result.tool_calls:
        pieces = [(delta, None) for delta in _tool_call_deltas(result.tool_calls, flavour)]
    else:
        pieces = list(_text_deltas(result, flavour))
    pieces.append(({}, None))
    for position, (delta, tokens) in enumerate(pieces):
        if flavour.has("extra_fields"):
            # Reasoning first, as reasoning models stream it; null once the answer starts.
            delta = {**delta, "reasoning_content": REASONING_TEXT if position == 0 else None}
        logprobs = choice_logprobs(request, tokens) if tokens is not None else None
        yield delta, logprobs, result.finish_reason if position == len(pieces) - 1 else None


def _text_deltas(result: Reply, flavour: Flavour) -> Iterator[Piece]:
    """The opening delta, then one delta per token (per character under char_chunks) with the tokens whose logprobs it carries."""
    yield {"role": "assistant", "content": "", "refusal": None}, None
    tokens = list(result.pieces)
    if result.overrun and flavour.has("stop_in_stream_delta"):
        # The stop sequence was found only after this delta had gone out.
        tokens.append(result.overrun)
    if flavour.has("char_chunks"):
        for token in tokens:
            # A token's logprobs entry rides on its first character.
            yield from (({"content": char}, (token,) if k == 0 else ()) for k, char in enumerate(token))
        return
    yield from (({"content": token}, (token,)) for token in tokens)


def _function_call_deltas(call: ToolCall) -> Iterator[dict[str, Any]]:
    """A legacy function_call: its name first, then the arguments in fragments."""
    yield {"role": "assistant", "content": None, "function_call": {"name": call.name, "arguments": ""}}
    for start in range(0, len(call.arguments), ARGUMENT_FRAGMENT_LENGTH):
        yield {"function_call": {"arguments": call.arguments[start : start + ARGUMENT_FRAGMENT_LENGTH]}}


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

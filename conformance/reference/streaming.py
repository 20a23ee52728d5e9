"""Server-sent events for ``stream: true``, chunked the way OpenAI chunks them.

Text streams one word per chunk and tool arguments in small fragments so that
clients (and the suite's stream checks) must really reassemble deltas.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from .flavour import Flavour
from .model import SYSTEM_FINGERPRINT, Reply, usage_object
from .requests import ChatRequest

ARGUMENT_FRAGMENT_LENGTH = 7

Delta = tuple[dict[str, Any], str | None]
"""A choice's delta and its finish_reason."""


def chunks(
    request: ChatRequest, result: Reply, *, completion_id: str, created: int, flavour: Flavour
) -> Iterator[dict[str, Any]]:
    """Every chunk object of the stream, in order (without the final ``[DONE]``)."""
    envelope = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": request.model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "service_tier": "default",
    }
    # With include_usage every chunk announces the field (null) so clients can
    # rely on its presence; the figures come in one extra chunk at the end.
    usage_field = {"usage": None} if request.include_usage else {}
    for index in range(request.n):
        for delta, finish_reason in _deltas(result):
            choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            yield {**envelope, "choices": [choice], **usage_field}
    if request.include_usage:
        yield {**envelope, "choices": [], "usage": usage_object(result, request.n)}


async def sse_events(
    request: ChatRequest, result: Reply, *, completion_id: str, created: int, flavour: Flavour
) -> AsyncIterator[str]:
    """The response body, one SSE event per item so each is flushed on its own."""
    for chunk in chunks(request, result, completion_id=completion_id, created=created, flavour=flavour):
        yield f"data: {json.dumps(chunk, separators=(',', ':'), ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def _deltas(result: Reply) -> Iterator[Delta]:
    if result.tool_calls:
        yield {"role": "assistant", "content": None}, None
        for i, call in enumerate(result.tool_calls):
            header = {"index": i, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
            yield {"tool_calls": [header]}, None
            for start in range(0, len(call.arguments), ARGUMENT_FRAGMENT_LENGTH):
                fragment = call.arguments[start : start + ARGUMENT_FRAGMENT_LENGTH]
                yield {"tool_calls": [{"index": i, "function": {"arguments": fragment}}]}, None
    else:
        yield {"role": "assistant", "content": "", "refusal": None}, None
        # The content is words joined by single spaces, so this reassembles exactly.
        for position, word in enumerate((result.content or "").split()):
            yield {"content": word if position == 0 else f" {word}"}, None
    yield {}, result.finish_reason

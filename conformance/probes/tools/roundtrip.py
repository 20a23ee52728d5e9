"""tools.roundtrip: a `tool` message answering the call's id leads to a reply that uses the result."""

from __future__ import annotations

import json

from conformance.context import CheckContext
from conformance.judge import conformant, content_of, message_of, require_completion
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, warned

from ..shared import WEATHER_TOOL, named_tool_call, tool_calls_of
from .calls import TOOL_RESULT, used_temperature


@check(
    "tools.roundtrip", "A `tool` message answering the call's id leads to a reply that uses the result",
    depends_on=("tools.named",),
    reasons=("pass/result_used", "warn/called_again", "warn/result_not_used"),
)
async def tools_roundtrip(ctx: CheckContext) -> Outcome:
    named = await ctx.shared(named_tool_call)
    assistant = {k: v for k, v in message_of(named.json).items() if k in ("role", "content", "tool_calls")}
    call = tool_calls_of(named.json)[0]
    messages = [
        {"role": "user", "content": 'Look up "Paris".'},
        assistant,
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps(TOOL_RESULT)},
    ]
    result = await ctx.post_chat("tool result round trip", ctx.chat_body(messages, tools=[WEATHER_TOOL]))
    completion = require_completion(ctx, result, "a `tool` message with the call's id")
    reply = content_of(completion)
    if used_temperature(reply):
        return conformant(ctx, "result_used", f"the tool result was accepted and used: {excerpt(reply, 80)!r}")
    if tool_calls_of(completion):
        return warned("called_again", "the tool result was accepted, but the model called a tool again instead of answering")
    return warned(
        "result_not_used",
        f"the tool result was accepted, but the reply does not use it (no {TOOL_RESULT['temperature_c']}): {excerpt(reply, 80)!r}",
    )

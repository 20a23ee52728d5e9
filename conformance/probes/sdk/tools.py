"""sdk.tools: through the SDK, a named tool call with JSON arguments, its round trip, and a
streamed tool call the SDK's accumulator assembles (a delta without `index` breaks it)."""

from __future__ import annotations

import json
from typing import Any

from conformance.context import CheckContext
from conformance.registry import check
from conformance.sdk import SDK_REASONS, field, final_completion, judge_exception, not_installed, openai_client
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed, warned

from ..shared import NAMED_WEATHER, WEATHER_TOOL, ToolCall, argument_problem
from ..tools.calls import TOOL_RESULT, used_temperature

PROMPT = 'Look up "Paris".'


def first_call(completion: Any) -> ToolCall | None:
    choices = field(completion, "choices")
    calls = field(choices[0], "message", "tool_calls") if choices else None
    if not calls:
        return None
    return ToolCall(field(calls[0], "id"), field(calls[0], "function", "name"), field(calls[0], "function", "arguments"))


@check(
    "sdk.tools", "Through the SDK: a named tool call with JSON arguments, its round trip, and a streamed call the SDK assembles",
    reasons=("pass/round_trip", "fail/no_call", "fail/bad_arguments", "warn/result_not_used", *SDK_REASONS),
)
async def sdk_tools(ctx: CheckContext) -> Outcome:
    if skip := await not_installed():
        return skip
    body = ctx.chat_body(PROMPT, tools=[WEATHER_TOOL], tool_choice=NAMED_WEATHER)
    step = "a named tool call"
    try:
        async with openai_client(ctx, "SDK tools") as client:
            call = first_call(await client.chat.completions.create(**body))
            if call is None:
                return failed("no_call", "through the SDK, the named tool_choice gave no tool call")
            if problem := argument_problem(call):
                return failed("bad_arguments", f"through the SDK: {problem}")
            step = "the tool result round trip"
            messages: list[dict[str, Any]] = [
                {"role": "user", "content": PROMPT},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}},
                ]},
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(TOOL_RESULT)},
            ]
            answer = await client.chat.completions.create(**ctx.chat_body(messages, tools=[WEATHER_TOOL]))
            step = "a streamed tool call (chat.completions.stream)"
            async with client.chat.completions.stream(**body) as stream:
                async for _ in stream:
                    pass
                streamed = first_call(await final_completion(ctx, stream))
    except Exception as exc:  # noqa: BLE001 - whatever the SDK raises is the finding
        return judge_exception(ctx, exc, step)
    if streamed is None:
        return failed("no_call", "the SDK's stream helper assembled no tool call from the streamed named tool_choice")
    if problem := argument_problem(streamed):
        return failed("bad_arguments", f"the SDK's stream helper assembled: {problem}")
    choices = field(answer, "choices")
    reply = field(choices[0], "message", "content") if choices else None
    if not isinstance(reply, str) or not used_temperature(reply):
        return warned("result_not_used", f"the SDK handled every step, but the answer does not use the tool result: {excerpt(str(reply), 80)!r}")
    return passed("round_trip", f"get_weather({call.arguments}) called, answered, and streamed: the SDK assembled {streamed.arguments}")

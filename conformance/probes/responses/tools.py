"""responses.tools: a function tool in the Responses shape gives a `function_call` item with a
call_id and JSON-string arguments, and its `function_call_output` leads to an answer that uses it."""

from __future__ import annotations

import json
from typing import Any

from conformance.context import CheckContext
from conformance.judge import conformant
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, warned

from ..shared import WEATHER_TOOL, ToolCall, argument_problem
from ..tools.calls import TOOL_RESULT, used_temperature
from .reading import RESPONSE_REASONS, output_items, output_text, require_response

PROMPT = 'Look up "Paris".'
FUNCTION: dict[str, Any] = {"type": "function", **WEATHER_TOOL["function"], "strict": False}
NAMED = {"type": "function", "name": "get_weather"}


@check(
    "responses.tools", "A Responses function tool gives a function_call item (call_id, JSON arguments); its output leads to an answer",
    depends_on=("responses.basic",),
    reasons=("pass/round_trip", "fail/not_called", "fail/no_call_id", "fail/bad_arguments", "warn/result_not_used", *RESPONSE_REASONS),
)
async def responses_tools(ctx: CheckContext) -> Outcome:
    body = ctx.responses_body(PROMPT, tools=[FUNCTION], tool_choice=NAMED)
    response = require_response(ctx, await ctx.post_responses("function tool, named tool_choice", body), "a function tool")
    calls = output_items(response, "function_call")
    if not calls:
        return failed("not_called", f"no function_call item for a named tool_choice (text: {excerpt(output_text(response), 80)!r})")
    call = calls[0]
    call_id = call.get("call_id")
    if not isinstance(call_id, str) or not call_id:
        return failed("no_call_id", f"the function_call item has no call_id ({excerpt(json.dumps(call), 120)}): its output cannot be sent back")
    if problem := argument_problem(ToolCall(call_id, call.get("name"), call.get("arguments"))):
        return failed("bad_arguments", f"function_call: {problem}")
    replay: dict[str, Any] = {k: call[k] for k in ("type", "call_id", "name", "arguments") if k in call}
    history: list[dict[str, Any]] = [
        {"role": "user", "content": PROMPT},
        replay,
        {"type": "function_call_output", "call_id": call_id, "output": json.dumps(TOOL_RESULT)},
    ]
    answer = require_response(ctx, await ctx.post_responses("function_call_output round trip", ctx.responses_body(history, tools=[FUNCTION])),
                              "a function_call_output for that call_id")
    text = output_text(answer)
    if not used_temperature(text):
        return warned("result_not_used", f"the function output was accepted, but the answer does not use it: {excerpt(text, 80)!r}")
    return conformant(
        ctx, "round_trip", f"called get_weather({call.get('arguments')}) with call_id {call_id!r}; the answer uses the output: {excerpt(text, 60)!r}",
    )

"""tools.parallel: two calls when asked for two cities; parallel_tool_calls false is honoured."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant
from conformance.registry import check
from conformance.verdict import Measures, Outcome, failed, warned

from ..shared import WEATHER_TOOL
from .calls import CALL_REASONS, require_tool_calls

PROMPT = 'What is the weather in "Paris" and in "Tokyo"? Call get_weather once for each city.'


@check(
    "tools.parallel", "Two calls when asked for two cities; parallel_tool_calls false is honoured", measures=Measures.MODEL,
    reasons=("pass/parallel", "warn/fewer_calls", "fail/ids_not_distinct", "fail/false_ignored", *CALL_REASONS),
)
async def tools_parallel(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body(PROMPT, tools=[WEATHER_TOOL], tool_choice="required", parallel_tool_calls=True)
    result = await ctx.post_chat("parallel tool calls", body)
    _, calls = require_tool_calls(ctx, result, "parallel_tool_calls true", finish_reasons=("tool_calls",))
    if len(calls) < 2:
        return warned("fewer_calls", f"the model made {len(calls)} tool call(s) where two were asked for")
    ids = [c.id for c in calls]
    if len(set(map(str, ids))) != len(ids) or not all(isinstance(i, str) and i for i in ids):
        return failed("ids_not_distinct", f"parallel tool calls need distinct string ids, got {ids}")
    single = await ctx.post_chat("parallel_tool_calls false", {**body, "parallel_tool_calls": False})
    _, single_calls = require_tool_calls(ctx, single, "parallel_tool_calls false", finish_reasons=("tool_calls",))
    if len(single_calls) > 1:
        return failed("false_ignored", f"parallel_tool_calls false was ignored: {len(single_calls)} calls in one reply")
    return conformant(ctx, "parallel", f"{len(calls)} calls with distinct ids; parallel_tool_calls false gave {len(single_calls)}")

"""tools.streaming: streamed tool-call deltas carry `index` and their fragments join into valid JSON."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import cut_by_timeout, require_stream
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed

from ..shared import NAMED_WEATHER, TOOL_SCHEMAS, WEATHER_TOOL, ToolCall, argument_problem, summarise_stream


@check(
    "tools.streaming", "Streamed tool-call deltas carry `index` and their fragments join into valid JSON",
    reasons=(
        "pass/assembled", "fail/bad_chunk", "fail/bad_delta", "fail/broke_off", "fail/no_tool_deltas", "fail/no_call_id",
        "fail/unknown_function", "fail/bad_arguments", "fail/wrong_finish_reason",
    ),
)
async def tools_streaming(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body('Look up "Paris".', tools=[WEATHER_TOOL], tool_choice=NAMED_WEATHER)
    result = await ctx.stream_chat("streamed named tool call", body)
    require_stream(ctx, result, "a streamed tool call")
    broken = [c for c in result.chunks if c.error]
    if broken:
        return failed("bad_chunk", f"chunk {broken[0].number}: {broken[0].error}")
    summary = summarise_stream(result)
    if summary.problems:
        return failed("bad_delta", summary.problems[0])
    if summary.finish_reason is None and (cut := cut_by_timeout(ctx, result, "a streamed tool call")):
        return cut
    if result.error:
        return failed("broke_off", f"the stream broke off: {result.error}")
    if not summary.tool_calls:
        return failed("no_tool_deltas", f"no tool-call deltas in the stream for a named tool_choice (content: {excerpt(summary.content, 80)!r})")
    for index, streamed in sorted(summary.tool_calls.items()):
        if not isinstance(streamed.id, str) or not streamed.id:
            return failed("no_call_id", f"streamed tool call index {index} never carries an id")
        call = ToolCall(streamed.id, streamed.name, streamed.arguments)
        if streamed.name not in TOOL_SCHEMAS:
            return failed("unknown_function", f"streamed tool call index {index} names {streamed.name!r}, expected get_weather")
        if bad := argument_problem(call):
            return failed("bad_arguments", f"streamed tool call index {index}: joined fragments: {bad}")
    if summary.finish_reason not in ("tool_calls", "stop"):
        return failed("wrong_finish_reason", f"the stream's finish_reason is {summary.finish_reason!r}, expected 'tool_calls'")
    first = summary.tool_calls[min(summary.tool_calls)]
    return passed("assembled", f"{len(summary.tool_calls)} streamed call(s); fragments join into {first.arguments}")

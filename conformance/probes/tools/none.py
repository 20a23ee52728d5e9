"""tools.none: with tool_choice none the reply is text with no tool_calls."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of, first_choice, require_completion
from conformance.registry import check
from conformance.verdict import Outcome, failed

from ..shared import WEATHER_PROMPT, WEATHER_TOOL, tool_calls_of


@check(
    "tools.none", "With tool_choice none the reply is text with no tool_calls",
    reasons=("pass/text_reply", "fail/ignored", "fail/finish_tool_calls", "fail/empty_reply"),
)
async def tools_none(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body(WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="none")
    result = await ctx.post_chat("tool_choice none", body)
    completion = require_completion(ctx, result, 'tool_choice "none"')
    calls = tool_calls_of(completion)
    if calls:
        return failed("ignored", f'tool_choice "none" was ignored: the reply calls {calls[0].name!r}')
    finish = first_choice(completion).get("finish_reason")
    if finish == "tool_calls":
        return failed("finish_tool_calls", 'tool_choice "none": no tool calls, but finish_reason is "tool_calls"')
    if not content_of(completion):
        return failed("empty_reply", 'tool_choice "none": the reply has neither tool calls nor text content')
    return conformant(ctx, "text_reply", f"text reply, no tool_calls, finish_reason {finish!r}")

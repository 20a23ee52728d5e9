"""tools.auto: with tool_choice auto and a prompt that needs it, the model calls the tool."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Measures, Outcome, warned

from ..shared import WEATHER_PROMPT, WEATHER_TOOL
from .calls import CALL_REASONS, require_tool_calls


@check(
    "tools.auto", "With tool_choice auto and a prompt that needs it, the model calls the tool", measures=Measures.MODEL,
    reasons=("pass/called", "warn/answered_in_text", *CALL_REASONS),
)
async def tools_auto(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body(WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="auto")
    result = await ctx.post_chat("tool_choice auto", body)
    completion, calls = require_tool_calls(ctx, result, "tool_choice auto", finish_reasons=("tool_calls",))
    if not calls:
        return warned("answered_in_text", f"the model answered in text instead of calling get_weather: {excerpt(content_of(completion), 80)!r}")
    return conformant(ctx, "called", f"called {calls[0].name} with valid arguments {calls[0].arguments}; finish_reason 'tool_calls'")

"""tools.auto_no_call (model): under tool_choice auto, a prompt that needs no tool gets text."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Measures, Outcome, warned

from ..shared import WEATHER_TOOL
from .calls import CALL_REASONS, require_tool_calls


@check(
    "tools.auto_no_call", "Under tool_choice auto, a prompt that needs no tool gets a text reply, not a call",
    measures=Measures.MODEL, reasons=("pass/text_reply", "warn/called_anyway", *CALL_REASONS),
)
async def tools_auto_no_call(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body("Say hello in one short sentence.", tools=[WEATHER_TOOL], tool_choice="auto")
    result = await ctx.post_chat("tool_choice auto, no tool needed", body)
    completion, calls = require_tool_calls(ctx, result, "tool_choice auto without need", finish_reasons=("tool_calls",))
    if calls:
        return warned("called_anyway", f"the model called {calls[0].name} although nothing needed a tool")
    return conformant(ctx, "text_reply", f"a text reply, no tool call: {excerpt(content_of(completion), 60)!r}")

"""tools.auto: with tool_choice auto and a prompt that needs a tool, the model calls one."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Measures, Outcome, warned

from .calls import CALL_REASONS, require_tool_calls, three_tools_one_needed


@check(
    "tools.auto", "With tool_choice auto and a prompt that needs a tool, the model calls one", measures=Measures.MODEL,
    reasons=("pass/called", "warn/answered_in_text", *CALL_REASONS),
)
async def tools_auto(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(three_tools_one_needed)
    completion, calls = require_tool_calls(ctx, result, "tool_choice auto", finish_reasons=("tool_calls",))
    if not calls:
        return warned("answered_in_text", f"the model answered in text instead of calling a tool: {excerpt(content_of(completion), 80)!r}")
    return conformant(ctx, "called", f"called {calls[0].name} with valid arguments {calls[0].arguments}; finish_reason 'tool_calls'")

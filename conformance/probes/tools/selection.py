"""tools.selection (model): offered three tools, a prompt that needs exactly one calls that one."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Measures, Outcome, warned

from .calls import CALL_REASONS, require_tool_calls, three_tools_one_needed


@check(
    "tools.selection", "Offered three tools, a prompt that needs one of them calls exactly that one (get_time)",
    measures=Measures.MODEL, reasons=("pass/right_tool", "warn/wrong_tool", "warn/answered_in_text", *CALL_REASONS),
)
async def tools_selection(ctx: CheckContext) -> Outcome:
    completion, calls = require_tool_calls(ctx, await ctx.shared(three_tools_one_needed), "three tools offered", finish_reasons=("tool_calls",))
    if not calls:
        return warned("answered_in_text", f"the model answered in text instead of calling get_time: {excerpt(content_of(completion), 80)!r}")
    names = [c.name for c in calls]
    if names != ["get_time"]:
        return warned("wrong_tool", f"asked for the time, the model called {', '.join(map(str, names))} (expected get_time only)")
    return conformant(ctx, "right_tool", f"of three tools, get_time was called with {calls[0].arguments}")

"""tools.required: with tool_choice required a tool is called even when the prompt does not need one."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed

from ..shared import WEATHER_TOOL
from .calls import CALL_REASONS, require_tool_calls


@check(
    "tools.required", "With tool_choice required a tool is called even when the prompt does not need one",
    reasons=("pass/forced_call", "fail/not_enforced", *CALL_REASONS),
)
async def tools_required(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body("Say hello.", tools=[WEATHER_TOOL], tool_choice="required")
    result = await ctx.post_chat("tool_choice required", body)
    completion, calls = require_tool_calls(ctx, result, 'tool_choice "required"', finish_reasons=("tool_calls",))
    if not calls:
        return failed("not_enforced", f'tool_choice "required" was not enforced: text reply {excerpt(content_of(completion), 80)!r}')
    return conformant(ctx, "forced_call", f"forced call of {calls[0].name} with valid arguments; finish_reason 'tool_calls'")

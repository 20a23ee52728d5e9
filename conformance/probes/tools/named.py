"""tools.named: a named tool_choice calls exactly that function with schema-valid JSON arguments."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of, first_choice
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed

from ..shared import named_tool_call
from .calls import CALL_REASONS, require_tool_calls


@check(
    "tools.named", "A named tool_choice calls exactly that function with schema-valid JSON arguments",
    reasons=("pass/called", "fail/not_called", "fail/other_function", *CALL_REASONS),
)
async def tools_named(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(named_tool_call)
    # OpenAI itself answers a named tool_choice with finish_reason "stop": both are conformant.
    completion, calls = require_tool_calls(ctx, result, "named tool_choice", finish_reasons=("tool_calls", "stop"))
    if not calls:
        return failed("not_called", f"the named tool_choice get_weather was not called: text reply {excerpt(content_of(completion), 80)!r}")
    wrong = [c.name for c in calls if c.name != "get_weather"]
    if wrong:
        return failed("other_function", f"the named tool_choice get_weather was ignored: the reply calls {wrong[0]!r}")
    finish = first_choice(completion).get("finish_reason")
    return conformant(ctx, "called", f"called get_weather with arguments {calls[0].arguments}; finish_reason {finish!r}")

"""tools.legacy_functions: the deprecated `functions` / `function_call` still work (informational:
a refusal is unsupported, anything else a warning, never a failure)."""

from __future__ import annotations

from typing import Any

from conformance.context import CheckContext
from conformance.judge import completion_problem, content_of, first_choice, message_of, refusal
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, Status, passed, warned

from ..shared import WEATHER_TOOL, ToolCall, argument_problem, tool_calls_of

FUNCTION: dict[str, Any] = dict(WEATHER_TOOL["function"])


def informational(decided: Outcome, reason: str) -> Outcome:
    """A deprecated feature that is missing or broken is worth knowing, not a gate: a failure is a warning."""
    return decided if decided.status in (Status.UNSUPPORTED, Status.ERROR) else warned(reason, decided.summary)


@check(
    "tools.legacy_functions", "The deprecated `functions` + `function_call: {name}` give `message.function_call` (informational)",
    reasons=("pass/function_call", "warn/answered_as_tool_calls", "warn/ignored", "warn/bad_arguments", "warn/wrong_finish_reason",
             "warn/refused_badly", "warn/bad_completion"),
)
async def tools_legacy_functions(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body('Look up "Paris".', functions=[FUNCTION], function_call={"name": "get_weather"})
    result = await ctx.post_chat("legacy functions + function_call", body)
    what = "legacy functions"
    if (refused := refusal(ctx, result, what)) is not None:
        return informational(refused, "refused_badly")
    if (broken := completion_problem(ctx, result, what)) is not None:
        return informational(broken, "bad_completion")
    message = message_of(result.json)
    call = message.get("function_call")
    finish = first_choice(result.json).get("finish_reason")
    if not isinstance(call, dict):
        if tool_calls_of(result.json):
            return warned("answered_as_tool_calls", "the function was called, but as tool_calls: clients still on `functions` see no call")
        return warned("ignored", f"functions/function_call were ignored: text reply {excerpt(content_of(result.json), 80)!r}")
    if problem := argument_problem(ToolCall(None, call.get("name"), call.get("arguments"))):
        return warned("bad_arguments", f"message.function_call: {problem}")
    if finish != "function_call":
        return warned("wrong_finish_reason", f"message.function_call is right, but finish_reason is {finish!r}, not 'function_call'")
    return passed("function_call", f"message.function_call {call.get('name')}({call.get('arguments')}), finish_reason 'function_call'")

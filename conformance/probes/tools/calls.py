"""How a reply that should carry tool calls is judged, whatever tool_choice asked for it."""

from __future__ import annotations

import re
from typing import Any

from conformance.client import HTTPResult
from conformance.context import CheckContext
from conformance.judge import Decided, content_of, first_choice, require_completion
from conformance.text import excerpt
from conformance.verdict import failed

from ..shared import STOCK_TOOL, TIME_TOOL, WEATHER_TOOL, ToolCall, argument_problem, tool_calls_of

TOOL_RESULT = {"city": "Paris", "temperature_c": 17, "conditions": "light rain"}
CALL_REASONS = ("fail/bad_arguments", "fail/finish_without_calls", "fail/wrong_finish_reason")
SELECTION_PROMPT = 'What is the local time in "Asia/Tokyo" right now? Use the right tool.'


async def three_tools_one_needed(ctx: CheckContext) -> HTTPResult:
    """Shared: tools.auto judges that tool_choice auto calls a tool when one is needed, tools.selection
    that it is the right one of three."""
    body = ctx.chat_body(SELECTION_PROMPT, tools=[WEATHER_TOOL, STOCK_TOOL, TIME_TOOL], tool_choice="auto")
    return await ctx.post_chat("tool_choice auto, three tools, one needed", body)
"""What :func:`require_tool_calls` decides (besides the shared guards)."""


def used_temperature(reply: str) -> bool:
    """The reply quotes the tool result's temperature as a number of its own ("17°C", "**17 C**"),
    not as digits inside another number ("2017", "170"), which a model that ignored it may say."""
    return re.search(rf"(?<![\d.]){TOOL_RESULT['temperature_c']}(?!\.?\d)", reply) is not None


def require_tool_calls(
    ctx: CheckContext, result: HTTPResult, what: str, *, finish_reasons: tuple[str, ...]
) -> tuple[dict[str, Any], list[ToolCall]]:
    """The completion and its calls, each with arguments a client can use and the finish_reason
    clients branch on; otherwise the defect decides. An empty list means a text reply."""
    completion = require_completion(ctx, result, what)
    calls = tool_calls_of(completion)
    for call in calls:
        if bad := argument_problem(call):
            raise Decided(failed("bad_arguments", f"{what}: {bad}"))
    finish = first_choice(completion).get("finish_reason")
    if not calls and finish == "tool_calls":
        # Clients branch on finish_reason: they take the tool path and find nothing to run.
        text = excerpt(content_of(completion), 80)
        raise Decided(failed("finish_without_calls", f"{what}: finish_reason is 'tool_calls' but the reply has no tool calls (text: {text!r})"))
    if calls and finish not in finish_reasons:
        expected = " or ".join(repr(f) for f in finish_reasons)
        raise Decided(failed(
            "wrong_finish_reason", f"{what}: the reply calls {calls[0].name!r} but finish_reason is {finish!r}, expected {expected}",
        ))
    return completion, calls

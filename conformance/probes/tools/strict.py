"""tools.strict: a `strict: true` tool whose schema uses what strict mode allows is accepted, and
the call's arguments validate against it."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed

from ..shared import BOOK_TRIP_TOOL
from .calls import CALL_REASONS, require_tool_calls

PROMPT = 'Book a trip for "Ada", aged 36, to Paris and then Tokyo, in economy class. Use the book_trip tool.'


@check(
    "tools.strict", "A `strict: true` tool (nested objects, arrays, enums, additionalProperties false) is accepted and its arguments validate",
    reasons=("pass/valid_arguments", "fail/not_called", *CALL_REASONS),
)
async def tools_strict(ctx: CheckContext) -> Outcome:
    named = {"type": "function", "function": {"name": "book_trip"}}
    body = ctx.chat_body(PROMPT, tools=[BOOK_TRIP_TOOL], tool_choice=named)
    result = await ctx.post_chat("strict tool, named tool_choice", body)
    # A refusal names the schema feature in its message, which the guard quotes: unsupported, with the reason.
    completion, calls = require_tool_calls(ctx, result, "a strict: true tool", finish_reasons=("tool_calls", "stop"))
    if not calls:
        return failed("not_called", f"the named strict tool was not called: text reply {excerpt(content_of(completion), 80)!r}")
    return conformant(ctx, "valid_arguments", f"strict tool accepted; arguments validate against its schema: {excerpt(str(calls[0].arguments), 120)}")

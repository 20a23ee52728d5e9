"""chat.basic: the minimal request returns a schema-valid chat completion."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of, first_choice, message_of, require_completion, strict_note
from conformance.registry import check
from conformance.verdict import Outcome, failed, warned

from ..shared import minimal_chat, reasoning_evidence, spent_on_reasoning


@check(
    "chat.basic", "The minimal request returns a schema-valid chat completion",
    reasons=("pass/valid", "fail/no_content", "warn/reasoning_spent_limit"),
)
async def chat_basic(ctx: CheckContext) -> Outcome:
    completion = require_completion(ctx, await ctx.shared(minimal_chat), "minimal chat request", owner=True)
    finish = first_choice(completion).get("finish_reason")
    if not content_of(completion) and not message_of(completion).get("tool_calls"):
        # Reasoning models count their thinking against the limit: a short limit can leave no answer.
        if finish == "length" and (evidence := reasoning_evidence(completion)):
            return warned("reasoning_spent_limit", spent_on_reasoning(ctx, evidence) + strict_note(ctx))
        return failed("no_content", f"the completion has no content (finish_reason {finish!r})")
    return conformant(ctx, "valid", f"schema-valid completion, finish_reason {finish!r}")

"""responses.instructions (model): `instructions` are followed (canary word)."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Measures, Outcome, failed, passed, warned

from ..shared import canary
from .reading import RESPONSE_REASONS, output_text, require_response, usage_counts

PROMPT = "Say hello."


@check(
    "responses.instructions", "`instructions` are followed (a canary word); dropped instructions (input_tokens) fail",
    measures=Measures.MODEL, depends_on=("responses.basic",),
    reasons=("pass/followed", "fail/dropped", "warn/not_followed", *RESPONSE_REASONS),
)
async def responses_instructions(ctx: CheckContext) -> Outcome:
    word = canary()
    body = ctx.responses_body(PROMPT, instructions=f"You must begin every reply with the code word {word}.")
    response = require_response(ctx, await ctx.post_responses("instructions with a canary", body), "instructions")
    text = output_text(response)
    if word in text:
        return passed("followed", f"the reply contains the instructions' canary {word}")
    without = await ctx.post_responses("same request without instructions", ctx.responses_body(PROMPT))
    with_counts, without_counts = usage_counts(response), usage_counts(without.json) if without.ok else None
    if with_counts and without_counts and 0 < with_counts[0] <= without_counts[0]:
        return failed("dropped", f"the instructions appear dropped: input_tokens {with_counts[0]} with them, {without_counts[0]} without; canary {word} absent")
    missed = f"the model did not follow the instructions (canary {word} absent from {excerpt(text, 80)!r})"
    if not with_counts or not without_counts:
        return warned("not_followed", f"{missed}; input_tokens cannot tell whether they reached it (not reported)")
    return warned("not_followed", f"{missed}; they did reach it (input_tokens {with_counts[0]} with them, {without_counts[0]} without)")

"""responses.previous_response_id: a request continuing from an earlier response by its id recalls
that response's content (stateful servers); a clean refusal is unsupported."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed, warned

from ..shared import RECALL_QUESTION
from .reading import RESPONSE_REASONS, first_turn, output_text, require_response, usage_counts


@check(
    "responses.previous_response_id", "A request continuing by previous_response_id recalls the earlier response's content",
    depends_on=("responses.basic",),
    reasons=("pass/recalled", "fail/no_id", "fail/ignored", "warn/not_recalled", *RESPONSE_REASONS),
)
async def responses_previous_response_id(ctx: CheckContext) -> Outcome:
    word = ctx.code_word
    first = require_response(ctx, await ctx.shared(first_turn), "the first turn")
    previous = first.get("id")
    if not isinstance(previous, str) or not previous:
        return failed("no_id", f"the first response has no id to continue from ({previous!r})")
    body = ctx.responses_body(RECALL_QUESTION, previous_response_id=previous)
    second = require_response(ctx, await ctx.post_responses("second turn by previous_response_id", body), "previous_response_id")
    text = output_text(second)
    if word in text:
        return passed("recalled", f"continuing from {previous!r} recalls the code word {word}")
    alone = await ctx.post_responses("the second turn alone", ctx.responses_body(RECALL_QUESTION))
    with_history, without = usage_counts(second), usage_counts(alone.json) if alone.ok else None
    if with_history and without and 0 < with_history[0] <= without[0]:
        return failed("ignored", f"previous_response_id was ignored: input_tokens {with_history[0]} with it, {without[0]} without; {word} absent")
    reply = excerpt(text, 80)
    if not with_history or not without:
        return warned("not_recalled", f"the model did not recall {word}, and input_tokens cannot tell whether the earlier turn reached it: {reply!r}")
    counts = f"input_tokens {with_history[0]} with it, {without[0]} without"
    return warned("not_recalled", f"the earlier turn reached the model ({counts}), but it did not recall {word}: {reply!r}")

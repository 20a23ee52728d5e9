"""responses.basic: `{model, input}` gets a completed, schema-valid response with its text and usage."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, unsupported

from .reading import RESPONSE_REASONS, first_turn, output_text, require_response, stopped_at_cap, usage_counts


@check(
    "responses.basic", "POST /responses with {model, input} returns a completed, schema-valid response with output_text and usage",
    reasons=("pass/completed", "pass/at_cap", "unsupported/no_responses_api", "fail/not_completed", "fail/no_text", "fail/bad_usage", *RESPONSE_REASONS),
)
async def responses_basic(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(first_turn)
    if result.status in (404, 405):
        # auth.bearer passed, so chat completions answer here: the path itself is what is missing.
        return unsupported("no_responses_api", f"no Responses API: POST /responses answers HTTP {result.status} ({excerpt(result.text, 100)})")
    response = require_response(ctx, result, "minimal response", owner=True)
    at_cap = stopped_at_cap(response)
    if response.get("status") != "completed" and not at_cap:
        details = response.get("incomplete_details")
        return failed("not_completed", f"status is {response.get('status')!r}, expected 'completed' (incomplete_details {details!r})")
    text = output_text(response)
    if not text:
        return failed("no_text", "the response has no message item with output_text content")
    counts = usage_counts(response)
    if counts is None or counts[0] + counts[1] != counts[2] or min(counts) < 0:
        return failed("bad_usage", f"usage must give input_tokens + output_tokens = total_tokens, got {response.get('usage')!r}")
    usage = f"usage {counts[0]} + {counts[1]} = {counts[2]}"
    if at_cap:
        return conformant(
            ctx, "at_cap", f"the reply reached the request's max_output_tokens (status incomplete, reason max_output_tokens, as OpenAI "
            f"reports it): {excerpt(text, 60)!r}; {usage}",
        )
    return conformant(ctx, "completed", f"a completed response: {excerpt(text, 60)!r}; {usage}")

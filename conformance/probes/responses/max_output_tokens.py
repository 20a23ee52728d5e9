"""responses.max_output_tokens: the output limit is enforced: status incomplete, reason
max_output_tokens, and no more output tokens than the limit."""

from __future__ import annotations

from conformance.context import MIN_OUTPUT_TOKENS, CheckContext
from conformance.registry import check
from conformance.verdict import Outcome, failed, passed, warned

from ..shared import word_count
from .reading import RESPONSE_REASONS, output_text, require_response, usage_counts

PROMPT = "Count from 1 to 60, separated by spaces. Output only the numbers."
LIMIT = MIN_OUTPUT_TOKENS


@check(
    "responses.max_output_tokens", "max_output_tokens is enforced: status incomplete (max_output_tokens), output_tokens within the limit",
    depends_on=("responses.basic",),
    reasons=("pass/enforced", "fail/ignored", "fail/not_enforced", "fail/wrong_reason", "warn/stopped_by_itself", *RESPONSE_REASONS),
)
async def responses_max_output_tokens(ctx: CheckContext) -> Outcome:
    body = ctx.responses_body(PROMPT, max_output_tokens=LIMIT)
    response = require_response(ctx, await ctx.post_responses(f"max_output_tokens={LIMIT}", body), "max_output_tokens")
    status, details = response.get("status"), response.get("incomplete_details")
    words = word_count(output_text(response))
    counts = usage_counts(response)
    output_tokens = counts[1] if counts else None
    if words > LIMIT:
        return failed("ignored", f"max_output_tokens={LIMIT} is ignored: the reply has {words} words (each at least one token), status {status!r}")
    if output_tokens is not None and output_tokens > LIMIT:
        return failed("not_enforced", f"max_output_tokens={LIMIT} is not enforced: usage.output_tokens is {output_tokens}")
    if status == "completed":
        return warned("stopped_by_itself", f"max_output_tokens={LIMIT}: the reply completed by itself ({words} words), so enforcement is not shown")
    reason = details.get("reason") if isinstance(details, dict) else None
    if status != "incomplete" or reason != "max_output_tokens":
        return failed(
            "wrong_reason", f"the reply was cut, but status is {status!r} with incomplete_details {details!r}, expected incomplete / max_output_tokens",
        )
    return passed("enforced", f"max_output_tokens={LIMIT} is enforced: status incomplete (max_output_tokens), {words} words, output_tokens {output_tokens}")

"""models.unknown_rejected: a chat request for an unknown model id gets a 4xx error, not a 200."""

from __future__ import annotations

import secrets

from conformance.context import CheckContext
from conformance.judge import conformant, envelope_problem, error_body, no_answer
from conformance.registry import check
from conformance.verdict import Outcome, failed, inconclusive, warned


@check(
    "models.unknown_rejected", "A chat request for an unknown model id gets a 4xx error, not a 200",
    reasons=(
        "pass/rejected", "fail/error_body_2xx", "fail/served", "fail/server_error", "warn/unusual_status", "warn/no_envelope",
        "error/rate_limited",
    ),
)
async def models_unknown_rejected(ctx: CheckContext) -> Outcome:
    unknown = f"conformance-no-such-model-{secrets.token_hex(4)}"
    result = await ctx.post_chat("chat request for an unknown model", ctx.chat_body("Say OK.", model=unknown))
    if result.error:
        return no_answer(result, "unknown model request")
    assert result.status is not None
    if (refusal := error_body(result)) is not None:
        return failed(
            "error_body_2xx",
            f"an unknown model id is refused, but with HTTP {result.status} carrying an error body (clients see success): {refusal}",
        )
    if result.ok:
        served = result.json.get("model") if isinstance(result.json, dict) else None
        return failed("served", f"an unknown model id {unknown!r} was served with HTTP {result.status} (answered as model {served!r}): silent substitution")
    if result.status == 429:
        return inconclusive("rate_limited", "rate limited (HTTP 429)")
    if result.status >= 500:
        return failed("server_error", f"an unknown model id got a server error HTTP {result.status}: {result.text[:160]}")
    problem = envelope_problem(ctx, result)
    deviations = [d for d in (None if result.status == 404 else f"HTTP {result.status} (OpenAI uses 404)", problem) if d]
    if deviations:
        return warned("unusual_status" if result.status != 404 else "no_envelope", f"an unknown model id is refused, but with {'; '.join(deviations)}")
    return conformant(ctx, "rejected", "an unknown model id is refused with HTTP 404 and an error envelope")

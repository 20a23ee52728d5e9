"""errors.format: error responses are application/json with the error envelope."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, envelope_problem
from conformance.registry import check
from conformance.verdict import Outcome, failed, skipped

from .malformed import send_malformed


@check(
    "errors.format", "Error responses are application/json with the {\"error\": {message, type, param, code}} envelope",
    reasons=("pass/envelope", "fail/no_envelope", "skip/no_error_response"),
)
async def errors_format(ctx: CheckContext) -> Outcome:
    results = await send_malformed(ctx)
    # A result with an error (e.g. 503 outlasting the retries) is the provider being unavailable,
    # not its answer to the malformed request.
    judged = {what: r for what, r in results.items() if r.status is not None and r.status >= 400 and not r.error}
    if not judged:
        return skipped("no_error_response", "no malformed request got an error response to judge (see errors.status_codes)")
    for what, result in judged.items():
        if problem := envelope_problem(ctx, result):
            return failed("no_envelope", f"{what} → HTTP {result.status}: {problem}")
    return conformant(ctx, "envelope", f"{len(judged)} error response(s), all with the error envelope")

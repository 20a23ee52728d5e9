"""errors.status_codes: malformed requests get a 4xx, not 2xx or 5xx."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import no_answer
from conformance.registry import check
from conformance.verdict import Outcome, failed, passed, warned

from .malformed import send_malformed


@check(
    "errors.status_codes", "Malformed requests (bad JSON, missing messages, wrong types) get a 4xx, not 2xx or 5xx",
    reasons=("pass/all_400", "warn/not_400", "fail/not_4xx"),
)
async def errors_status_codes(ctx: CheckContext) -> Outcome:
    results = await send_malformed(ctx)
    unanswered = [(what, r) for what, r in results.items() if r.error]
    if unanswered:
        what, result = unanswered[0]
        return no_answer(result, what)
    statuses = {what: r.status or 0 for what, r in results.items()}
    accepted = [f"{what} → HTTP {s}" for what, s in statuses.items() if 200 <= s < 300]
    server_errors = [f"{what} → HTTP {s}" for what, s in statuses.items() if s >= 500]
    if accepted or server_errors:
        return failed("not_4xx", f"expected 4xx for malformed requests, got: {'; '.join(accepted + server_errors)}")
    unusual = [f"{what} → HTTP {s}" for what, s in statuses.items() if s != 400]
    if unusual:
        return warned("not_400", f"malformed requests are refused, but not all with 400 as OpenAI does: {'; '.join(unusual)}")
    return passed("all_400", "all four malformed requests get HTTP 400")

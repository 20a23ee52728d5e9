"""How a request that should be refused for its credentials is judged (no key, a wrong key)."""

from __future__ import annotations

from conformance.client import Auth, HTTPResult
from conformance.context import CheckContext
from conformance.judge import conformant, envelope_problem, error_body, no_answer
from conformance.verdict import Outcome, failed, inconclusive, warned

REJECTED = (401, 403)


def has_key(ctx: CheckContext) -> bool:
    """Whether the run sends a key at all (an api_key, and auth not `none`)."""
    return bool(ctx.api_key) and ctx.key_scheme != Auth.NONE
REJECTION_REASONS = (
    "pass/rejected", "fail/error_body_2xx", "fail/not_enforced", "fail/server_error", "warn/unusual_status",
    "warn/no_envelope", "error/rate_limited",
)


def judge_rejection(ctx: CheckContext, result: HTTPResult, what: str) -> Outcome:
    if result.error:
        return no_answer(result, what)
    assert result.status is not None
    if (refusal := error_body(result)) is not None:
        return failed("error_body_2xx", f"{what} is refused, but with HTTP {result.status} carrying an error body (clients see success): {refusal}")
    if result.ok:
        return failed("not_enforced", f"{what} was accepted (HTTP {result.status}): auth is not enforced")
    if result.status >= 500:
        return failed("server_error", f"{what} got a server error HTTP {result.status} instead of 401: {result.text[:160]}")
    if result.status == 429:
        return inconclusive("rate_limited", f"{what}: rate limited (HTTP 429)")
    problem = envelope_problem(ctx, result)
    if result.status not in REJECTED:
        return warned("unusual_status", f"{what} is refused, but with HTTP {result.status} instead of 401/403" + (f"; {problem}" if problem else ""))
    if problem:
        return warned("no_envelope", f"{what} is refused with HTTP {result.status}, but {problem}")
    return conformant(ctx, "rejected", f"{what} is refused with HTTP {result.status} and an error envelope")

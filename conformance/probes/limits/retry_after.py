"""limits.retry_after: every 429 the run met said when to come back. Judged on what the other
checks' requests met; it sends nothing itself."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.verdict import Outcome, passed, skipped, warned

HINTS = ("retry-after", "retry-after-ms")


@check(
    "limits.retry_after", "Every 429 met during the run carries Retry-After, retry-after-ms or x-ratelimit-reset-*",
    depends_on=(), after_all=True, reasons=("pass/hinted", "warn/no_hint", "skip/no_429"),
)
async def limits_retry_after(ctx: CheckContext) -> Outcome:
    answers = ctx.rate_limit_answers
    if not answers:
        return skipped("no_429", "no 429 was met during the run, so there was nothing to judge")
    bare = [a for a in answers if not any(h in HINTS or h.startswith("x-ratelimit-reset") for h in a.headers)]
    for answer in answers:
        ctx.cite(answer.exchange)
        ctx.note(f"429 on {answer.label}: " + (", ".join(f"{k}: {v}" for k, v in answer.headers.items()) or "no timing header"))
    if bare:
        return warned("no_hint", f"{len(bare)} of {len(answers)} 429 answer(s) said nothing about when to retry (first: {bare[0].label})")
    return passed("hinted", f"all {len(answers)} 429 answer(s) said when to retry")

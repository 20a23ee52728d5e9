"""limits.rate_limit_headers: which x-ratelimit-* / retry-after headers are sent, and whether they parse."""

from __future__ import annotations

import re

from conformance.context import CheckContext
from conformance.judge import no_answer
from conformance.registry import check
from conformance.verdict import Outcome, passed, warned

from ..shared import minimal_chat

OPENAI_HEADERS = (
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
)
_DURATION = re.compile(r"^(\d+(\.\d+)?(ms|s|m|h))+$")


@check(
    "limits.rate_limit_headers", "Which x-ratelimit-* / retry-after headers are sent, and whether they parse",
    reasons=("pass/all_headers", "warn/no_headers", "warn/malformed", "warn/some_missing"),
)
async def limits_rate_limit_headers(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(minimal_chat)
    if result.error or result.status is None:
        return no_answer(result, "minimal request failed")
    headers = result.headers
    present = [h for h in OPENAI_HEADERS if h in headers]
    vendor = sorted(h for h in headers if h.startswith("x-ratelimit-") and h not in OPENAI_HEADERS)
    if "retry-after" in headers:
        vendor.append("retry-after")
    if not present:
        extra = f" (other rate-limit headers: {', '.join(vendor)})" if vendor else ""
        return warned("no_headers", f"no OpenAI x-ratelimit-* headers sent{extra}: clients that pace themselves by them get no signal")
    malformed = [
        f"{h}: {headers[h]!r}"
        for h in present
        if ("reset" in h and not _DURATION.match(headers[h])) or ("reset" not in h and not headers[h].isdigit())
    ]
    if malformed:
        return warned("malformed", f"rate-limit headers present but not in OpenAI's format: {'; '.join(malformed)}")
    missing = [h for h in OPENAI_HEADERS if h not in present]
    if missing:
        return warned("some_missing", f"sends {', '.join(present)}; missing {', '.join(missing)}")
    return passed("all_headers", "sends all six x-ratelimit-* headers: " + ", ".join(f"{h.removeprefix('x-ratelimit-')}={headers[h]}" for h in present))

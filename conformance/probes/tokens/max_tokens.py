"""tokens.max_tokens: max_tokens (deprecated, still common) is accepted and enforced."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.verdict import Outcome

from .limit import LIMIT_REASONS, judge_limit


@check("tokens.max_tokens", "max_tokens (deprecated, still common) is accepted and enforced", reasons=LIMIT_REASONS)
async def tokens_max_tokens(ctx: CheckContext) -> Outcome:
    return await judge_limit(ctx, "max_tokens")

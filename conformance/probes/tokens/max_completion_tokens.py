"""tokens.max_completion_tokens: max_completion_tokens is accepted and enforced (finish_reason length)."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.verdict import Outcome

from .limit import LIMIT_REASONS, judge_limit


@check(
    "tokens.max_completion_tokens", "max_completion_tokens is accepted and enforced (finish_reason length)",
    reasons=LIMIT_REASONS,
)
async def tokens_max_completion_tokens(ctx: CheckContext) -> Outcome:
    return await judge_limit(ctx, "max_completion_tokens")

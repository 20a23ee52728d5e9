"""auth.invalid_key_rejected: a request with a wrong key is refused with 401/403 and an error body."""

from __future__ import annotations

from conformance.client import Auth
from conformance.context import CheckContext
from conformance.registry import check
from conformance.verdict import Outcome, skipped

from .rejection import REJECTION_REASONS, has_key, judge_rejection


@check(
    "auth.invalid_key_rejected", "A request with a wrong key is refused with 401/403 and an error body",
    depends_on=("base_url.v1_path",), reasons=(*REJECTION_REASONS, "skip/no_key_configured"),
)
async def auth_invalid_key_rejected(ctx: CheckContext) -> Outcome:
    if not has_key(ctx):
        return skipped("no_key_configured", "not applicable: no api_key configured, so this provider is used without credentials")
    result = await ctx.post_chat("request with a wrong key", ctx.chat_body("Say OK."), auth=Auth.WRONG)
    return judge_rejection(ctx, result, "a request with a wrong key")

"""auth.bearer: the configured key sent as `Authorization: Bearer` is accepted."""

from __future__ import annotations

from conformance.client import Auth
from conformance.context import CheckContext
from conformance.judge import no_answer
from conformance.registry import check
from conformance.verdict import Outcome, failed, inconclusive, passed, warned

from ..shared import minimal_chat
from .rejection import REJECTED


@check(
    "auth.bearer", "The configured key sent as `Authorization: Bearer` is accepted", depends_on=("base_url.v1_path",),
    reasons=(
        "pass/accepted", "warn/no_key_needed", "fail/key_needed", "fail/other_header_works", "fail/refused",
        "error/inconclusive_status",
    ),
)
async def auth_bearer(ctx: CheckContext) -> Outcome:
    if not ctx.provider.api_key:
        return await without_key(ctx)
    result = await ctx.shared(minimal_chat)
    if result.error:
        return no_answer(result, "minimal request failed")
    if result.ok:
        return passed("accepted", f"a request with Authorization: Bearer <key> was accepted (HTTP {result.status})")
    if result.status in REJECTED:
        for header in (Auth.API_KEY_HEADER, Auth.X_API_KEY_HEADER):
            other = await ctx.post_chat(f"same request, key in an `{header}:` header", ctx.chat_body("Say OK."), auth=header)
            if other.ok:
                ctx.use_key_header(header)
                ctx.note(f"later checks sent the key in an `{header}:` header")
                return failed(
                    "other_header_works",
                    f"the key is refused as Bearer (HTTP {result.status}) but accepted in an `{header}:` header: "
                    "OpenAI clients send Bearer",
                    dependents_may_run=True,
                )
        return failed("refused", f"the configured key sent as Bearer is refused (HTTP {result.status}): {result.text[:160]}")
    return inconclusive(
        "inconclusive_status",
        f"the minimal request got HTTP {result.status}, so it cannot show whether the key is accepted: {result.text[:160]}",
    )


async def without_key(ctx: CheckContext) -> Outcome:
    """No api_key configured: does the provider really need none?"""
    anonymous = await ctx.post_chat("request without credentials (no api_key configured)", ctx.chat_body("Say OK."), auth=Auth.NONE)
    if anonymous.ok:
        return warned("no_key_needed", "no api_key configured, and the provider accepts requests without credentials")
    if anonymous.error:
        return no_answer(anonymous, "no api_key configured, and the request without credentials failed")
    if anonymous.status in REJECTED:
        return failed("key_needed", f"no api_key configured, and a request without credentials gets HTTP {anonymous.status}: set api_key")
    # Refused for another reason (an unknown model, a crash): it says nothing about credentials.
    return inconclusive(
        "inconclusive_status",
        f"no api_key configured, and the request without credentials got HTTP {anonymous.status}, "
        f"so it cannot show whether credentials are needed: {anonymous.text[:160]}",
    )

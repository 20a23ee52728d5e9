"""auth.bearer: the configured key sent as `Authorization: Bearer` is accepted.

With `auth: {header: NAME}` configured, the run talks to the provider through that header; this
check still sends Bearer, because that is what OpenAI clients send, and says what they would meet."""

from __future__ import annotations

from conformance.client import Auth, HTTPResult
from conformance.context import CheckContext
from conformance.discover import demanded_query
from conformance.judge import no_answer
from conformance.registry import check
from conformance.verdict import Outcome, failed, inconclusive, passed, warned

from ..shared import minimal_chat
from .rejection import REJECTED, has_key


@check(
    "auth.bearer", "The configured key sent as `Authorization: Bearer` is accepted", depends_on=("base_url.v1_path",),
    reasons=(
        "pass/accepted", "warn/no_key_needed", "fail/key_needed", "fail/other_header_works", "fail/refused",
        "error/inconclusive_status", "error/query_param_required",
    ),
)
async def auth_bearer(ctx: CheckContext) -> Outcome:
    if not has_key(ctx):
        return await without_key(ctx)
    configured = ctx.key_scheme
    if configured == Auth.BEARER:
        result = await ctx.shared(minimal_chat)
    else:
        result = await ctx.post_chat("same request, key as Authorization: Bearer", ctx.chat_body("Say OK."), auth=Auth.BEARER)
    if result.error:
        return no_answer(result, "minimal request failed")
    if result.ok:
        return passed("accepted", f"a request with Authorization: Bearer <key> was accepted (HTTP {result.status})")
    if result.status in REJECTED:
        return await find_the_header(ctx, result, configured)
    if (demand := demanded_query(result)) is not None:
        name, value = demand
        return inconclusive(
            "query_param_required",
            f"every request is refused (HTTP {result.status}) for want of the query parameter {name!r}: add "
            f"`query: {{{name}: {value or 'VALUE'}}}` to the provider (`conformance discover` finds it): {result.text[:160]}",
        )
    return inconclusive(
        "inconclusive_status",
        f"the minimal request got HTTP {result.status}, so it cannot show whether the key is accepted: {result.text[:160]}",
    )


async def find_the_header(ctx: CheckContext, refused: HTTPResult, configured: str) -> Outcome:
    """Bearer is refused: which header, if any, takes the key (the configured one first)."""
    headers = [h for h in (configured, Auth.API_KEY_HEADER, Auth.X_API_KEY_HEADER) if h != Auth.BEARER]
    for header in dict.fromkeys(headers):
        if header == configured:
            other = await ctx.shared(minimal_chat)
        else:
            other = await ctx.post_chat(f"same request, key in an `{header}:` header", ctx.chat_body("Say OK."), auth=header)
        if other.ok:
            if header != configured:
                ctx.use_key_header(header)
                ctx.note(f"later checks sent the key in an `{header}:` header")
            return failed(
                "other_header_works",
                f"the key is refused as Bearer (HTTP {refused.status}) but accepted in an `{header}:` header: OpenAI clients send Bearer",
                dependents_may_run=True,
            )
    return failed("refused", f"the configured key sent as Bearer is refused (HTTP {refused.status}): {refused.text[:160]}")


async def without_key(ctx: CheckContext) -> Outcome:
    """No api_key configured (or auth: none): does the provider really need none?"""
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

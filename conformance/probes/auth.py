"""Auth: a valid key works as `Authorization: Bearer`; no key and a wrong key are refused."""

from __future__ import annotations

from conformance.checks import check
from conformance.client import Auth, HTTPResult
from conformance.probe import Outcome, Probe, error_body, failed, inconclusive, passed, skipped, warned

from .common import minimal_chat

REJECTED = (401, 403)


@check("auth.bearer", "The configured key sent as `Authorization: Bearer` is accepted", depends_on=("base_url.v1_path",))
async def auth_bearer(p: Probe):
    if not p.provider.api_key:
        anonymous = await p.post_chat("request without credentials (no api_key configured)", p.chat_body("Say OK."), auth=Auth.NONE)
        if anonymous.ok:
            return warned("no api_key configured, and the provider accepts requests without credentials")
        if anonymous.error:
            return inconclusive(f"no api_key configured, and the request without credentials failed: {anonymous.error}")
        if anonymous.status in REJECTED:
            return failed(f"no api_key configured, and a request without credentials gets HTTP {anonymous.status}: set api_key")
        # Refused for another reason (an unknown model, a crash): it says nothing about credentials.
        return inconclusive(
            f"no api_key configured, and the request without credentials got HTTP {anonymous.status}, "
            f"so it cannot show whether credentials are needed: {anonymous.text[:160]}"
        )
    result = await p.shared("chat.minimal", minimal_chat)
    if result.error:
        return inconclusive(f"minimal request failed: {result.error}")
    if result.ok:
        return passed(f"a request with Authorization: Bearer <key> was accepted (HTTP {result.status})")
    if result.status in REJECTED:
        for header in (Auth.API_KEY_HEADER, Auth.X_API_KEY_HEADER):
            other = await p.post_chat(f"same request, key in an `{header}:` header", p.chat_body("Say OK."), auth=header)
            if other.ok:
                p.use_key_header(header)
                p.note(f"later checks sent the key in an `{header}:` header")
                return failed(
                    f"the key is refused as Bearer (HTTP {result.status}) but accepted in an `{header}:` header: "
                    "OpenAI clients send Bearer",
                    dependents_may_run=True,
                )
        return failed(f"the configured key sent as Bearer is refused (HTTP {result.status}): {result.text[:160]}")
    return inconclusive(f"the minimal request got HTTP {result.status}, so it cannot show whether the key is accepted: {result.text[:160]}")


def judge_rejection(p: Probe, result: HTTPResult, what: str) -> Outcome:
    if result.error:
        return inconclusive(f"{what}: {result.error}")
    assert result.status is not None
    if (refusal := error_body(result)) is not None:
        return failed(f"{what} is refused, but with HTTP {result.status} carrying an error body (clients see success): {refusal}")
    if result.ok:
        return failed(f"{what} was accepted (HTTP {result.status}): auth is not enforced")
    if result.status >= 500:
        return failed(f"{what} got a server error HTTP {result.status} instead of 401: {result.text[:160]}")
    if result.status == 429:
        return inconclusive(f"{what}: rate limited (HTTP 429)")
    problem = p.envelope_problem(result)
    if result.status not in REJECTED:
        return warned(f"{what} is refused, but with HTTP {result.status} instead of 401/403" + (f"; {problem}" if problem else ""))
    if problem:
        return warned(f"{what} is refused with HTTP {result.status}, but {problem}")
    return p.conformant(f"{what} is refused with HTTP {result.status} and an error envelope")


@check("auth.missing_key_rejected", "A request with no key is refused with 401/403 and an error body", depends_on=("base_url.v1_path",))
async def auth_missing_key_rejected(p: Probe):
    if not p.provider.api_key:
        return skipped("not applicable: no api_key configured, so this provider is used without credentials")
    result = await p.post_chat("request without an Authorization header", p.chat_body("Say OK."), auth=Auth.NONE)
    return judge_rejection(p, result, "a request without a key")


@check("auth.invalid_key_rejected", "A request with a wrong key is refused with 401/403 and an error body", depends_on=("base_url.v1_path",))
async def auth_invalid_key_rejected(p: Probe):
    if not p.provider.api_key:
        return skipped("not applicable: no api_key configured, so this provider is used without credentials")
    result = await p.post_chat("request with a wrong Bearer key", p.chat_body("Say OK."), auth=Auth.WRONG)
    return judge_rejection(p, result, "a request with a wrong key")

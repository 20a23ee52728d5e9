"""params.optional_fields: OpenAI's optional request fields, at neutral values, are accepted.

Real clients and frameworks send them whatever the app asked for; a provider that refuses a
field it does not know ("extra fields not permitted") breaks them. On a refusal the fields are
bisected so the verdict names exactly which ones are refused."""

from __future__ import annotations

from typing import Any

from conformance.client import HTTPResult
from conformance.context import CheckContext
from conformance.judge import Decided, error_message, no_answer, refusal, require_completion
from conformance.registry import check
from conformance.verdict import Outcome, failed, passed, warned

PROMPT = "Say hello in one short sentence."
NAME = "auditor"
MESSAGE_NAME = "messages[0].name"
CORE: dict[str, Any] = {
    "top_p": 1,
    "frequency_penalty": 0,
    "presence_penalty": 0,
    "n": 1,
    "user": "conformance-audit",
    "logit_bias": {},
    "stop": None,
    "logprobs": False,
    "stream": False,
    "response_format": {"type": "text"},
    MESSAGE_NAME: NAME,
}
"""Sampling and request fields every OpenAI-compatible client library sends at some point."""
NEWER: dict[str, Any] = {"metadata": {"purpose": "conformance"}, "store": False, "service_tier": "auto"}
"""Fields OpenAI added later; a provider that refuses them breaks fewer clients."""
FIELDS = {**CORE, **NEWER}
# Left out on purpose: what OpenAI itself refuses in this request (parallel_tool_calls or
# tool_choice without tools, top_logprobs without logprobs, reasoning_effort on a chat model).


def body_with(ctx: CheckContext, fields: list[str]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "user", "content": PROMPT}
    if MESSAGE_NAME in fields:
        message["name"] = NAME
    body = ctx.chat_body([message])
    # After chat_body, which drops None: `stop: null` must be sent as an explicit null.
    body.update({name: FIELDS[name] for name in fields if name != MESSAGE_NAME})
    return body


async def refused_fields(ctx: CheckContext, fields: list[str]) -> list[str]:
    """The fields among ``fields`` that are refused, found by halving (a few requests each)."""
    if len(fields) == 1:
        return fields
    half = len(fields) // 2
    found: list[str] = []
    for part in (fields[:half], fields[half:]):
        result = await ctx.post_chat(f"optional fields: {', '.join(part)}", body_with(ctx, part))
        if result.error:
            raise Decided(no_answer(result, f"optional fields {', '.join(part)}"))
        if not result.ok:
            found += await refused_fields(ctx, part)
    # Refused together but not apart (a combination): all of them are the finding.
    return found or fields


@check(
    "params.optional_fields", "OpenAI's optional request fields at neutral values (top_p 1, user, logit_bias {}, metadata, ...) are accepted",
    reasons=("pass/accepted", "fail/core_fields_refused", "warn/newer_fields_refused"),
)
async def params_optional_fields(ctx: CheckContext) -> Outcome:
    names = list(FIELDS)
    result: HTTPResult = await ctx.post_chat("every optional field at a neutral value", body_with(ctx, names))
    decided = refusal(ctx, result, "optional fields")
    if decided is None:
        require_completion(ctx, result, "optional fields")
        return passed("accepted", f"a request with {len(names)} optional fields at neutral values is accepted: {', '.join(names)}")
    if result.error or result.status is None or result.status >= 500 or result.status == 429:
        return decided
    refused = await refused_fields(ctx, names)
    message = error_message(result.json) or f"HTTP {result.status}"
    core = [f for f in refused if f in CORE]
    if core:
        return failed("core_fields_refused", f"refused with HTTP {result.status} for {', '.join(refused)} ({message}); clients send these")
    return warned("newer_fields_refused", f"refused with HTTP {result.status} for {', '.join(refused)} ({message}): newer fields some clients send")

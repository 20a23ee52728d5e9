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
from conformance.verdict import Outcome, failed, inconclusive, passed, warned

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


async def is_refused(ctx: CheckContext, fields: list[str], unknown: list[str]) -> bool:
    """Whether a request with ``fields`` is refused (4xx); a 429 or 5xx says nothing about the
    fields, so they go to ``unknown`` and count as accepted (never blamed on a guess)."""
    result = await ctx.post_chat(f"optional fields: {', '.join(fields)}", body_with(ctx, fields))
    if result.error:
        raise Decided(no_answer(result, f"optional fields {', '.join(fields)}"))
    assert result.status is not None
    if result.status == 429 or result.status >= 500:
        unknown.extend(f for f in fields if f not in unknown)
        return False
    return not result.ok


async def refused_groups(ctx: CheckContext, fields: list[str], unknown: list[str], kept: tuple[str, ...] = ()) -> list[list[str]]:
    """Given that ``kept`` with ``fields`` is refused: the fields refused on their own, found by
    halving; or, when neither half is refused, the fields that are refused only together."""
    if len(fields) == 1:
        return [fields]
    half = len(fields) // 2
    first, second = fields[:half], fields[half:]
    groups: list[list[str]] = []
    for part in (first, second):
        if await is_refused(ctx, [*kept, *part], unknown):
            groups += await refused_groups(ctx, part, unknown, kept)
    if groups or unknown:
        return groups
    # Each half passes alone: the refusal needs fields from both. Narrow the second half with the
    # first sent along, then the first with what was found of the second.
    in_second = [f for g in await refused_groups(ctx, second, unknown, (*kept, *first)) for f in g]
    in_first = [f for g in await refused_groups(ctx, first, unknown, (*kept, *in_second)) for f in g]
    return [in_first + in_second]


@check(
    "params.optional_fields", "OpenAI's optional request fields at neutral values (top_p 1, user, logit_bias {}, metadata, ...) are accepted",
    reasons=("pass/accepted", "fail/core_fields_refused", "warn/newer_fields_refused", "error/not_narrowed"),
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
    unknown: list[str] = []
    groups = await refused_groups(ctx, names, unknown)
    if unknown:
        ctx.note(f"not narrowed down, answered 429 or 5xx while halving: {', '.join(unknown)}")
    if not groups:
        return inconclusive("not_narrowed", f"refused with HTTP {result.status}, but the requests that would name the fields were answered 429 or 5xx")
    refused = [f for g in groups for f in g]
    message = error_message(result.json) or f"HTTP {result.status}"
    together = "".join(f"; {' + '.join(g)} refused only together" for g in groups if len(g) > 1)
    named = f"HTTP {result.status} for {', '.join(refused)} ({message}{together})"
    if any(f in CORE for f in refused):
        return failed("core_fields_refused", f"refused with {named}; clients send these")
    return warned("newer_fields_refused", f"refused with {named}: newer fields some clients send")

"""The four malformed requests both error checks judge, each malformed in one way only.

A lenient server may still answer them, so the ones that can carry a limit do (llama.cpp
answers a request without messages with a long reply)."""

from __future__ import annotations

from conformance.client import HTTPResult
from conformance.context import CheckContext, SharedRequest


async def not_json(ctx: CheckContext) -> HTTPResult:
    return await ctx.post_chat("malformed: body that is not JSON", raw='{"model": "' + ctx.chat_model + '", "messages": [')


async def missing_messages(ctx: CheckContext) -> HTTPResult:
    return await ctx.post_chat("malformed: missing messages", {"model": ctx.chat_model, "max_tokens": 8})


async def messages_as_string(ctx: CheckContext) -> HTTPResult:
    return await ctx.post_chat("malformed: messages as a string", {"model": ctx.chat_model, "messages": "hello", "max_tokens": 8})


async def temperature_as_string(ctx: CheckContext) -> HTTPResult:
    body = {"model": ctx.chat_model, "messages": [{"role": "user", "content": "Say OK."}], "temperature": "hot", "max_tokens": 8}
    return await ctx.post_chat("malformed: temperature as a string", body)


MALFORMED: dict[str, SharedRequest[HTTPResult]] = {
    "body that is not JSON": not_json,
    "missing `messages`": missing_messages,
    "`messages` as a string": messages_as_string,
    "`temperature` as a string": temperature_as_string,
}


async def send_malformed(ctx: CheckContext) -> dict[str, HTTPResult]:
    return {what: await ctx.shared(send) for what, send in MALFORMED.items()}

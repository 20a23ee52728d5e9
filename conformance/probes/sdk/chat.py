"""sdk.chat: `client.chat.completions.create` returns a typed completion with the reply."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.sdk import SDK_REASONS, field, judge_exception, not_installed, openai_client
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed


@check(
    "sdk.chat", "The official SDK's chat.completions.create returns a typed completion holding the reply",
    reasons=("pass/typed_reply", "fail/missing_fields", *SDK_REASONS),
)
async def sdk_chat(ctx: CheckContext) -> Outcome:
    if skip := await not_installed():
        return skip
    body = ctx.chat_body("Say hello in one short sentence.")
    try:
        async with openai_client(ctx, "SDK chat.completions.create") as client:
            completion = await client.chat.completions.create(**body)
    except Exception as exc:  # noqa: BLE001 - whatever the SDK raises is the finding
        return judge_exception(ctx, exc, "chat.completions.create")
    choices = field(completion, "choices")
    content = field(choices[0], "message", "content") if choices else None
    if not isinstance(content, str) or not content:
        return failed("missing_fields", f"the SDK returned a completion without choices[0].message.content ({excerpt(repr(completion), 120)})")
    return passed("typed_reply", f"a typed ChatCompletion: {excerpt(content, 60)!r}, usage {field(completion, 'usage', 'total_tokens')}")

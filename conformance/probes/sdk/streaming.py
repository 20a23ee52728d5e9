"""sdk.streaming: the SDK's stream helper assembles the final message, with include_usage."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.sdk import SDK_REASONS, field, final_completion, judge_exception, not_installed, openai_client
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed, warned


@check(
    "sdk.streaming", "The SDK's chat.completions.stream helper assembles the final message and usage (stream_options.include_usage)",
    reasons=("pass/assembled", "fail/missing_fields", "warn/no_usage", *SDK_REASONS),
)
async def sdk_streaming(ctx: CheckContext) -> Outcome:
    if skip := await not_installed():
        return skip
    body = ctx.chat_body("Count from 1 to 8, separated by spaces. Output only the numbers.", stream_options={"include_usage": True})
    events = 0
    try:
        async with openai_client(ctx, "SDK chat.completions.stream") as client, client.chat.completions.stream(**body) as stream:
            async for _ in stream:
                events += 1
            final = await final_completion(ctx, stream)
    except Exception as exc:  # noqa: BLE001 - whatever the SDK raises is the finding
        return judge_exception(ctx, exc, "chat.completions.stream")
    choices = field(final, "choices")
    content = field(choices[0], "message", "content") if choices else None
    if not isinstance(content, str) or not content:
        return failed("missing_fields", f"the stream helper's final completion has no message content after {events} events")
    if field(final, "usage") is None:
        return warned("no_usage", f"the SDK assembled {excerpt(content, 40)!r}, but no usage although include_usage was asked for")
    return passed("assembled", f"the SDK assembled {excerpt(content, 40)!r} from {events} events, usage {field(final, 'usage', 'total_tokens')}")

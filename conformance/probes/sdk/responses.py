"""sdk.responses: the SDK's responses.create and responses.stream give typed responses with output_text."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.sdk import SDK_REASONS, field, final_response, judge_exception, not_installed, openai_client
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed


@check(
    "sdk.responses", "The SDK's responses.create and responses.stream give typed responses with output_text",
    depends_on=("responses.basic",), reasons=("pass/typed_reply", "fail/missing_fields", *SDK_REASONS),
)
async def sdk_responses(ctx: CheckContext) -> Outcome:
    if skip := await not_installed():
        return skip
    body = ctx.responses_body("Say hello in one short sentence.")
    step = "responses.create"
    try:
        async with openai_client(ctx, "SDK responses") as client:
            response = await client.responses.create(**body)
            text = field(response, "output_text")
            step = "responses.stream"
            async with client.responses.stream(**body) as stream:
                events = [event async for event in stream]
                final = await final_response(ctx, stream, events)
    except Exception as exc:  # noqa: BLE001 - whatever the SDK raises is the finding
        return judge_exception(ctx, exc, step)
    streamed = field(final, "output_text")
    if not isinstance(text, str) or not text or not isinstance(streamed, str) or not streamed:
        return failed("missing_fields", f"output_text is {excerpt(repr(text), 60)} from create and {excerpt(repr(streamed), 60)} from the stream helper")
    return passed("typed_reply", f"responses.create gave {excerpt(text, 40)!r}; the stream helper's final response {excerpt(streamed, 40)!r}")

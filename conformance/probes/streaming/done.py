"""streaming.done: the stream ends with `data: [DONE]`."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import cut_by_timeout, require_stream
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed, warned

from ..shared import summarise_stream
from .streams import basic_stream


@check(
    "streaming.done", "The stream ends with `data: [DONE]`",
    reasons=("pass/done", "warn/events_after_done", "fail/left_open", "fail/broke_off", "fail/no_done"),
)
async def streaming_done(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(basic_stream)
    require_stream(ctx, result, "stream: true")
    if result.done and result.events_after_done:
        return warned(
            "events_after_done",
            f"data: [DONE] was sent, but {result.events_after_done} event(s) followed it (clients stop reading at [DONE])",
        )
    if result.done:
        return passed("done", f"the stream ends with data: [DONE] after {len(result.chunks)} chunks")
    # Still generating when our time ran out: whether [DONE] would have come is unknown.
    if summarise_stream(result).finish_reason is None and (cut := cut_by_timeout(ctx, result, "no data: [DONE] yet")):
        return cut
    if result.timed_out:
        return failed(
            "left_open",
            f"the stream stayed open without data: [DONE] after its finish_reason chunk, until timeout_s ({ctx.settings.timeout_s:g} s) ran out",
        )
    if result.error:
        return failed("broke_off", f"no data: [DONE] before the stream broke off: {result.error}")
    lines = result.exchange.response.sse_lines if result.exchange.response else None
    last = next((line for line in reversed(lines or []) if line.strip()), "")
    return failed("no_done", f"the stream ended without data: [DONE] (last line: {excerpt(last, 100)!r})")

"""streaming.sse: stream: true answers text/event-stream with well-framed SSE `data:` events that validate."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, require_stream
from conformance.registry import check
from conformance.verdict import Outcome, failed, inconclusive

from .streams import basic_stream, chunk_problem


@check(
    "streaming.sse", "stream: true answers text/event-stream with well-framed SSE `data:` events that validate",
    reasons=("pass/well_framed", "fail/content_type", "fail/framing", "fail/no_events", "fail/bad_chunk", "error/broke_off"),
)
async def streaming_sse(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(basic_stream)
    require_stream(ctx, result, "stream: true")
    if result.content_type != "text/event-stream":
        return failed("content_type", f"content-type is {result.content_type or 'missing'!r}, expected text/event-stream")
    if result.faults:
        fault = result.faults[0]
        return failed("framing", f"SSE framing fault at line {fault.line}: {fault.message}")
    if not result.chunks:
        return failed("no_events", f"no data events in the stream{': ' + result.error if result.error else ''}")
    if problem := chunk_problem(ctx, result, owner=True):
        return failed("bad_chunk", problem)
    if result.error:
        return inconclusive("broke_off", f"the stream broke off after {len(result.chunks)} chunks: {result.error}")
    return conformant(ctx, "well_framed", f"{len(result.chunks)} well-framed chunks, all schema-valid")

"""streaming.incremental (model): a reply that takes time arrives in pieces over that time, not in
one burst at the end (what a buffering proxy or a gateway faking the stream does)."""

from __future__ import annotations

from conformance.client import StreamChunk
from conformance.context import CheckContext
from conformance.judge import require_stream
from conformance.registry import check
from conformance.verdict import Measures, Outcome, inconclusive, passed, warned

PROMPT = "Count from 1 to 40, separated by spaces. Output only the numbers."
FAST_S = 0.5
"""A whole reply within this of the headers cannot have been held back long enough to matter, and
a busy machine can bunch a quick reply's chunks this much: below it, nothing can be told apart."""
BURST_SHARE = 0.1
"""The closing stretch of the time to the last content piece (this share of it) in which a burst lands."""
HELD_BACK = 0.8
"""This share of the content pieces arriving in that closing stretch was held back: a proxy that
lets a first piece through, then buffers, looks spread when only the first and last are timed."""


def content_chunks(chunks: list[StreamChunk]) -> list[StreamChunk]:
    def has_content(chunk: StreamChunk) -> bool:
        choices = chunk.json.get("choices") if isinstance(chunk.json, dict) else None
        return any(
            isinstance(c, dict) and isinstance(c.get("delta"), dict) and bool(c["delta"].get("content"))
            for c in (choices if isinstance(choices, list) else [])
        )
    return [c for c in chunks if has_content(c)]


@check(
    "streaming.incremental", "A reply that takes time arrives in pieces over that time, not in one burst at the end",
    measures=Measures.MODEL, reasons=("pass/incremental", "pass/too_fast_to_matter", "warn/one_burst", "warn/too_short", "error/broke_off"),
)
async def streaming_incremental(ctx: CheckContext) -> Outcome:
    result = await ctx.stream_chat("a long streamed reply, timed", ctx.chat_body(PROMPT))
    require_stream(ctx, result, "a long streamed reply")
    if result.error and not result.done:
        return inconclusive("broke_off", f"the stream broke off after {len(result.chunks)} chunks ({result.error}): its timing says nothing")
    pieces = content_chunks(result.chunks)
    if len(pieces) < 5:
        return warned("too_short", f"only {len(pieces)} chunk(s) carried content: too few to see how the reply arrived")
    # Timed from the response headers, not from sending: a loaded client or a slow prefill delays
    # both alike, while a buffering proxy answers the headers at once and holds the body back.
    opened = result.first_byte_s or 0.0
    first, last = pieces[0].at_s - opened, pieces[-1].at_s - opened
    timings = f"first content {first * 1000:.0f} ms after the headers, last {last * 1000:.0f} ms, {len(pieces)} content chunks"
    if last < FAST_S:
        return passed(
            "too_fast_to_matter", f"the whole reply arrived within {FAST_S * 1000:.0f} ms of the headers ({timings}): nothing was held back noticeably",
        )
    closing = last - BURST_SHARE * last
    late = sum(1 for p in pieces if p.at_s - opened >= closing)
    if late >= HELD_BACK * len(pieces):
        return warned(
            "one_burst", f"{late} of {len(pieces)} content chunks came in one burst at the end ({timings}): the stream showed the user "
            "nothing earlier (a buffering proxy, a faked stream, or a long queue before very fast generation)",
        )
    return passed("incremental", f"the content arrived over {(last - first) * 1000:.0f} ms ({timings})")

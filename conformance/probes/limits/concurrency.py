"""limits.concurrency: two streams at once each complete, with their own content, and side by side.

llama.cpp's server cuts a running stream off when another request arrives; a provider that
serves one request at a time makes concurrent clients wait. Both show only under concurrency."""

from __future__ import annotations

from itertools import pairwise

from conformance.client import StreamResult
from conformance.context import CheckContext
from conformance.judge import stream_refusal
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed, skipped, warned

from ..shared import numbers_in, summarise_stream

COUNTS = (24, 25)
"""Each stream counts to its own number: a stream that carries another's numbers was crossed. Two
show all three faults (a cut, a crossing, a wait); a third would only cost another request."""


def timeline(result: StreamResult) -> tuple[float, float, float]:
    """(sent, headers, last event) on the shared perf_counter clock."""
    last = max([c.at_s for c in result.chunks] or [result.ended_s or 0.0])
    return result.sent_at, result.sent_at + (result.first_byte_s or 0.0), result.sent_at + last


MEASURABLE_S = 0.1
"""A stream that lasts less than this cannot show whether another had to wait for it: a busy
machine or a busy event loop serves short requests one after another whatever the server can do."""


@check(
    "limits.concurrency", "Two streams at once each complete with [DONE] and their own content, served side by side",
    reasons=("pass/side_by_side", "pass/too_fast_to_tell", "fail/stream_cut", "fail/crossed", "warn/one_at_a_time", "skip/single_slot"),
)
async def limits_concurrency(ctx: CheckContext) -> Outcome:
    slots = min(len(COUNTS), ctx.settings.max_concurrency)
    if slots < 2:
        return skipped("single_slot", f"max_concurrency is {ctx.settings.max_concurrency} for this provider, so the suite never sends two requests at once")
    counts = COUNTS[:slots]
    bodies = [ctx.chat_body(f"Count from 1 to {n}, separated by spaces. Output only the numbers.") for n in counts]
    results = await ctx.stream_chat_together("concurrent stream", bodies)
    for n, result in zip(counts, results, strict=True):
        if refused := stream_refusal(ctx, result, f"stream {n} of {slots} at once"):
            return refused
        summary = summarise_stream(result)
        # A stream that ended with a finish_reason was not cut, [DONE] or not (that is streaming.done's finding).
        if result.error or (not result.done and summary.finish_reason is None):
            why = result.error or "it ended with neither a finish_reason nor data: [DONE]"
            return failed("stream_cut", f"with {slots} streams at once, the one counting to {n} broke off after {len(result.chunks)} chunks: {why}")
        said = numbers_in(summary.content)
        if said and max(said) > n:
            return failed("crossed", f"the stream asked to count to {n} carries {excerpt(' '.join(map(str, said)), 80)!r}: another request's content")
    # In the order they were answered: over parallel connections a server that serves one at a
    # time may take the last one sent first, and it still made the others wait.
    lines = sorted((timeline(r) for r in results), key=lambda line: line[1])
    start = min(sent for sent, _, _ in lines)
    timings = "; ".join(f"sent {(sent - start) * 1000:.0f} ms, headers {(head - start) * 1000:.0f} ms, done {(end - start) * 1000:.0f} ms"
                        for sent, head, end in lines)
    # Only a request sent while another was still streaming for a while says anything about being
    # served side by side: a stream over within milliseconds leaves nothing to wait for.
    concurrent = [(a, b) for a, b in pairwise(lines) if b[0] < a[2] and a[2] - a[1] >= MEASURABLE_S]
    if not concurrent:
        return passed("too_fast_to_tell", f"{slots} streams sent at once all completed, too quickly to tell side by side from one by one ({timings})")
    if all(b[1] >= a[2] for a, b in concurrent):
        return warned("one_at_a_time", f"{slots} streams at once all completed, but each waited for the one before to end ({timings}): concurrent clients wait")
    return passed("side_by_side", f"{slots} streams at once all completed, served side by side ({timings})")

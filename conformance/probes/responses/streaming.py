"""responses.streaming: `stream: true` gives typed SSE events, in the documented order, that the
official SDK can assemble: named events, increasing sequence numbers, deltas that join into the
final text, and the end right after response.completed."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from conformance.client import StreamResult
from conformance.context import CheckContext
from conformance.judge import conformant, require_stream
from conformance.registry import check
from conformance.text import excerpt
from conformance.validate import COMPAT
from conformance.verdict import Outcome, failed, warned

from .reading import output_text, stopped_at_cap

PROMPT = "Count from 1 to 8, separated by spaces. Output only the numbers."
TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def events_of(result: StreamResult) -> list[tuple[int, str | None, dict[str, Any]]]:
    return [(c.number, c.event, c.json) for c in result.chunks if isinstance(c.json, dict)]


def order_problem(events: list[tuple[int, str | None, dict[str, Any]]]) -> str | None:
    """Where the events break the order the official SDK's accumulator relies on; None if nowhere."""
    if not events or events[0][2].get("type") != "response.created":
        first = events[0][2].get("type") if events else None
        return f"the first event is {first!r}, not 'response.created' (the SDK's stream helper raises on this)"
    items: set[Any] = set()
    parts: set[tuple[Any, Any]] = set()
    for number, _, data in events:
        kind = data.get("type")
        if kind == "response.output_item.added":
            items.add(data.get("output_index"))
        elif kind == "response.content_part.added":
            parts.add((data.get("output_index"), data.get("content_index")))
        elif kind == "response.output_text.delta" and (
            data.get("output_index") not in items or (data.get("output_index"), data.get("content_index")) not in parts
        ):
            return f"event {number}: a text delta for output {data.get('output_index')} before its output_item.added and content_part.added"
    return None


@check(
    "responses.streaming", "stream: true gives named, ordered, numbered events whose deltas join into the text, ending at response.completed",
    depends_on=("responses.basic",),
    reasons=(
        "pass/ordered", "fail/bad_event", "fail/error_event", "fail/wrong_order", "fail/sequence_not_increasing", "fail/no_completed",
        "fail/events_after_completed", "fail/deltas_mismatch", "warn/no_event_lines", "warn/event_name_mismatch", "warn/done_sentinel",
    ),
)
async def responses_streaming(ctx: CheckContext) -> Outcome:
    result = await ctx.stream_responses("streamed response", ctx.responses_body(PROMPT))
    require_stream(ctx, result, "a streamed response")
    broken = next((c for c in result.chunks if c.error or not isinstance(c.json, dict)), None)
    if broken:
        return failed("bad_event", f"event {broken.number} is not a JSON object: {broken.error or excerpt(broken.raw, 100)}")
    events = events_of(result)
    for number, _, data in events:
        if data.get("type") == "error":
            return failed("error_event", f"event {number} is an error: {excerpt(str(data.get('message')), 160)}")
        compat = [i for i in ctx.validate("response_stream_event", data, where=f"event {number}") if i.level == COMPAT]
        if compat:
            return failed("bad_event", f"event {number} ({data.get('type')}) does not match the event schema: {compat[0].path}: {compat[0].message}")
    if problem := order_problem(events):
        return failed("wrong_order", problem)
    numbers = [d.get("sequence_number") for _, _, d in events]
    ints = [n for n in numbers if isinstance(n, int) and not isinstance(n, bool)]
    if len(ints) == len(numbers) and any(b <= a for a, b in pairwise(ints)):
        return failed("sequence_not_increasing", f"sequence_number does not increase: {excerpt(str(numbers), 120)}")
    ends = [i for i, (_, _, d) in enumerate(events) if d.get("type") in TERMINAL]
    end = events[ends[0]][2] if ends else None
    # A reply the request's own max_output_tokens cut ends in response.incomplete, as on OpenAI.
    at_cap = end is not None and end.get("type") == "response.incomplete" and stopped_at_cap(end.get("response"))
    if end is None or (end.get("type") != "response.completed" and not at_cap):
        last = events[-1][2].get("type")
        return failed("no_completed", f"the stream has no response.completed event (last event: {last!r}): the SDK's final response is missing")
    if ends[0] != len(events) - 1:
        return failed("events_after_completed", f"{len(events) - 1 - ends[0]} event(s) follow {end.get('type')}")
    joined = "".join(str(d.get("delta", "")) for _, _, d in events if d.get("type") == "response.output_text.delta")
    final = output_text(events[ends[0]][2].get("response"))
    if joined != final:
        return failed("deltas_mismatch", f"the text deltas join into {excerpt(joined, 60)!r}, but the completed response says {excerpt(final, 60)!r}")
    unnamed = [n for n, name, _ in events if name is None]
    if unnamed:
        return warned(
            "no_event_lines", f"{len(unnamed)} of {len(events)} events have no `event:` line (the SDK reads `type`; EventSource listeners get nothing)",
        )
    mismatched = next(((n, name, d.get("type")) for n, name, d in events if name != d.get("type")), None)
    if mismatched:
        return warned("event_name_mismatch", f"event {mismatched[0]} is named {mismatched[1]!r} but its type is {mismatched[2]!r}")
    if result.done:
        return warned("done_sentinel", "a `data: [DONE]` line follows response.completed: the Responses API has none, and clients that parse every line break")
    ending = " (ending at response.incomplete: the reply reached the request's max_output_tokens)" if at_cap else ""
    return conformant(ctx, "ordered", f"{len(events)} named, numbered events in order{ending}; the deltas join into {excerpt(final, 40)!r}")

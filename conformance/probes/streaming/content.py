"""streaming.content: delta.content pieces join into the answer and the last choice chunk has a finish_reason."""

from __future__ import annotations

from conformance.client import StreamResult
from conformance.context import CheckContext
from conformance.judge import conformant, cut_by_timeout, require_stream, strict_note
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, warned

from ..shared import StreamSummary, spent_on_reasoning, summarise_stream
from .streams import basic_stream, chunk_problem


@check(
    "streaming.content", "delta.content pieces join into the answer and the last choice chunk has a finish_reason",
    reasons=(
        "pass/joined", "fail/bad_chunk", "fail/no_content", "warn/reasoning_spent_limit", "fail/no_finish_reason",
        "fail/content_after_finish",
    ),
)
async def streaming_content(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(basic_stream)
    require_stream(ctx, result, "stream: true")
    if problem := chunk_problem(ctx, result):
        return failed("bad_chunk", problem)
    summary = summarise_stream(result)
    if summary.finish_reason is None and (cut := cut_by_timeout(ctx, result, "no finish_reason yet")):
        return cut
    if not summary.content:
        # Reasoning models count their thinking against the limit: a short limit can leave no answer.
        if summary.finish_reason == "length" and summary.reasoning.strip():
            evidence = f"{len(summary.reasoning)} characters of streamed reasoning"
            return warned("reasoning_spent_limit", spent_on_reasoning(ctx, evidence) + strict_note(ctx))
        return failed("no_content", "no delta.content in the stream")
    if summary.finish_reason is None:
        return failed("no_finish_reason", f"no chunk carries a finish_reason (joined content {excerpt(summary.content, 60)!r})")
    late = content_after_finish(result, summary)
    if late:
        return failed("content_after_finish", f"chunk {late} carries content after the finish_reason chunk {summary.finish_chunk}")
    return conformant(ctx, "joined", f"{excerpt(summary.content, 60)!r} joined from deltas; finish_reason {summary.finish_reason!r}")


def content_after_finish(result: StreamResult, summary: StreamSummary) -> int | None:
    for chunk in result.chunks:
        if summary.finish_chunk is None or chunk.number <= summary.finish_chunk or not isinstance(chunk.json, dict):
            continue
        for choice in chunk.json.get("choices") or []:
            # finish_chunk is choice 0's: other choices (n > 1) may well stream on after it.
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            if isinstance(delta, dict) and delta.get("content"):
                return chunk.number
    return None

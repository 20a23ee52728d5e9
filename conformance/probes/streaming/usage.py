"""streaming.usage: stream_options.include_usage yields a final usage chunk with `choices: []`."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, cut_by_timeout, require_stream
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, warned

from .streams import chunk_problem, usage_stream


@check(
    "streaming.usage", "stream_options.include_usage yields a final usage chunk with `choices: []`",
    reasons=(
        "pass/final_usage_chunk", "fail/bad_chunk", "fail/ignored", "fail/bad_counts", "fail/wrong_total", "fail/not_last",
        "warn/choices_not_empty", "warn/repeated", "warn/no_done",
    ),
)
async def streaming_usage(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(usage_stream)
    require_stream(ctx, result, "stream_options.include_usage")
    if problem := chunk_problem(ctx, result):
        return failed("bad_chunk", problem)
    usage_chunks = [c for c in result.chunks if isinstance(c.json, dict) and c.json.get("usage") is not None]
    if not usage_chunks and (cut := cut_by_timeout(ctx, result, "no usage chunk yet")):
        # The usage chunk comes last: a stream cut by our timeout never got there.
        return cut
    if not usage_chunks:
        return failed("ignored", f"include_usage was ignored: none of the {len(result.chunks)} chunks carries usage")
    final = usage_chunks[-1]
    usage = final.json["usage"]
    raw = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")] if isinstance(usage, dict) else []
    counts = [c for c in raw if isinstance(c, int) and not isinstance(c, bool)]
    if len(counts) != 3:
        return failed("bad_counts", f"chunk {final.number}: usage lacks integer token counts: {excerpt(str(usage), 120)}")
    if counts[2] != counts[0] + counts[1]:
        return failed("wrong_total", f"chunk {final.number}: usage.total_tokens {counts[2]} != {counts[0]} + {counts[1]}")
    if final.number != len(result.chunks):
        return failed("not_last", f"the usage chunk is chunk {final.number}, not the last of {len(result.chunks)}")
    if final.json.get("choices"):
        return warned("choices_not_empty", f"usage arrives in the last chunk, but its choices is not [] ({excerpt(str(final.json.get('choices')), 80)})")
    if len(usage_chunks) > 1:
        return warned("repeated", f"usage is sent in {len(usage_chunks)} chunks; the spec sends it only in the last")
    if not result.done:
        return warned("no_done", "usage chunk received, but the stream has no data: [DONE] after it")
    return conformant(ctx, "final_usage_chunk", f"final chunk {final.number} has choices [] and usage {counts[0]} + {counts[1]} = {counts[2]}")

"""Streaming: SSE framing, valid chunks, content deltas, the `[DONE]` terminator and the
include_usage chunk. One stream proves the first three; include_usage gets its own request
so a provider refusing `stream_options` does not drag the others down."""

from __future__ import annotations

from conformance.checks import check
from conformance.client import StreamResult
from conformance.probe import Probe, excerpt, failed, inconclusive, passed, warned
from conformance.validate import COMPAT

from .common import StreamSummary, spent_on_reasoning, summarise_stream

STREAM_PROMPT = "Count from 1 to 8, separated by spaces. Output only the numbers."


async def basic_stream(p: Probe) -> StreamResult:
    return await p.stream_chat("streamed chat completion", p.chat_body(STREAM_PROMPT))


async def usage_stream(p: Probe) -> StreamResult:
    body = p.chat_body(STREAM_PROMPT, stream_options={"include_usage": True})
    return await p.stream_chat("stream with stream_options.include_usage", body)


MAX_VALIDATED_CHUNKS = 300
"""Schema validation costs ~0.5 ms a chunk and blocks the event loop (every provider's requests):
a stream far longer than any bounded reply is judged on its first chunks and its last."""


def chunk_problem(p: Probe, result: StreamResult) -> str | None:
    """First chunk that is not JSON or breaks the compat chunk schema (strict issues are kept as evidence)."""
    chunks = result.chunks
    if len(chunks) > MAX_VALIDATED_CHUNKS:
        chunks = chunks[: MAX_VALIDATED_CHUNKS - 1] + chunks[-1:]
        note = f"schema-validated {len(chunks)} of {len(result.chunks)} chunks (the first {len(chunks) - 1} and the last)"
        if note not in p.notes:
            p.note(note)
    for chunk in chunks:
        if chunk.error:
            return f"chunk {chunk.number}: {chunk.error}: {excerpt(chunk.raw, 120)}"
        compat = [i for i in p.validate("chat_completion_chunk", chunk.json, where=f"chunk {chunk.number}") if i.level == COMPAT]
        if compat:
            return f"chunk {chunk.number} does not match the chunk schema: {compat[0].path}: {compat[0].message}"
    return None


@check("streaming.sse", "stream: true answers text/event-stream with well-framed SSE `data:` events that validate")
async def streaming_sse(p: Probe):
    result = await p.shared("stream.basic", basic_stream)
    if refused := p.stream_refusal(result, "stream: true"):
        return refused
    if result.content_type != "text/event-stream":
        return failed(f"content-type is {result.content_type or 'missing'!r}, expected text/event-stream")
    if result.faults:
        fault = result.faults[0]
        return failed(f"SSE framing fault at line {fault.line}: {fault.message}")
    if not result.chunks:
        return failed(f"no data events in the stream{': ' + result.error if result.error else ''}")
    if problem := chunk_problem(p, result):
        return failed(problem)
    if result.error:
        return inconclusive(f"the stream broke off after {len(result.chunks)} chunks: {result.error}")
    return p.conformant(f"{len(result.chunks)} well-framed chunks, all schema-valid")


@check("streaming.done", "The stream ends with `data: [DONE]`")
async def streaming_done(p: Probe):
    result = await p.shared("stream.basic", basic_stream)
    if refused := p.stream_refusal(result, "stream: true"):
        return refused
    if result.done and result.events_after_done:
        return warned(f"data: [DONE] was sent, but {result.events_after_done} event(s) followed it (clients stop reading at [DONE])")
    if result.done:
        return passed(f"the stream ends with data: [DONE] after {len(result.chunks)} chunks")
    if result.timed_out and summarise_stream(result).finish_reason is None:
        # Still generating when our time ran out: whether [DONE] would have come is unknown.
        return p.cut_by_timeout(result, "no data: [DONE] yet")
    if result.timed_out:
        return failed(f"the stream stayed open without data: [DONE] after its finish_reason chunk, until timeout_s ({p.settings.timeout_s:g} s) ran out")
    if result.error:
        return failed(f"no data: [DONE] before the stream broke off: {result.error}")
    last = next((line for line in reversed(result.exchange.response.sse_lines or []) if line.strip()), "") if result.exchange.response else ""
    return failed(f"the stream ended without data: [DONE] (last line: {excerpt(last, 100)!r})")


@check("streaming.content", "delta.content pieces join into the answer and the last choice chunk has a finish_reason")
async def streaming_content(p: Probe):
    result = await p.shared("stream.basic", basic_stream)
    if refused := p.stream_refusal(result, "stream: true"):
        return refused
    if problem := chunk_problem(p, result):
        return failed(problem)
    summary = summarise_stream(result)
    if summary.finish_reason is None and (cut := p.cut_by_timeout(result, "no finish_reason yet")):
        return cut
    if not summary.content:
        # Reasoning models count their thinking against the limit: a short limit can leave no answer.
        if summary.finish_reason == "length" and summary.reasoning.strip():
            return warned(spent_on_reasoning(p, f"{len(summary.reasoning)} characters of streamed reasoning") + p.strict_note())
        return failed("no delta.content in the stream")
    if summary.finish_reason is None:
        return failed(f"no chunk carries a finish_reason (joined content {excerpt(summary.content, 60)!r})")
    late = _content_after_finish(result, summary)
    if late:
        return failed(f"chunk {late} carries content after the finish_reason chunk {summary.finish_chunk}")
    return p.conformant(f"{excerpt(summary.content, 60)!r} joined from deltas; finish_reason {summary.finish_reason!r}")


def _content_after_finish(result: StreamResult, summary: StreamSummary) -> int | None:
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


@check("streaming.usage", "stream_options.include_usage yields a final usage chunk with `choices: []`")
async def streaming_usage(p: Probe):
    result = await p.shared("stream.usage", usage_stream)
    if refused := p.stream_refusal(result, "stream_options.include_usage"):
        return refused
    if problem := chunk_problem(p, result):
        return failed(problem)
    usage_chunks = [c for c in result.chunks if isinstance(c.json, dict) and c.json.get("usage") is not None]
    if not usage_chunks and (cut := p.cut_by_timeout(result, "no usage chunk yet")):
        # The usage chunk comes last: a stream cut by our timeout never got there.
        return cut
    if not usage_chunks:
        return failed(f"include_usage was ignored: none of the {len(result.chunks)} chunks carries usage")
    final = usage_chunks[-1]
    usage = final.json["usage"]
    counts = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")] if isinstance(usage, dict) else []
    if len(counts) != 3 or not all(isinstance(c, int) for c in counts):
        return failed(f"chunk {final.number}: usage lacks integer token counts: {excerpt(str(usage), 120)}")
    if counts[2] != counts[0] + counts[1]:
        return failed(f"chunk {final.number}: usage.total_tokens {counts[2]} != {counts[0]} + {counts[1]}")
    if final.number != len(result.chunks):
        return failed(f"the usage chunk is chunk {final.number}, not the last of {len(result.chunks)}")
    if final.json.get("choices"):
        return warned(f"usage arrives in the last chunk, but its choices is not [] ({excerpt(str(final.json.get('choices')), 80)})")
    if len(usage_chunks) > 1:
        return warned(f"usage is sent in {len(usage_chunks)} chunks; the spec sends it only in the last")
    if not result.done:
        return warned("usage chunk received, but the stream has no data: [DONE] after it")
    return p.conformant(f"final chunk {final.number} has choices [] and usage {counts[0]} + {counts[1]} = {counts[2]}")

"""The streams the streaming checks share, and how their chunks are validated."""

from __future__ import annotations

from conformance.client import StreamResult
from conformance.context import CheckContext
from conformance.judge import missing_field, tolerated_absence
from conformance.text import excerpt
from conformance.validate import COMPAT

STREAM_PROMPT = "Count from 1 to 8, separated by spaces. Output only the numbers."
MAX_VALIDATED_CHUNKS = 300
"""Schema validation costs ~0.5 ms a chunk and blocks the event loop (every provider's requests):
a stream far longer than any bounded reply is judged on its first chunks and its last."""


async def basic_stream(ctx: CheckContext) -> StreamResult:
    """Shared: streaming.sse, .done and .content judge this one stream."""
    return await ctx.stream_chat("streamed chat completion", ctx.chat_body(STREAM_PROMPT))


async def usage_stream(ctx: CheckContext) -> StreamResult:
    body = ctx.chat_body(STREAM_PROMPT, stream_options={"include_usage": True})
    return await ctx.stream_chat("stream with stream_options.include_usage", body)


def chunk_problem(ctx: CheckContext, result: StreamResult, *, owner: bool = False) -> str | None:
    """First chunk that is not JSON or breaks the compat chunk schema (strict issues are kept as evidence).
    Only the check that owns the chunk schema (``owner``: streaming.sse) also fails a field clients
    can do without, and judges implausible values (see ``judge.completion_problem``)."""
    chunks = result.chunks
    if len(chunks) > MAX_VALIDATED_CHUNKS:
        chunks = chunks[: MAX_VALIDATED_CHUNKS - 1] + chunks[-1:]
        note = f"schema-validated {len(chunks)} of {len(result.chunks)} chunks (the first {len(chunks) - 1} and the last)"
        if note not in ctx.notes:
            ctx.note(note)
    absent: set[str] = set()
    for chunk in chunks:
        if chunk.error:
            return f"chunk {chunk.number}: {chunk.error}: {excerpt(chunk.raw, 120)}"
        issues = ctx.validate("chat_completion_chunk", chunk.json, where=f"chunk {chunk.number}", plausible=owner)
        compat = [i for i in issues if i.level == COMPAT and (owner or not tolerated_absence(i))]
        if compat:
            return f"chunk {chunk.number} does not match the chunk schema: {compat[0].path}: {compat[0].message}"
        absent.update(missing_field(i) for i in issues if i.level == COMPAT)
    if absent and not owner:
        ctx.note(f"chunks lack {', '.join(sorted(absent))}: clients tolerate it, and streaming.sse judges it")
    return None

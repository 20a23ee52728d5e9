"""streaming.errors: a request refused with `stream: true` gets a 4xx JSON error before any stream,
not a 200 stream that carries the error (which SSE clients read as an empty or broken reply)."""

from __future__ import annotations

import secrets

from conformance.context import CheckContext
from conformance.judge import envelope_problem, no_answer, stream_error
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed, warned


@check(
    "streaming.errors", "A streamed request for an unknown model is refused with a 4xx JSON error before any stream starts",
    depends_on=("models.unknown_rejected",),
    reasons=("pass/refused_before_stream", "warn/no_envelope", "fail/server_error", "fail/error_in_stream", "fail/empty_stream",
             "fail/served"),
)
async def streaming_errors(ctx: CheckContext) -> Outcome:
    unknown = f"conformance-no-such-model-{secrets.token_hex(4)}"
    result = await ctx.stream_chat("streamed request for an unknown model", ctx.chat_body("Say OK.", model=unknown))
    refused = result.error_body
    if refused is not None:
        if refused.error:
            return no_answer(refused, "streamed request for an unknown model")
        assert refused.status is not None
        if refused.status >= 500:
            return failed("server_error", f"refused with a server error HTTP {refused.status}: {excerpt(refused.text)}")
        if problem := envelope_problem(ctx, refused):
            return warned("no_envelope", f"refused with HTTP {refused.status} before any stream, but {problem}")
        return passed("refused_before_stream", f"refused with HTTP {refused.status} and an error envelope before any stream started")
    if result.error and not result.chunks:
        return no_answer(result, "streamed request for an unknown model")
    if error := stream_error(result):
        return failed("error_in_stream", f"HTTP {result.status} opened a stream whose event is an error ({error}): clients see a broken reply, not an error")
    if not result.chunks:
        return failed("empty_stream", f"HTTP {result.status} and an empty stream for an unknown model: clients see an empty reply, not an error")
    return failed("served", f"the unknown model {unknown!r} was served as a stream of {len(result.chunks)} chunks")

"""How a token-limit field is judged: accepted AND enforced.

The reply is streamed and the read stops as soon as it clearly exceeds the limit, so an
ignored limit is found in seconds rather than after a model fills its context."""

from __future__ import annotations

from conformance.client import StreamResult
from conformance.context import CheckContext
from conformance.judge import cut_by_timeout, require_completion, require_stream
from conformance.verdict import Outcome, failed, passed, warned

from ..shared import COUNTING_PROMPT, summarise_stream, word_count

LIMIT_REASONS = (
    "pass/enforced", "fail/ignored", "fail/not_enforced", "warn/stopped_by_itself", "fail/bad_chunk", "fail/bad_delta",
    "fail/broke_off",
)


async def judge_limit(ctx: CheckContext, field: str) -> Outcome:
    limit = ctx.settings.token_limit
    # Every whitespace-separated word costs at least one token, so words > limit proves the limit was exceeded.
    clearly_over = 4 * limit + 8

    counter = WordCounter()

    def exceeded(result: StreamResult) -> bool:
        # Asked after every network read: counting only the new chunks keeps a long stream linear.
        return counter.take(result) > clearly_over

    body = ctx.chat_body(COUNTING_PROMPT, **{field: limit})
    result = await ctx.stream_chat(f"{field}={limit} (streamed)", body, stop_when=exceeded)
    if result.error_body is not None or (not result.chunks and not result.error):
        # Streaming itself may be what is refused or broken (not SSE): ask once more without
        # streaming, so the verdict is about the limit field.
        plain = await ctx.post_chat(f"{field}={limit} (not streamed)", body)
        completion = require_completion(ctx, plain, field)
        choice = completion["choices"][0]
        usage = completion.get("usage") or {}
        content = choice.get("message", {}).get("content") or ""
        return verdict(field, limit, word_count(content), choice.get("finish_reason"), usage.get("completion_tokens"), stopped=False)
    require_stream(ctx, result, field)
    if broken := next((c for c in result.chunks if c.error), None):
        return failed("bad_chunk", f"{field}={limit}: chunk {broken.number} is unusable: {broken.error}")
    summary = summarise_stream(result)
    if summary.problems:
        return failed("bad_delta", f"{field}={limit}: {summary.problems[0]}")
    usage = summary.usage if isinstance(summary.usage, dict) else {}
    if summary.finish_reason is None and not result.stopped_early and (cut := cut_by_timeout(ctx, result, f"{field}={limit}")):
        return cut
    if result.error and not result.stopped_early and summary.finish_reason is None:
        return failed("broke_off", f"{field}={limit}: the stream broke off before a finish_reason: {result.error}")
    return verdict(field, limit, word_count(summary.content), summary.finish_reason, usage.get("completion_tokens"), stopped=result.stopped_early)


class WordCounter:
    """Whitespace-separated words in choice 0's streamed content, counted incrementally."""

    def __init__(self) -> None:
        self.words = 0
        self.seen_chunks = 0
        self.in_word = False

    def take(self, result: StreamResult) -> int:
        new = result.chunks[self.seen_chunks :]
        self.seen_chunks = len(result.chunks)
        for chunk in new:
            choices = chunk.json.get("choices") if isinstance(chunk.json, dict) else None
            # Anything but an array (a number, true) is judged by summarise_stream, not counted here.
            for choice in choices if isinstance(choices, list) else []:
                delta = choice.get("delta") if isinstance(choice, dict) and choice.get("index", 0) == 0 else None
                content = delta.get("content") if isinstance(delta, dict) else None
                if isinstance(content, str) and content:
                    self._count(content)
        return self.words

    def _count(self, text: str) -> None:
        pieces = text.split()
        if not pieces:
            self.in_word = False
            return
        # A word split across two deltas ("tw" + "o") is one word.
        self.words += len(pieces) - (1 if self.in_word and not text[0].isspace() else 0)
        self.in_word = not text[-1].isspace()


def verdict(field: str, limit: int, words: int, finish: object, completion_tokens: object, *, stopped: bool) -> Outcome:
    if stopped:
        return failed("ignored", f"{field}={limit} is ignored: received > {4 * limit + 8} words before the client stopped reading")
    if words > limit:
        return failed(
            "ignored", f"{field}={limit} is ignored: the reply has {words} words (each at least one token), finish_reason {finish!r}",
        )
    if isinstance(completion_tokens, int) and completion_tokens > limit:
        return failed("not_enforced", f"{field}={limit} is not enforced: usage.completion_tokens is {completion_tokens}")
    if finish != "length":
        return warned(
            "stopped_by_itself",
            f"{field}={limit}: the reply stopped by itself ({words} words, finish_reason {finish!r}), so enforcement is not shown",
        )
    return passed("enforced", f"{field}={limit} is enforced: {words} words, finish_reason 'length'")

"""Replies sampled from one prompt: the requests params.n, params.seed and params.temperature share.

Several replies at one temperature come from a single request with ``n`` when the provider
honours it, and from one request each when it ignores or refuses ``n`` (params.n judges that)."""

from __future__ import annotations

from typing import Any

from conformance.client import HTTPResult
from conformance.context import CheckContext
from conformance.judge import content_of, require_completion

RANDOM_PROMPT = "Name one animal at random. Reply with one word."
REPLY_TOKENS = 8


def sampling_body(ctx: CheckContext, temperature: float, **fields: Any) -> dict[str, Any]:
    return ctx.chat_body(RANDOM_PROMPT, reply_tokens=REPLY_TOKENS, temperature=temperature, **fields)


async def two_at_zero(ctx: CheckContext) -> HTTPResult:
    """Shared: params.n judges its two choices, params.temperature that they are one reply twice."""
    return await ctx.post_chat("n=2 at temperature 0", sampling_body(ctx, 0, n=2))


def choice_texts(document: Any) -> list[str]:
    """Each choice's content, in index order (a choice without text content is an empty reply)."""
    choices = document.get("choices") if isinstance(document, dict) else None
    listed = [c for c in choices if isinstance(c, dict)] if isinstance(choices, list) else []
    listed.sort(key=lambda c: c["index"] if isinstance(c.get("index"), int) else 0)
    return [content_of({"choices": [c]}).strip() for c in listed]


async def replies(ctx: CheckContext, temperature: float, count: int, asked: HTTPResult | None = None) -> list[str]:
    """``count`` replies at ``temperature``: the choices of one request with ``n=count`` (``asked``,
    when it was sent already), then one request each for the replies it did not give."""
    what = f"temperature {temperature:g}"
    if asked is None:
        asked = await ctx.post_chat(f"n={count} at {what}", sampling_body(ctx, temperature, n=count))
    # Refused with n is not refused: the single requests below decide whether the temperature is.
    out = choice_texts(require_completion(ctx, asked, what))[:count] if asked.ok else []
    for number in range(len(out) + 1, count + 1):
        result = await ctx.post_chat(f"{what} ({number} of {count}, one at a time)", sampling_body(ctx, temperature))
        out.append(content_of(require_completion(ctx, result, what)).strip())
    return out

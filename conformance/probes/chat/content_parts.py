"""chat.content_parts: user content as an array of text parts is read whole, not only its first part."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import content_of, require_completion
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed, warned

from ..shared import canary, prompt_tokens

FIRST = "Reply with the code word given in the next part, and nothing else."


@check(
    "chat.content_parts", "User content as two text parts is read whole: the canary in the second part is answered",
    reasons=("pass/read_whole", "fail/second_part_dropped", "fail/parts_dropped", "warn/not_followed"),
)
async def chat_content_parts(ctx: CheckContext) -> Outcome:
    word = canary()
    parts = [{"type": "text", "text": FIRST}, {"type": "text", "text": f"The code word is {word}."}]
    result = await ctx.post_chat("content as two text parts", ctx.chat_body([{"role": "user", "content": parts}]))
    completion = require_completion(ctx, result, "content as an array of text parts")
    reply = content_of(completion)
    if word in reply:
        return passed("read_whole", f"the reply has the second part's canary {word}")
    first_only = await ctx.post_chat("the first part alone", ctx.chat_body(FIRST))
    both, one = prompt_tokens(completion), prompt_tokens(first_only.json) if first_only.ok else None
    missed = f"the model did not repeat the second part's canary {word} ({excerpt(reply, 80)!r})"
    if both is None or one is None:
        return warned("not_followed", f"{missed}; prompt_tokens cannot tell whether the second part reached it (not reported)")
    if both < one:
        # Fewer tokens than the first part alone as a string: the array itself was dropped, not one part of it.
        return failed(
            "parts_dropped", f"the text parts do not reach the model: prompt_tokens {both} for both parts, {one} for the first part alone as a string",
        )
    if both == one:
        return failed("second_part_dropped", f"only the first text part reaches the model: prompt_tokens {both} for both parts, {one} for the first alone")
    return warned("not_followed", f"{missed}; both parts did reach it (prompt_tokens {both} for both, {one} for the first alone)")

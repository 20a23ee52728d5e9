"""system.role: an instruction in the system message is followed (canary word)."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import content_of, require_completion
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Measures, Outcome, failed, passed, warned

from ..shared import canary, prompt_tokens

USER_PROMPT = "Say hello."


@check(
    "system.role", "An instruction in the system message is followed (canary word)", measures=Measures.MODEL,
    reasons=("pass/followed", "fail/dropped", "warn/not_followed"),
)
async def system_role(ctx: CheckContext) -> Outcome:
    word = canary()
    messages = [
        {"role": "system", "content": f"You must begin every reply with the code word {word}."},
        {"role": "user", "content": USER_PROMPT},
    ]
    result = await ctx.post_chat("system instruction with a canary", ctx.chat_body(messages))
    completion = require_completion(ctx, result, "a system message")
    reply = content_of(completion)
    if word in reply:
        return passed("followed", f"the reply contains the system prompt's canary {word}")
    # Protocol evidence beats model behaviour: a system message that reaches the model costs prompt tokens.
    without = await ctx.post_chat("same request without the system message", ctx.chat_body(USER_PROMPT))
    with_tokens, without_tokens = prompt_tokens(completion), prompt_tokens(without.json) if without.ok else None
    if with_tokens is not None and without_tokens is not None and with_tokens <= without_tokens:
        return failed(
            "dropped",
            f"the system message appears dropped: prompt_tokens {with_tokens} with it, {without_tokens} without it; canary {word} absent",
        )
    return warned(
        "not_followed",
        f"the model did not follow the system prompt (canary {word} absent from {excerpt(reply, 80)!r}); the message did reach the model",
    )

"""How an instruction message (system, or its newer name developer) is judged: the canary it
asks for is in the reply; if not, prompt tokens tell a dropped message from an unwilling model."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import content_of, require_completion
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed, warned

from ..shared import canary, prompt_tokens

USER_PROMPT = "Say hello."
INSTRUCTION_REASONS = ("pass/followed", "fail/dropped", "warn/not_followed")


async def judge_instruction(ctx: CheckContext, role: str) -> Outcome:
    word = canary()
    messages = [
        {"role": role, "content": f"You must begin every reply with the code word {word}."},
        {"role": "user", "content": USER_PROMPT},
    ]
    result = await ctx.post_chat(f"{role} instruction with a canary", ctx.chat_body(messages))
    completion = require_completion(ctx, result, f"a {role} message")
    reply = content_of(completion)
    if word in reply:
        return passed("followed", f"the reply contains the {role} prompt's canary {word}")
    # Protocol evidence beats model behaviour: a message that reaches the model costs prompt tokens.
    without = await ctx.post_chat(f"same request without the {role} message", ctx.chat_body(USER_PROMPT))
    with_tokens, without_tokens = prompt_tokens(completion), prompt_tokens(without.json) if without.ok else None
    if with_tokens is not None and without_tokens is not None and with_tokens <= without_tokens:
        return failed(
            "dropped",
            f"the {role} message appears dropped: prompt_tokens {with_tokens} with it, {without_tokens} without it; canary {word} absent",
        )
    return warned(
        "not_followed",
        f"the model did not follow the {role} prompt (canary {word} absent from {excerpt(reply, 80)!r}); the message did reach the model",
    )

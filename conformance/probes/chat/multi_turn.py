"""chat.multi_turn: a system/user/assistant/user history is accepted and answered."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of, require_completion
from conformance.registry import check
from conformance.verdict import Outcome

HISTORY = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "My name is Ada."},
    {"role": "assistant", "content": "Nice to meet you, Ada."},
    {"role": "user", "content": "What is my name? Reply with the name only."},
]


@check(
    "chat.multi_turn", "A system/user/assistant/user history is accepted and answered",
    reasons=("pass/answered",),
)
async def chat_multi_turn(ctx: CheckContext) -> Outcome:
    result = await ctx.post_chat("multi-turn history", ctx.chat_body(HISTORY))
    completion = require_completion(ctx, result, "a system/user/assistant/user history")
    if "ada" not in content_of(completion).lower():
        ctx.note("the reply does not mention the name from the earlier turn (model behaviour, not judged)")
    return conformant(ctx, "answered", "a four-message history is accepted and answered with a valid completion")

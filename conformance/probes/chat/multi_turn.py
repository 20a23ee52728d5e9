"""chat.multi_turn: a user/assistant/user history is accepted and answered."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, content_of, require_completion
from conformance.registry import check
from conformance.verdict import Outcome

from ..shared import recall_conversation


@check(
    "chat.multi_turn", "A user/assistant/user history is accepted and answered",
    reasons=("pass/answered",),
)
async def chat_multi_turn(ctx: CheckContext) -> Outcome:
    completion = require_completion(ctx, await ctx.shared(recall_conversation), "a user/assistant/user history")
    if ctx.code_word not in content_of(completion):
        ctx.note("the reply does not recall the code word from the earlier turn (chat.history_recall judges that)")
    return conformant(ctx, "answered", "a three-message history is accepted and answered with a valid completion")

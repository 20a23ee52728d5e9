"""chat.history_recall (model): a fact stated only in an earlier turn is recalled."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import content_of, require_completion
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Measures, Outcome, failed, passed, warned

from ..shared import RECALL_QUESTION, prompt_tokens, recall_conversation


@check(
    "chat.history_recall", "A fact stated only in an earlier turn is recalled (a dropped history fails, a forgetful model warns)",
    measures=Measures.MODEL, reasons=("pass/recalled", "fail/history_dropped", "warn/not_recalled"),
)
async def chat_history_recall(ctx: CheckContext) -> Outcome:
    word = ctx.code_word
    completion = require_completion(ctx, await ctx.shared(recall_conversation), "a three-message history")
    reply = content_of(completion)
    if word in reply:
        return passed("recalled", f"the earlier turn's code word {word} is recalled")
    alone = await ctx.post_chat("the last turn alone", ctx.chat_body(RECALL_QUESTION))
    whole, last = prompt_tokens(completion), prompt_tokens(alone.json) if alone.ok else None
    if whole is not None and last is not None and whole <= last:
        return failed("history_dropped", f"the earlier turns appear dropped: prompt_tokens {whole} with them, {last} for the last turn alone")
    return warned("not_recalled", f"the model did not recall {word} ({excerpt(reply, 80)!r}); the earlier turns did reach it")

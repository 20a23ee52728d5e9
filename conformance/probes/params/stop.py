"""params.stop: a stop sequence ends the reply before it, streamed and not."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import content_of, first_choice, require_completion, stream_usable
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed, warned

from ..shared import numbers_in, summarise_stream

PROMPT = "Count from 1 to 20, separated by spaces. Output only the numbers."
STOP = "7"
LEAD = (5, 6)
"""Numbers a counting reply says just before the stop word: their presence shows the model counted.
A stop sequence is a string, so any "7" in the text (a "17" too) is one the server let through."""


def judge_reply(text: str, finish: object, mode: str) -> Outcome | None:
    """The verdict on one reply, or None when the model did not count (nothing can be concluded)."""
    said = numbers_in(text)
    # Past the stop word: the word itself, or counting on after the number before it (a server
    # that deletes the word from the text but lets the model go on).
    after_lead = said[len(said) - said[::-1].index(LEAD[-1]):] if LEAD[-1] in said else []
    if STOP in text or after_lead:
        return failed("ignored", f"{mode}: stop [{STOP!r}] was ignored: the reply goes on past it: {excerpt(text, 100)!r}")
    if not set(LEAD) <= set(said):
        return None
    if finish != "stop":
        return failed("wrong_finish_reason", f"{mode}: the reply ends before {STOP!r}, but finish_reason is {finish!r}, expected 'stop'")
    return passed("honoured", f"{mode}: the reply ends before {STOP!r} ({excerpt(text, 60)!r}), finish_reason 'stop'")


@check(
    "params.stop", "`stop` ends the reply before the stop word, streamed and not (the word is never sent)",
    reasons=("pass/honoured", "fail/ignored", "fail/ignored_in_stream", "fail/wrong_finish_reason", "warn/did_not_count"),
)
async def params_stop(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body(PROMPT, stop=[STOP])
    plain = require_completion(ctx, await ctx.post_chat(f"stop [{STOP!r}]", body), f"stop [{STOP!r}]")
    verdicts = {"not streamed": judge_reply(content_of(plain), first_choice(plain).get("finish_reason"), "not streamed")}
    stream = await ctx.stream_chat(f"stop [{STOP!r}] (streamed)", body)
    if stream_usable(ctx, stream, f"stop [{STOP!r}] (streamed)"):
        summary = summarise_stream(stream)
        streamed = judge_reply(summary.content, summary.finish_reason, "streamed")
        if streamed is not None and streamed.reason == "ignored":
            streamed = failed("ignored_in_stream", streamed.summary.replace("the reply goes on past it", "a delta carries it"))
        verdicts["streamed"] = streamed
    decided = [v for v in verdicts.values() if v is not None]
    if problem := next((v for v in decided if v.status != "pass"), None):
        return problem
    undecided = [mode for mode, v in verdicts.items() if v is None]
    if undecided:
        shown = "".join(f"; {v.summary}" for v in decided)
        return warned("did_not_count", f"the model did not count to {LEAD[-1]} ({', '.join(undecided)}), so the stop word was never due{shown}")
    return passed("honoured", "; ".join(v.summary for v in decided))

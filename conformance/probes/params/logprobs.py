"""params.logprobs: `logprobs: true, top_logprobs: 2` gives per-token log probabilities."""

from __future__ import annotations

from typing import Any

from conformance.context import CheckContext
from conformance.judge import content_of, first_choice, require_completion
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed

TOP = 2


def entry_problem(entry: Any, where: str, *, top: bool) -> str | None:
    """What is wrong with one token's logprob entry (or one of its alternatives); None if nothing."""
    if not isinstance(entry, dict):
        return f"{where} is not an object"
    if not isinstance(entry.get("token"), str):
        return f"{where}.token is {entry.get('token')!r}, not a string"
    logprob = entry.get("logprob")
    if isinstance(logprob, bool) or not isinstance(logprob, int | float) or logprob > 0:
        return f"{where}.logprob is {logprob!r}: a log probability is a number ≤ 0"
    raw = entry.get("bytes")
    if raw is not None and not (isinstance(raw, list) and all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in raw)):
        return f"{where}.bytes is {excerpt(str(raw), 60)}, not a list of byte values or null"
    if top:
        alternatives = entry.get("top_logprobs")
        if not isinstance(alternatives, list):
            return f"{where}.top_logprobs is {alternatives!r}, not a list"
        if len(alternatives) != TOP:
            return f"{where}.top_logprobs has {len(alternatives)} entries, {TOP} were asked for"
        for k, alternative in enumerate(alternatives):
            if problem := entry_problem(alternative, f"{where}.top_logprobs[{k}]", top=False):
                return problem
    return None


@check(
    "params.logprobs", "`logprobs: true, top_logprobs: 2` gives token, logprob, bytes and 2 top_logprobs per token",
    reasons=("pass/present", "fail/ignored", "fail/malformed"),
)
async def params_logprobs(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body("Say hello in one short sentence.", logprobs=True, top_logprobs=TOP)
    completion = require_completion(ctx, await ctx.post_chat(f"logprobs true, top_logprobs {TOP}", body), "logprobs")
    logprobs = first_choice(completion).get("logprobs")
    if logprobs is None:
        return failed("ignored", "logprobs: true was ignored: choices[0].logprobs is null")
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list):
        return failed("malformed", f"choices[0].logprobs.content is {excerpt(str(content), 80)}, not a list of token entries")
    if not content and content_of(completion):
        return failed("ignored", "choices[0].logprobs.content is empty although the reply has text")
    for i, entry in enumerate(content):
        if problem := entry_problem(entry, f"$.choices[0].logprobs.content[{i}]", top=True):
            return failed("malformed", problem)
    return passed("present", f"{len(content)} token(s) with token, logprob, bytes and {TOP} top_logprobs each")

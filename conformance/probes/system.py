"""System role: an instruction in the system message is followed (checked with a canary word)."""

from __future__ import annotations

from conformance.checks import check
from conformance.probe import Probe, content_of, excerpt, failed, passed, warned
from conformance.verdict import Measures

from .common import canary

USER_PROMPT = "Say hello."


def prompt_tokens(document: object) -> int | None:
    """usage.prompt_tokens when it can serve as evidence of what reached the model: a positive
    integer. 0 (a prompt served from cache, or not counted) and true (an int in Python) say nothing."""
    usage = document.get("usage") if isinstance(document, dict) else None
    value = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@check("system.role", "An instruction in the system message is followed (canary word)", measures=Measures.MODEL)
async def system_role(p: Probe):
    word = canary()
    messages = [
        {"role": "system", "content": f"You must begin every reply with the code word {word}."},
        {"role": "user", "content": USER_PROMPT},
    ]
    result = await p.post_chat("system instruction with a canary", p.chat_body(messages))
    if refused := p.refusal(result, "a system message"):
        return refused
    if problem := p.completion_problem(result, "system message request"):
        return problem
    reply = content_of(result.json)
    if word in reply:
        return passed(f"the reply contains the system prompt's canary {word}")
    # Protocol evidence beats model behaviour: a system message that reaches the model costs prompt tokens.
    without = await p.post_chat("same request without the system message", p.chat_body(USER_PROMPT))
    with_tokens, without_tokens = prompt_tokens(result.json), prompt_tokens(without.json) if without.ok else None
    if with_tokens is not None and without_tokens is not None and with_tokens <= without_tokens:
        return failed(
            f"the system message appears dropped: prompt_tokens {with_tokens} with it, {without_tokens} without it; canary {word} absent"
        )
    return warned(f"the model did not follow the system prompt (canary {word} absent from {excerpt(reply, 80)!r}); the message did reach the model")

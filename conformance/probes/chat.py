"""Chat: the minimal request, its usage arithmetic, and a multi-turn history."""

from __future__ import annotations

from conformance.checks import check
from conformance.probe import Probe, content_of, excerpt, failed, first_choice, message_of, passed, warned

from .common import minimal_chat, reasoning_evidence, spent_on_reasoning


@check("chat.basic", "The minimal request returns a schema-valid chat completion")
async def chat_basic(p: Probe):
    result = await p.shared("chat.minimal", minimal_chat)
    if refused := p.refusal(result, "minimal chat request"):
        return refused
    if problem := p.completion_problem(result, "minimal chat request"):
        return problem
    message = message_of(result.json)
    if not content_of(result.json) and not message.get("tool_calls"):
        finish = first_choice(result.json).get("finish_reason")
        # Reasoning models count their thinking against the limit: a short limit can leave no answer.
        if finish == "length" and (evidence := reasoning_evidence(result.json)):
            return warned(spent_on_reasoning(p, evidence) + p.strict_note())
        return failed(f"the completion has no content (finish_reason {finish!r})")
    return p.conformant(f"schema-valid completion, finish_reason {first_choice(result.json)['finish_reason']!r}")


@check("chat.usage", "usage is present with integer counts and total = prompt + completion")
async def chat_usage(p: Probe):
    result = await p.shared("chat.minimal", minimal_chat)
    if refused := p.refusal(result, "minimal chat request"):
        return refused
    if result.json is None:
        return failed(f"the minimal chat request's body is not JSON ({result.json_error}): {excerpt(result.text)}")
    if not isinstance(result.json, dict):
        return failed(f"the minimal chat request's body is not a JSON object: {excerpt(result.text)}")
    usage = result.json.get("usage")
    if not isinstance(usage, dict):
        return failed(f"the completion has no usage object (got {usage!r})")
    counts = {k: usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    bad = [f"{k}={v!r}" for k, v in counts.items() if not isinstance(v, int) or isinstance(v, bool) or v < 0]
    if bad:
        return failed(f"usage counts must be non-negative integers: {', '.join(bad)}")
    if counts["total_tokens"] != counts["prompt_tokens"] + counts["completion_tokens"]:
        return failed(
            f"usage.total_tokens {counts['total_tokens']} != prompt_tokens {counts['prompt_tokens']} + completion_tokens {counts['completion_tokens']}"
        )
    if counts["prompt_tokens"] == 0:
        return failed("usage.prompt_tokens is 0 for a non-empty prompt")
    if content_of(result.json) and counts["completion_tokens"] == 0:
        return failed("usage.completion_tokens is 0 although the reply has content")
    return passed(f"usage {counts['prompt_tokens']} + {counts['completion_tokens']} = {counts['total_tokens']}")


@check("chat.multi_turn", "A system/user/assistant/user history is accepted and answered")
async def chat_multi_turn(p: Probe):
    history = [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Nice to meet you, Ada."},
        {"role": "user", "content": "What is my name? Reply with the name only."},
    ]
    result = await p.post_chat("multi-turn history", p.chat_body(history))
    if refused := p.refusal(result, "a system/user/assistant/user history"):
        return refused
    if problem := p.completion_problem(result, "multi-turn history"):
        return problem
    if "ada" not in content_of(result.json).lower():
        p.note("the reply does not mention the name from the earlier turn (model behaviour, not judged)")
    return p.conformant("a four-message history is accepted and answered with a valid completion")

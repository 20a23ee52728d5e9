"""chat.usage: usage is present with integer counts and total = prompt + completion."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import content_of, require_accepted
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed

from ..shared import minimal_chat

COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens")


@check(
    "chat.usage", "usage is present with integer counts and total = prompt + completion",
    reasons=(
        "pass/consistent", "fail/not_json", "fail/not_object", "fail/no_usage", "fail/bad_counts", "fail/wrong_total",
        "fail/zero_prompt_tokens", "fail/zero_completion_tokens",
    ),
)
async def chat_usage(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(minimal_chat)
    require_accepted(ctx, result, "minimal chat request")
    if result.json is None:
        return failed("not_json", f"the minimal chat request's body is not JSON ({result.json_error}): {excerpt(result.text)}")
    if not isinstance(result.json, dict):
        return failed("not_object", f"the minimal chat request's body is not a JSON object: {excerpt(result.text)}")
    usage = result.json.get("usage")
    if not isinstance(usage, dict):
        return failed("no_usage", f"the completion has no usage object (got {usage!r})")
    counts = {k: usage.get(k) for k in COUNTS}
    bad = [f"{k}={v!r}" for k, v in counts.items() if not isinstance(v, int) or isinstance(v, bool) or v < 0]
    if bad:
        return failed("bad_counts", f"usage counts must be non-negative integers: {', '.join(bad)}")
    prompt, completion, total = (int(counts[k]) for k in COUNTS)  # type: ignore[arg-type]
    if total != prompt + completion:
        return failed("wrong_total", f"usage.total_tokens {total} != prompt_tokens {prompt} + completion_tokens {completion}")
    if prompt == 0:
        return failed("zero_prompt_tokens", "usage.prompt_tokens is 0 for a non-empty prompt")
    if content_of(result.json) and completion == 0:
        return failed("zero_completion_tokens", "usage.completion_tokens is 0 although the reply has content")
    return passed("consistent", f"usage {prompt} + {completion} = {total}")

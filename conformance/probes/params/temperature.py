"""params.temperature (model): 0 repeats itself, a high temperature varies, above 2 is refused."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import envelope_problem, error_body, no_answer
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Measures, Outcome, failed, passed, warned

from .sampling import replies, sampling_body, two_at_zero

HIGH = 1.5
SAMPLES = 3
OUT_OF_RANGE = 2.5


@check(
    "params.temperature", "temperature 0 repeats its reply, a high temperature varies it, above 2 is refused with 400",
    measures=Measures.MODEL,
    reasons=("pass/honoured", "warn/zero_varies", "warn/high_repeats", "warn/out_of_range_accepted", "warn/out_of_range_refused_oddly",
             "fail/out_of_range_server_error"),
)
async def params_temperature(ctx: CheckContext) -> Outcome:
    zero = await replies(ctx, 0, 2, await ctx.shared(two_at_zero))
    high = await replies(ctx, HIGH, SAMPLES)
    beyond = await ctx.post_chat(f"temperature {OUT_OF_RANGE:g} (outside 0..2)", sampling_body(ctx, OUT_OF_RANGE))
    if beyond.error:
        return no_answer(beyond, f"temperature {OUT_OF_RANGE:g}")
    if beyond.status is not None and beyond.status >= 500:
        return failed("out_of_range_server_error", f"temperature {OUT_OF_RANGE:g} got a server error HTTP {beyond.status}, not a 400")
    if len(set(zero)) > 1:
        return warned("zero_varies", f"temperature 0 gave different replies: {excerpt(zero[0], 40)!r} then {excerpt(zero[1], 40)!r}")
    if len(set(high)) == 1:
        return warned("high_repeats", f"temperature {HIGH:g} gave the same reply {SAMPLES} times ({excerpt(high[0], 40)!r}): it looks ignored")
    if (refused := error_body(beyond)) is not None:
        return warned("out_of_range_refused_oddly", f"temperature {OUT_OF_RANGE:g} is refused, but with HTTP {beyond.status} carrying an error body: {refused}")
    if beyond.ok:
        return warned("out_of_range_accepted", f"temperature {OUT_OF_RANGE:g} (OpenAI allows 0..2) was accepted silently (HTTP {beyond.status})")
    if beyond.status != 400 or (problem := envelope_problem(ctx, beyond)):
        detail = f"HTTP {beyond.status}" if beyond.status != 400 else str(problem)
        return warned("out_of_range_refused_oddly", f"temperature {OUT_OF_RANGE:g} is refused, but not with a 400 error envelope: {detail}")
    return passed(
        "honoured",
        f"temperature 0 repeated {excerpt(zero[0], 30)!r}; {HIGH:g} gave {len(set(high))} different replies in {SAMPLES}; "
        f"{OUT_OF_RANGE:g} is refused with HTTP 400",
    )

"""responses.errors: malformed Responses requests get a 4xx with the error envelope."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import conformant, envelope_problem, no_answer
from conformance.registry import check
from conformance.verdict import Outcome, failed


@check(
    "responses.errors", "Malformed Responses requests (a body that is not JSON, input of the wrong type) get a 4xx with the error envelope",
    depends_on=("responses.basic",), reasons=("pass/envelope", "fail/accepted", "fail/server_error", "fail/no_envelope"),
)
async def responses_errors(ctx: CheckContext) -> Outcome:
    model = ctx.chat_model
    results = {
        "body that is not JSON": await ctx.post_responses("malformed: body that is not JSON", raw='{"model": "' + model + '", "input": '),
        "`input` as a number": await ctx.post_responses("malformed: input as a number", {"model": model, "input": 42, "max_output_tokens": 16}),
    }
    for what, result in results.items():
        if result.error:
            return no_answer(result, what)
        assert result.status is not None
        if result.ok:
            return failed("accepted", f"{what} was accepted (HTTP {result.status})")
        if result.status >= 500:
            return failed("server_error", f"{what} got a server error HTTP {result.status}, not a 4xx")
        if problem := envelope_problem(ctx, result):
            return failed("no_envelope", f"{what} → HTTP {result.status}: {problem}")
    return conformant(ctx, "envelope", f"{len(results)} malformed requests, each refused with a 4xx and the error envelope")

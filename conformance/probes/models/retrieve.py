"""models.retrieve: GET /models/{id} returns the configured model and a 404 envelope for an unknown one."""

from __future__ import annotations

import secrets

from conformance.context import CheckContext
from conformance.judge import conformant, envelope_problem, json_label_problem, no_answer, refusal
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, warned


@check(
    "models.retrieve", "GET /models/{id} returns the configured model's object, and a 404 error envelope for an unknown id",
    depends_on=("models.list",),  # no model endpoints at all is models.list's finding, once
    reasons=("pass/retrieved", "fail/missing", "fail/not_model_object", "fail/unknown_served", "warn/unknown_refused_oddly"),
)
async def models_retrieve(ctx: CheckContext) -> Outcome:
    model = ctx.chat_model
    known = await ctx.get("retrieve the configured model", f"/models/{model}")
    if known.error:
        return no_answer(known, f"GET /models/{model}")
    if known.status == 404:
        return failed("missing", f"GET /models/{model} answers HTTP 404 for the configured model: {excerpt(known.text, 120)}")
    if decided := refusal(ctx, known, f"GET /models/{model}"):
        return decided  # a server error, a rate limit or a refusal is not a missing route
    document = known.json
    problem = json_label_problem(known)
    if problem or not isinstance(document, dict) or document.get("id") != model or document.get("object") != "model":
        shown = problem or f"expected {{\"id\": {model!r}, \"object\": \"model\", ...}}, got {excerpt(known.text, 120)}"
        return failed("not_model_object", f"GET /models/{model}: {shown}")
    unknown = f"conformance-no-such-model-{secrets.token_hex(4)}"
    other = await ctx.get("retrieve an unknown model", f"/models/{unknown}")
    if other.error:
        return no_answer(other, f"GET /models/{unknown}")
    if other.ok:
        return failed("unknown_served", f"GET /models/{unknown} answers HTTP {other.status} for a model that does not exist")
    if other.status != 404 or (problem := envelope_problem(ctx, other)):
        detail = f"HTTP {other.status} (OpenAI uses 404)" if other.status != 404 else str(problem)
        return warned("unknown_refused_oddly", f"an unknown model id is refused, but with {detail}")
    return conformant(ctx, "retrieved", f"GET /models/{model} returns its model object; an unknown id gets 404 with an error envelope")

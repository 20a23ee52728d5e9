"""models.list: GET /models returns a list matching the schema."""

from __future__ import annotations

from conformance.client import HTTPResult
from conformance.context import CheckContext
from conformance.judge import conformant, json_label_problem, require_accepted
from conformance.registry import check
from conformance.validate import COMPAT
from conformance.verdict import Outcome, failed


async def list_models(ctx: CheckContext) -> HTTPResult:
    """Shared: models.list judges the list and models.configured_present reads it."""
    return await ctx.get("list models", "/models")


@check(
    "models.list", "GET /models returns a list matching the schema",
    reasons=("pass/listed", "fail/not_json", "fail/not_json_content_type", "fail/schema"),
)
async def models_list(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(list_models)
    require_accepted(ctx, result, "GET /models")
    if result.json is None:
        return failed("not_json", f"GET /models: HTTP {result.status} but the body is not JSON ({result.json_error})")
    if problem := json_label_problem(result):
        return failed("not_json_content_type", f"GET /models: {problem}")
    compat = [i for i in ctx.validate("models_list", result.json) if i.level == COMPAT]
    if compat:
        return failed("schema", f"GET /models does not match the list schema: {compat[0].path}: {compat[0].message}")
    return conformant(ctx, "listed", f"GET /models lists {len(result.json['data'])} model(s)")

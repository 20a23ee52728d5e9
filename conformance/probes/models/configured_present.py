"""models.configured_present: the configured model ids appear in GET /models."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.registry import check
from conformance.verdict import Outcome, failed, passed

from .list import list_models


@check(
    "models.configured_present", "The configured model ids appear in GET /models", depends_on=("models.list",),
    reasons=("pass/listed", "fail/not_listed"),
)
async def models_configured_present(ctx: CheckContext) -> Outcome:
    result = await ctx.shared(list_models)
    listed = [m.get("id") for m in result.json["data"] if isinstance(m, dict)]
    configured = [m for m in ctx.provider.models.values() if m]
    missing = [m for m in configured if m not in listed]
    shown = ", ".join(map(str, listed[:10])) + (" …" if len(listed) > 10 else "")
    if missing:
        return failed("not_listed", f"configured model id(s) {', '.join(missing)} not listed by GET /models (listed: {shown or 'none'})")
    return passed("listed", f"{', '.join(configured)} listed by GET /models")

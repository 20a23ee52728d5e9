"""Model ids: the list endpoint, the configured ids in it, and unknown ids refused."""

from __future__ import annotations

import secrets

from conformance.checks import check
from conformance.client import HTTPResult
from conformance.probe import Probe, error_body, failed, inconclusive, passed, warned
from conformance.validate import COMPAT


async def list_models(p: Probe) -> HTTPResult:
    return await p.get("list models", "/models")


@check("models.list", "GET /models returns a list matching the schema")
async def models_list(p: Probe):
    result = await p.shared("models.list", list_models)
    if refused := p.refusal(result, "GET /models"):
        return refused
    if result.json is None:
        return failed(f"GET /models: HTTP {result.status} but the body is not JSON ({result.json_error})")
    if problem := p.json_label_problem(result):
        return failed(f"GET /models: {problem}")
    compat = [i for i in p.validate("models_list", result.json) if i.level == COMPAT]
    if compat:
        return failed(f"GET /models does not match the list schema: {compat[0].path}: {compat[0].message}")
    return p.conformant(f"GET /models lists {len(result.json['data'])} model(s)")


@check("models.configured_present", "The configured model ids appear in GET /models", depends_on=("models.list",))
async def models_configured_present(p: Probe):
    result = await p.shared("models.list", list_models)
    listed = [m.get("id") for m in result.json["data"] if isinstance(m, dict)]
    configured = [m for m in p.provider.models.values() if m]
    missing = [m for m in configured if m not in listed]
    shown = ", ".join(map(str, listed[:10])) + (" …" if len(listed) > 10 else "")
    if missing:
        return failed(f"configured model id(s) {', '.join(missing)} not listed by GET /models (listed: {shown or 'none'})")
    return passed(f"{', '.join(configured)} listed by GET /models")


@check("models.unknown_rejected", "A chat request for an unknown model id gets a 4xx error, not a 200")
async def models_unknown_rejected(p: Probe):
    unknown = f"conformance-no-such-model-{secrets.token_hex(4)}"
    result = await p.post_chat("chat request for an unknown model", p.chat_body("Say OK.", model=unknown))
    if result.error:
        return inconclusive(f"unknown model request: {result.error}")
    if (refusal := error_body(result)) is not None:
        return failed(f"an unknown model id is refused, but with HTTP {result.status} carrying an error body (clients see success): {refusal}")
    if result.ok:
        served = result.json.get("model") if isinstance(result.json, dict) else None
        return failed(f"an unknown model id {unknown!r} was served with HTTP {result.status} (answered as model {served!r}): silent substitution")
    if result.status == 429:
        return inconclusive("rate limited (HTTP 429)")
    if result.status >= 500:
        return failed(f"an unknown model id got a server error HTTP {result.status}: {result.text[:160]}")
    problem = p.envelope_problem(result)
    deviations = [d for d in (None if result.status == 404 else f"HTTP {result.status} (OpenAI uses 404)", problem) if d]
    if deviations:
        return warned(f"an unknown model id is refused, but with {'; '.join(deviations)}")
    return p.conformant("an unknown model id is refused with HTTP 404 and an error envelope")

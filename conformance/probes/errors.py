"""Errors: malformed requests get a 4xx, `application/json`, and the error envelope
`{"error": {"message", "type", "param", "code"}}`. The same four requests prove both checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conformance.checks import check
from conformance.client import HTTPResult
from conformance.probe import Probe, failed, inconclusive, passed, skipped, warned


def malformed_requests(p: Probe) -> dict[str, Callable[[Probe], Awaitable[HTTPResult]]]:
    """Each malformed in one way only; a lenient server may still answer them, so the ones that
    can carry a limit do (llama.cpp answers a request without messages with a long reply)."""
    model = p.chat_model
    return {
        "body that is not JSON": lambda q: q.post_chat("malformed: body that is not JSON", raw='{"model": "' + model + '", "messages": ['),
        "missing `messages`": lambda q: q.post_chat("malformed: missing messages", {"model": model, "max_tokens": 8}),
        "`messages` as a string": lambda q: q.post_chat(
            "malformed: messages as a string", {"model": model, "messages": "hello", "max_tokens": 8}
        ),
        "`temperature` as a string": lambda q: q.post_chat(
            "malformed: temperature as a string",
            {"model": model, "messages": [{"role": "user", "content": "Say OK."}], "temperature": "hot", "max_tokens": 8},
        ),
    }


async def send_malformed(p: Probe) -> dict[str, HTTPResult]:
    return {what: await p.shared(f"errors.{what}", send) for what, send in malformed_requests(p).items()}


@check("errors.status_codes", "Malformed requests (bad JSON, missing messages, wrong types) get a 4xx, not 2xx or 5xx")
async def errors_status_codes(p: Probe):
    results = await send_malformed(p)
    broken = [f"{what}: {r.error}" for what, r in results.items() if r.error]
    if broken:
        return inconclusive(broken[0])
    accepted = [f"{what} → HTTP {r.status}" for what, r in results.items() if r.ok]
    server_errors = [f"{what} → HTTP {r.status}" for what, r in results.items() if r.status >= 500]
    if accepted or server_errors:
        problems = accepted + server_errors
        return failed(f"expected 4xx for malformed requests, got: {'; '.join(problems)}")
    statuses = {what: r.status for what, r in results.items()}
    unusual = [f"{what} → HTTP {s}" for what, s in statuses.items() if s != 400]
    if unusual:
        return warned(f"malformed requests are refused, but not all with 400 as OpenAI does: {'; '.join(unusual)}")
    return passed("all four malformed requests get HTTP 400")


@check("errors.format", "Error responses are application/json with the {\"error\": {message, type, param, code}} envelope")
async def errors_format(p: Probe):
    results = await send_malformed(p)
    # A result with an error (e.g. 503 outlasting the retries) is the provider being unavailable,
    # not its answer to the malformed request.
    judged = {what: r for what, r in results.items() if r.status is not None and r.status >= 400 and not r.error}
    if not judged:
        return skipped("no malformed request got an error response to judge (see errors.status_codes)")
    for what, result in judged.items():
        if problem := p.envelope_problem(result):
            return failed(f"{what} → HTTP {result.status}: {problem}")
    return p.conformant(f"{len(judged)} error response(s), all with the error envelope")

"""Reading Responses API documents: the guard for a usable response, and its output text, calls and usage."""

from __future__ import annotations

from typing import Any

from conformance.client import HTTPResult
from conformance.context import CheckContext
from conformance.judge import Decided, json_label_problem, require_accepted
from conformance.text import excerpt
from conformance.validate import COMPAT
from conformance.verdict import failed

from ..shared import stating_the_word

RESPONSE_REASONS = ("fail/not_json", "fail/not_json_content_type", "fail/error_body", "fail/schema")
"""What :func:`require_response` decides besides the shared guards (the same names as for chat)."""


async def first_turn(ctx: CheckContext) -> HTTPResult:
    """Shared: responses.basic judges this minimal response, and responses.previous_response_id
    continues from it (it states the round's code word; stored by default, as OpenAI stores)."""
    return await ctx.post_responses("minimal response (first turn)", ctx.responses_body(stating_the_word(ctx.code_word)))


def require_response(ctx: CheckContext, result: HTTPResult, what: str, *, owner: bool = False) -> dict[str, Any]:
    """The Response object a client can use, or the refusal or the defect that decides the check.
    Only ``responses.basic`` (``owner``) judges implausible values."""
    require_accepted(ctx, result, what)
    document = result.json
    if document is None:
        raise Decided(failed("not_json", f"{what}: HTTP {result.status} but the body is not JSON ({result.json_error}): {excerpt(result.text)}"))
    if problem := json_label_problem(result):
        raise Decided(failed("not_json_content_type", f"{what}: {problem}"))
    if isinstance(document, dict) and "error" in document and document.get("object") != "response":
        raise Decided(failed("error_body", f"{what}: HTTP {result.status} carries an error body: {excerpt(result.text)}"))
    compat = [i for i in ctx.validate("response", document, plausible=owner) if i.level == COMPAT]
    if compat:
        more = f" (+{len(compat) - 1} more)" if len(compat) > 1 else ""
        raise Decided(failed("schema", f"{what}: the response does not match the schema: {compat[0].path}: {compat[0].message}{more}"))
    assert isinstance(document, dict)
    return document


def output_items(document: Any, kind: str) -> list[dict[str, Any]]:
    output = document.get("output") if isinstance(document, dict) else None
    return [item for item in output if isinstance(item, dict) and item.get("type") == kind] if isinstance(output, list) else []


def output_text(document: Any) -> str:
    """What the SDK's ``response.output_text`` gives: every output_text part of every message item."""
    texts = []
    for item in output_items(document, "message"):
        content = item.get("content")
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "output_text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return "".join(texts)


def usage_counts(document: Any) -> tuple[int, int, int] | None:
    """(input_tokens, output_tokens, total_tokens) when all three are counts."""
    usage = document.get("usage") if isinstance(document, dict) else None
    if not isinstance(usage, dict):
        return None
    counts = [c for k in ("input_tokens", "output_tokens", "total_tokens") if isinstance(c := usage.get(k), int) and not isinstance(c, bool)]
    return (counts[0], counts[1], counts[2]) if len(counts) == 3 else None


def stopped_at_cap(response: Any) -> bool:
    """The response ended because it reached ``max_output_tokens``, which every request of the suite
    sets (``reply_tokens``): status ``incomplete`` with that reason is how OpenAI reports a reply the
    cap cut, a model that talks long, not a server that broke off."""
    if not isinstance(response, dict) or response.get("status") != "incomplete":
        return False
    details = response.get("incomplete_details")
    return isinstance(details, dict) and details.get("reason") == "max_output_tokens"


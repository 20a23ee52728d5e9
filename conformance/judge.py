"""How checks read what came back: the guards every check shares (a refusal, a completion a client
can use, a stream of data events) and readers for chat documents.

A guard either returns what the check goes on with, or raises :class:`Decided` with the outcome
it reached; the runner takes that outcome as the check's. So a check reads as its checklist line:

    result = await ctx.shared(minimal_chat)
    completion = require_completion(ctx, result, "minimal chat request")
    ...
"""

from __future__ import annotations

import json
import re
from typing import Any

from .client import HTTPResult, StreamResult
from .context import CheckContext
from .text import excerpt
from .validate import COMPAT
from .verdict import Outcome, SchemaIssue, failed, inconclusive, passed, unsupported, warned

GUARD_REASONS: dict[str, str] = {
    "error/no_response": "no answer at all: the connection failed or timed out",
    "error/unavailable": "429 or 502/503/504 outlasted the retries: the provider was unavailable",
    "error/rate_limited": "answered HTTP 429, so nothing could be judged",
    "error/timeout": "timeout_s ended a stream that was still going",
    "fail/redirected": "answered with a redirect, which is not followed",
    "fail/refused_without_envelope": "refused with a 4xx whose body is not OpenAI's error envelope",
    "fail/server_error": "answered a 5xx where a result or a clean 4xx was due",
    "unsupported/clean_4xx": "cleanly refused: a 4xx with the error envelope",
    "fail/not_sse": "stream: true answered with something that carries no SSE `data:` events",
    "fail/stream_error": "the stream carries an error event (`{\"error\": ...}` or finish_reason \"error\"), quoted",
    "fail/not_json": "a 2xx whose body is not JSON",
    "fail/not_json_content_type": "a JSON body served with a content-type other than application/json",
    "fail/error_body": "a 2xx whose body is an error, not a result",
    "fail/schema": "the completion breaks the compat schema (the JSON path is in the evidence)",
    "fail/no_choices": "the completion has no choices",
    "warn/strict_schema": "works, but breaks the strict (spec-only) schema",
}
"""Codes the shared guards decide, whichever check calls them, and what each means."""

RUNNER_REASONS: dict[str, str] = {
    "skip/no_model": "the check needs a model role (models.vision) the provider does not configure",
    "skip/prerequisite": "a check it depends on did not pass",
    "error/internal": "a bug in the check (the traceback is in the notes)",
    "error/budget": "--max-tokens-total ran out before the check was judged",
    "error/interrupted": "Ctrl-C before the check finished",
    "warn/flaky": "with --repeat N: worked in some runs only",
    "error/model_sweep": 'models.chat is "*" and GET /models could not be read, or listed no model matching models.match',
}
"""Codes the runner gives a check it could not (or did not) run, and ``--repeat``'s flaky verdict."""

COMMON_REASONS: dict[str, str] = {**GUARD_REASONS, **RUNNER_REASONS}


class Decided(Exception):
    """Raised by a guard that has reached the check's outcome; the runner makes it the verdict."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.summary)
        self.outcome = outcome


# --- guards --------------------------------------------------------------------------------
def refusal(ctx: CheckContext, result: HTTPResult, what: str) -> Outcome | None:
    """None when the request was accepted (2xx). Otherwise how to judge the refusal of ``what``:
    a clean, enveloped 4xx is ``unsupported``; anything else is ``fail`` or ``error``."""
    if result.error:
        return no_answer(result, what)
    assert result.status is not None
    if 200 <= result.status < 300:
        return None
    if result.status == 429:
        return inconclusive("rate_limited", f"{what}: rate limited (HTTP 429); try again later or lower max_concurrency")
    if 300 <= result.status < 400:
        # Never followed (see base_url.v1_path): a redirect is not a server error, and says where it goes.
        where = excerpt(result.headers.get("location") or "no Location header", 160)
        return failed("redirected", f"{what}: redirected (HTTP {result.status} to {where}); the redirect was not followed")
    if 400 <= result.status < 500:
        problem = envelope_problem(ctx, result)
        if problem is None:
            return unsupported("clean_4xx", f"{what}: refused with HTTP {result.status}: {error_message(result.json)}")
        return failed("refused_without_envelope", f"{what}: refused with HTTP {result.status}, but {problem}")
    return failed(
        "server_error",
        f"{what}: server error HTTP {result.status} (expected 2xx, or a 4xx error if unsupported): {excerpt(result.text)}",
    )


def no_answer(result: HTTPResult | StreamResult, what: str) -> Outcome:
    """A request that got no answer to judge: the transport failed, or 429/5xx outlasted the retries."""
    reason = "no_response" if result.status is None else "unavailable"
    return inconclusive(reason, f"{what}: {result.error}")


def require_accepted(ctx: CheckContext, result: HTTPResult, what: str) -> None:
    """Go on only if the request was accepted (2xx); otherwise the refusal decides."""
    if refused := refusal(ctx, result, what):
        raise Decided(refused)


def require_completion(ctx: CheckContext, result: HTTPResult, what: str, *, owner: bool = False) -> dict[str, Any]:
    """The chat completion a client can use, or the refusal or the defect that decides the check
    (``owner``: see :func:`completion_problem`)."""
    require_accepted(ctx, result, what)
    if problem := completion_problem(ctx, result, what, owner=owner):
        raise Decided(problem)
    assert isinstance(result.json, dict)
    return result.json


def stream_refusal(ctx: CheckContext, result: StreamResult, what: str) -> Outcome | None:
    """None when a stream of data events arrived; otherwise the refusal (judged like
    :func:`refusal`), the transport failure, or the answer that is not an SSE stream."""
    if result.error_body is not None:
        return refusal(ctx, result.error_body, what)
    if result.error and not result.chunks:
        return no_answer(result, what)
    if not result.chunks:
        lines = result.exchange.response.sse_lines if result.exchange.response else None
        first = next((line for line in lines or [] if line.strip()), "")
        return failed(
            "not_sse",
            f"{what}: HTTP {result.status} ({result.content_type or 'no content-type'}) carries no SSE `data:` events"
            + (f"; it starts with {excerpt(first, 100)!r}" if first else "; the body is empty"),
        )
    return None


def require_stream(ctx: CheckContext, result: StreamResult, what: str) -> None:
    """Go on only if a stream of data events arrived, none of them an error event: a stream that
    ends in an error is judged as one, never as a reply that stopped by itself."""
    if refused := stream_refusal(ctx, result, what):
        raise Decided(refused)
    if error := stream_error(result):
        raise Decided(failed("stream_error", f"{what}: the stream carries an error event: {error}"))


def stream_error(result: StreamResult) -> str | None:
    """The first error event of a stream (``{"error": ...}`` or ``finish_reason: "error"``), quoted."""
    for chunk in result.chunks:
        document = chunk.json
        if not isinstance(document, dict):
            continue
        if document.get("error") is not None:
            return f"chunk {chunk.number}: {error_message(document)}"
        choices = document.get("choices")
        for choice in choices if isinstance(choices, list) else []:
            if isinstance(choice, dict) and choice.get("finish_reason") == "error":
                return f"chunk {chunk.number}: finish_reason \"error\" ({excerpt(chunk.raw, 160)})"
    return None


def stream_usable(ctx: CheckContext, result: StreamResult, what: str) -> bool:
    """Whether the streamed half of a check can be judged. A refusal of the request decides the
    check (raises :class:`Decided`, as for the plain half); a stream broken as a stream (not SSE, an
    error event, no answer) is the streaming checks' finding: noted here, and False."""
    if result.error_body is not None:
        require_accepted(ctx, result.error_body, what)
    problem = stream_refusal(ctx, result, what)
    reason = problem.summary if problem else stream_error(result)
    if reason:
        ctx.note(f"the streamed request was not judged here ({reason}); the streaming checks judge streams")
        return False
    return True


def cut_by_timeout(ctx: CheckContext, result: StreamResult, what: str) -> Outcome | None:
    """When ``timeout_s`` ended a stream that was still going: a slow provider is not a wrong one,
    so what never arrived cannot be judged (``error``). None when the stream ended otherwise."""
    if not result.timed_out:
        return None
    return inconclusive(
        "timeout",
        f"{what}: the stream was still open when timeout_s ({ctx.settings.timeout_s:g} s) ran out, after "
        f"{len(result.chunks)} chunk(s); raise timeout_s to judge it",
    )


def envelope_problem(ctx: CheckContext, result: HTTPResult) -> str | None:
    """What is wrong with an error response, compared with OpenAI's envelope; None if nothing."""
    if result.content_type != "application/json":
        return f"the content-type is {result.content_type or 'missing'!r}, not application/json: {excerpt(result.text)}"
    if result.json is None:
        return f"the body is not JSON: {excerpt(result.text)}"
    issues = ctx.validate("error_response", result.json, where=f"HTTP {result.status} body")
    compat = [i for i in issues if i.level == COMPAT]
    if compat:
        return (
            f"the body is not the error envelope {{\"error\": {{\"message\", ...}}}} ({compat[0].path}: "
            f"{compat[0].message}): {excerpt(result.text)}"
        )
    return None


def json_label_problem(result: HTTPResult) -> str | None:
    """What is wrong with the content-type of a 2xx JSON body; None if a client parses it as JSON.
    The official Node SDK parses only application/json and +json types; any other body reaches
    the app as a string, so a completion served as text/html breaks it whatever the bytes."""
    kind = result.content_type
    if kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json")):
        return None
    return (
        f"HTTP {result.status} serves the JSON body as {kind or 'no content-type'!r}, not application/json "
        "(the official Node SDK returns it as a string)"
    )


def completion_problem(ctx: CheckContext, result: HTTPResult, what: str, *, owner: bool = False) -> Outcome | None:
    """None when the 2xx body is a chat completion a client can use; otherwise a failure.

    Only the check that owns the completion's schema (``owner``: chat.basic) fails it for a field
    that is absent where clients tolerate its absence, and judges implausible values; a check of a
    capability keeps those as evidence and judges the capability, so one omission is one finding."""
    if result.json is None:
        return failed("not_json", f"{what}: HTTP {result.status} but the body is not JSON ({result.json_error}): {excerpt(result.text)}")
    if problem := json_label_problem(result):
        return failed("not_json_content_type", f"{what}: {problem}")
    if isinstance(result.json, dict) and "error" in result.json and "choices" not in result.json:
        return failed("error_body", f"{what}: HTTP {result.status} carries an error body: {excerpt(result.text)}")
    issues = ctx.validate("chat_completion", result.json, plausible=owner)
    compat = [i for i in issues if i.level == COMPAT and (owner or not tolerated_absence(i))]
    if not owner and (absent := [missing_field(i) for i in issues if i.level == COMPAT and tolerated_absence(i)]):
        ctx.note(f"the completion lacks {', '.join(absent)}: clients tolerate it, and the check that owns the schema judges it")
    if compat:
        first = compat[0]
        more = f" (+{len(compat) - 1} more)" if len(compat) > 1 else ""
        return failed("schema", f"{what}: the completion does not match the schema: {first.path}: {first.message}{more}")
    if not result.json.get("choices"):
        return failed("no_choices", f"{what}: the completion has no choices")
    return None


TOLERATED_ABSENT: dict[str, frozenset[str]] = {
    "chat_completion": frozenset({
        "$.id", "$.object", "$.created", "$.model", "$.choices[].index", "$.choices[].logprobs", "$.choices[].message.role",
    }),
    # A chunk's choice index is how every client assembles a stream: not tolerated.
    "chat_completion_chunk": frozenset({"$.id", "$.object", "$.created", "$.model", "$.choices[].logprobs"}),
}
"""Fields a completion or chunk may lack without breaking the official SDKs (or Go's and Java's JSON
decoders): a capability still works without them, the schema-owning checks report the absence."""
_REQUIRED_MESSAGE = re.compile(r"^'([^']+)' is a required property$")


def missing_field(issue: SchemaIssue) -> str:
    """``$.choices[0].index`` for the issue "'index' is a required property" at ``$.choices[0]``."""
    match = _REQUIRED_MESSAGE.match(issue.message)
    return f"{issue.path}.{match.group(1)}" if issue.keyword == "required" and match else issue.path


def tolerated_absence(issue: SchemaIssue) -> bool:
    tolerated = TOLERATED_ABSENT.get(issue.schema, frozenset())
    return issue.keyword == "required" and re.sub(r"\[\d+\]", "[]", missing_field(issue)) in tolerated


def strict_note(ctx: CheckContext) -> str:
    """A suffix naming strict-only schema issues, for summaries of otherwise passing checks."""
    strict = [i for i in ctx.schema_issues if i.level != COMPAT]
    if not strict:
        return ""
    more = f" (+{len(strict) - 1} more)" if len(strict) > 1 else ""
    return f"; strict-spec deviations: {strict[0].path}: {strict[0].message}{more}"


def conformant(ctx: CheckContext, reason: str, summary: str) -> Outcome:
    """``pass/reason``, or ``warn/strict_schema`` if strict-only schema deviations were seen on the way."""
    note = strict_note(ctx)
    return warned("strict_schema", summary + note) if note else passed(reason, summary)


# --- reading chat documents ----------------------------------------------------------------
def error_body(result: HTTPResult) -> str | None:
    """The error message of a 2xx answer whose body is an error, not a result (None otherwise):
    a refusal sent with a success status, which a verdict must name as such."""
    document = result.json
    if result.ok and isinstance(document, dict) and "error" in document and "choices" not in document:
        return error_message(document) or excerpt(result.text)
    return None


def first_choice(document: Any) -> dict[str, Any]:
    choices = document.get("choices") if isinstance(document, dict) else None
    return choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}


def message_of(document: Any) -> dict[str, Any]:
    message = first_choice(document).get("message")
    return message if isinstance(message, dict) else {}


def content_of(document: Any) -> str:
    content = message_of(document).get("content")
    return content if isinstance(content, str) else ""


def error_message(document: Any) -> str:
    if isinstance(document, dict) and isinstance(document.get("error"), dict):
        return excerpt(str(document["error"].get("message", "")), 160)
    return excerpt(json.dumps(document), 160) if document is not None else ""

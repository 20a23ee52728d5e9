"""structured.json_schema: `response_format: {type: json_schema, strict: true}` gives content that
validates against the schema, streamed and not."""

from __future__ import annotations

from typing import Any

import jsonschema

from conformance.context import CheckContext
from conformance.judge import content_of, require_completion, stream_usable
from conformance.registry import check
from conformance.text import excerpt, json_path
from conformance.verdict import Outcome, failed, passed, warned

from ..shared import summarise_stream
from .reading import as_json

PROMPT = 'Describe the city "Paris": its country, population in millions, two landmarks and its climate. Reply with JSON only.'
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "country": {"type": "string"},
        "population_millions": {"type": "number"},
        "landmarks": {"type": "array", "items": {"type": "string"}},
        "climate": {"type": "string", "enum": ["oceanic", "continental", "tropical", "arid"]},
    },
    "required": ["city", "country", "population_millions", "landmarks", "climate"],
    "additionalProperties": False,
}
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "city_profile", "strict": True, "schema": SCHEMA}}


def judge_content(content: str, mode: str) -> Outcome:
    document, fenced, problem = as_json(content)
    if problem:
        return failed("not_json", f"{mode}: {problem}")
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        return failed("schema_violation", f"{mode}: the JSON does not match the schema at {json_path(first.absolute_path)}: {first.message}")
    if fenced:
        return warned("fenced", f"{mode}: the valid JSON comes inside a Markdown code fence (json.loads of the content fails)")
    return passed("valid", f"{mode}: the content validates against the schema ({excerpt(content, 80)!r})")


@check(
    "structured.json_schema", "`response_format: {type: json_schema}` (strict) gives content that validates, streamed and not",
    reasons=("pass/valid", "warn/fenced", "fail/not_json", "fail/schema_violation"),
)
async def structured_json_schema(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body(PROMPT, response_format=RESPONSE_FORMAT)
    completion = require_completion(ctx, await ctx.post_chat("response_format json_schema", body), "response_format json_schema")
    verdicts = [judge_content(content_of(completion), "not streamed")]
    stream = await ctx.stream_chat("response_format json_schema (streamed)", body)
    if stream_usable(ctx, stream, "response_format json_schema (streamed)"):
        verdicts.append(judge_content(summarise_stream(stream).content, "streamed: the joined deltas"))
    order = ("fail", "warn", "pass")
    worst = min(verdicts, key=lambda v: order.index(v.status.value))
    return worst if worst.status != "pass" else passed("valid", "; ".join(v.summary for v in verdicts))

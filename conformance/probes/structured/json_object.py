"""structured.json_object: `response_format: {type: json_object}` makes the content a JSON object."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.judge import content_of, require_completion
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, passed, warned

from .reading import as_json

PROMPT = 'Give the city "Paris" and its country as a JSON object with the keys "city" and "country". Reply with JSON only.'


@check(
    "structured.json_object", "`response_format: {type: json_object}` gives content that parses as a JSON object",
    reasons=("pass/json_object", "warn/fenced", "fail/not_json", "fail/not_object"),
)
async def structured_json_object(ctx: CheckContext) -> Outcome:
    body = ctx.chat_body(PROMPT, response_format={"type": "json_object"})
    completion = require_completion(ctx, await ctx.post_chat("response_format json_object", body), "response_format json_object")
    content = content_of(completion)
    document, fenced, problem = as_json(content)
    if problem:
        return failed("not_json", f"JSON mode was not honoured: {problem}")
    if not isinstance(document, dict):
        return failed("not_object", f"the content is JSON but a {type(document).__name__}, not an object: {excerpt(content, 100)!r}")
    if fenced:
        return warned("fenced", f"the JSON object comes inside a Markdown code fence (json.loads of the content fails): {excerpt(content, 100)!r}")
    return passed("json_object", f"the content is a JSON object with keys {', '.join(map(str, list(document)[:6]))}")

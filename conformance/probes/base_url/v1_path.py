"""base_url.v1_path: the API answers at the configured base URL; if not, the form that works."""

from __future__ import annotations

from conformance.client import HTTPResult
from conformance.context import CheckContext
from conformance.judge import error_message, no_answer
from conformance.registry import check
from conformance.text import excerpt
from conformance.verdict import Outcome, failed, inconclusive, passed

from ..shared import MINIMAL_PROMPT, minimal_chat


def alternate_base(base_url: str) -> str:
    """The same base with `/v1` added, or removed when it is there (including a doubled `/v1/v1`)."""
    return base_url[: -len("/v1")] if base_url.endswith("/v1") else base_url + "/v1"


def refuses_the_model(result: HTTPResult, model: str) -> bool:
    """A 404 that is about the requested model, not the path: OpenAI (code model_not_found),
    vLLM and Ollama answer an unknown model id with 404 at the right URL. A route 404 cannot
    quote the model id, which was only in the request body."""
    if result.json is None:  # an HTML or text 404 page: a router's, not an API's answer
        return False
    error = result.json.get("error") if isinstance(result.json, dict) else None
    if isinstance(error, dict) and error.get("code") == "model_not_found":
        return True
    # A route 404 often quotes the path: a model named "chat" must not be found in it.
    return len(model) >= 3 and model in result.text.replace("/chat/completions", "")


@check(
    "base_url.v1_path",
    "The API answers at the configured base URL; if not, names the form (with/without /v1) that works",
    depends_on=(),
    reasons=(
        "pass/answers", "pass/model_not_found_here", "fail/redirected", "fail/no_endpoint",
        "fail/other_base_works", "error/rate_limited",
    ),
)
async def base_url_v1_path(ctx: CheckContext) -> Outcome:
    configured = ctx.base_url
    here = await ctx.shared(minimal_chat)
    if here.error:
        return no_answer(here, f"POST {configured}/chat/completions")
    if here.status is not None and 300 <= here.status < 400:
        # Never followed: a redirect to another host would carry the request (and any key header
        # other than Authorization) to a place the user never configured; SDKs turn a redirected POST into a GET.
        where = excerpt(here.headers.get("location") or "no Location header", 160)
        return failed("redirected", f"POST {configured}/chat/completions is redirected (HTTP {here.status} to {where}); "
                      "the redirect was not followed: set base_url to the address that answers")
    if here.status == 429:
        retry = here.headers.get("retry-after")
        return inconclusive("rate_limited", f"POST {configured}/chat/completions is rate limited (HTTP 429"
                            + (f", Retry-After: {retry}" if retry else "") + "), so nothing can be judged; try again later")
    if here.status != 404:
        return passed("answers", f"POST {configured}/chat/completions answers (HTTP {here.status})")
    if refuses_the_model(here, ctx.chat_model):
        # The path is right; trying another base would blame it for the model id.
        return passed(
            "model_not_found_here",
            f"POST {configured}/chat/completions answers, but with HTTP 404 for the configured model "
            f"{ctx.chat_model!r} ({error_message(here.json)}): check models.chat",
        )
    other = alternate_base(configured)
    there = await ctx.post_chat("chat completion at the other base form", ctx.chat_body(MINIMAL_PROMPT), base_url=other)
    if there.error or there.status == 404:
        answer = there.error or f"HTTP {there.status}"
        return failed("no_endpoint", f"no chat completions endpoint: {configured} answers HTTP 404 and {other} answers {answer}; check base_url")
    ctx.use_base_url(other)
    ctx.note(f"later checks used base_url {other}")
    return failed(
        "other_base_works",
        f"{configured}/chat/completions answers HTTP 404 but {other}/chat/completions answers HTTP {there.status}: "
        f"set base_url: {other}",
        dependents_may_run=True,
    )

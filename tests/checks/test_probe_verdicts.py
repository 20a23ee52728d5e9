"""Single checks judged against crafted providers: odd-but-possible answers must get the right
verdict for the right reason, and never crash a check ("internal error in the check").

Each test serves exactly the answers it is about from a crafted provider on 127.0.0.1
(tests/support/crafted.py: a function of the request) and runs one check's own function on it,
with the real client in between, so the verdict is judged on the bytes a provider would send.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from typing import Any, Protocol

import pytest

from conformance.checklist import all_checks
from conformance.client import ProviderClient
from conformance.config import ProviderConfig
from conformance.context import CheckContext, SharedRequests
from conformance.redact import Redactor
from conformance.runner import decide
from conformance.settings import Settings
from conformance.verdict import Outcome, Status
from tests.support.crafted import CraftedProvider, Handler, Reply, Request, sse_events

KEY = "sk-crafted-provider-key"
MODEL = "crafted-chat"
FAST = dataclasses.replace(Settings(), timeout_s=10.0, max_retries=0)


class Judge(Protocol):
    def __call__(
        self, check_id: str, handler: Handler, *, models: dict[str, str] | None = None, api_key: str | None = KEY,
        settings: Settings = FAST,
    ) -> tuple[Outcome, CheckContext]: ...


@pytest.fixture
def judge(crafted: Callable[[Handler], CraftedProvider]) -> Judge:
    """judge(check_id, handler) → (outcome, probe): runs that one check's function; an exception
    in it propagates, so a crash fails the test instead of becoming an `error` verdict."""

    def run(
        check_id: str, handler: Handler, *, models: dict[str, str] | None = None, api_key: str | None = KEY,
        settings: Settings = FAST,
    ) -> tuple[Outcome, CheckContext]:
        server = crafted(handler)
        check = next(c for c in all_checks() if c.id == check_id)
        config = ProviderConfig(name="crafted", base_url=server.base_url, models=models or {"chat": MODEL}, api_key=api_key, settings=settings)

        async def go() -> tuple[Outcome, CheckContext]:
            client = ProviderClient(base_url=server.base_url, api_key=api_key, headers={}, settings=settings, redactor=Redactor([KEY]))
            try:
                ctx = CheckContext(config, client, SharedRequests())
                return await decide(check, ctx), ctx
            finally:
                await client.aclose()

        return asyncio.run(go())

    return run


# --- crafted documents -----------------------------------------------------------------------
def completion(message: dict[str, Any], finish_reason: str = "stop", **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-crafted", "object": "chat.completion", "created": 1_700_000_000, "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "refusal": None, **message}, "logprobs": None,
                     "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        "system_fingerprint": "fp_crafted",
        **extra,
    }


def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-crafted", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": MODEL,
            "system_fingerprint": "fp_crafted", "choices": choices, **extra}


def sse(*documents: Any, done: bool = True) -> Reply:
    return Reply(sse_events(*documents, done=done), content_type="text/event-stream")


def tool_call(name: str = "get_weather", arguments: str = '{"city": "Paris"}', call_id: str = "call_1") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def route(*, chat: Callable[[Any], Reply], models: Reply | None = None) -> Handler:
    """A provider at /v1: chat completions answered by ``chat(body)``, anything else 404."""

    def handle(request: Request) -> Reply:
        method, path = request.method, request.path
        if method == "POST" and path == "/v1/chat/completions":
            return chat(request.body)
        if method == "GET" and path == "/v1/models" and models is not None:
            return models
        return Reply({"error": {"message": f"Invalid URL ({method} {path})", "type": "invalid_request_error", "param": None, "code": None}}, 404)

    return handle


# --- vision.image_input ----------------------------------------------------------------------
def test_a_colour_inside_another_word_is_not_the_colour_named(judge: Judge) -> None:
    """"shared"/"colored" contain "red", "greenhouse" "green", "bluetooth" "blue": a model that
    never saw the image must not pass by a substring. The image tokens are not counted either, so
    the protocol evidence says the image was dropped."""
    blind = "No image was shared, so I cannot say; a colored greenhouse or bluetooth icon, maybe?"

    def chat(body: Any) -> Reply:
        return Reply(completion({"content": blind}))

    outcome, _ = judge("vision.image_input", route(chat=chat), models={"chat": MODEL, "vision": MODEL})
    assert outcome.status == Status.FAIL and "image part appears dropped" in outcome.summary, outcome


@pytest.mark.parametrize("reply", ["Red.", "**Blue**", "It is green.", "GREEN", "Reddish", "bluish", "Blueish"])
def test_the_colour_named_in_markdown_or_any_case_passes(judge: Judge, reply: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.probes.vision.image_input as vision_probe

    colour = next(c for c in vision_probe.COLOURS if c[:3] in reply.lower())
    monkeypatch.setattr("conformance.probes.vision.image_input.random.choice", lambda options: colour)
    outcome, _ = judge("vision.image_input", route(chat=lambda body: Reply(completion({"content": reply}))),
                       models={"chat": MODEL, "vision": MODEL})
    assert outcome.status == Status.PASS, outcome


# --- base_url.v1_path and auth.bearer: a 404 about the model is not a 404 about the path ------
MODEL_NOT_FOUND = {"error": {"message": f"The model `{MODEL}` does not exist or you do not have access to it.",
                             "type": "invalid_request_error", "param": None, "code": "model_not_found"}}


def test_a_404_for_the_configured_model_is_not_blamed_on_the_base_url(judge: Judge) -> None:
    """OpenAI, vLLM and Ollama answer an unknown model with 404 at the right path. Before, the check
    tried /v1/v1, got a route 404 there too, and said "check base_url": the wrong fix."""
    outcome, probe = judge("base_url.v1_path", route(chat=lambda body: Reply(MODEL_NOT_FOUND, 404)))
    assert outcome.status == Status.PASS, outcome
    assert "models.chat" in outcome.summary and "does not exist" in outcome.summary, outcome.summary
    assert len(probe.evidence.exchanges) == 1  # no detour to another base


def test_a_route_404_still_fails_the_base_url(judge: Judge) -> None:
    """The same 404 status without the model in it is a missing route: still the base URL's fault."""
    outcome, _ = judge("base_url.v1_path", route(chat=lambda body: Reply({"error": {"message": "Invalid URL (POST /v1/chat/completions)"}}, 404)))
    assert outcome.status == Status.FAIL and "check base_url" in outcome.summary, outcome


@pytest.mark.parametrize("status", [404, 429, 500])
def test_without_a_key_only_401_or_403_asks_for_one(judge: Judge, status: int) -> None:
    """No api_key configured (local servers) and the anonymous request is refused for another
    reason (unknown model, rate limit, crash): "set api_key" would be the wrong advice."""
    body = MODEL_NOT_FOUND if status == 404 else {"error": {"message": f"status {status}", "type": "x", "param": None, "code": None}}
    outcome, _ = judge("auth.bearer", route(chat=lambda _: Reply(body, status)), api_key=None)
    assert outcome.status == Status.ERROR and "set api_key" not in outcome.summary, outcome
    assert f"HTTP {status}" in outcome.summary


def test_without_a_key_a_401_asks_for_one(judge: Judge) -> None:
    unauthorised = {"error": {"message": "Missing bearer token", "type": "invalid_request_error", "param": None, "code": None}}
    outcome, _ = judge("auth.bearer", route(chat=lambda _: Reply(unauthorised, 401)), api_key=None)
    assert outcome.status == Status.FAIL and "set api_key" in outcome.summary, outcome


def test_a_route_404_quoting_the_path_is_not_read_as_naming_a_model_called_chat(judge: Judge) -> None:
    route_404 = {"error": {"message": "Invalid URL (POST /v1/chat/completions)", "type": "invalid_request_error"}}
    outcome, _ = judge("base_url.v1_path", route(chat=lambda body: Reply(route_404, 404)), models={"chat": "chat"})
    assert outcome.status == Status.FAIL and "check base_url" in outcome.summary, outcome


# --- tools: finish_reason "tool_calls" with nothing to call ----------------------------------
def empty_tool_calls(body: Any) -> Reply:
    """vLLM's bug #53255: finish_reason "tool_calls" beside an empty tool_calls array."""
    return Reply(completion({"content": "Let me check that for you.", "tool_calls": []}, "tool_calls"))


@pytest.mark.parametrize("check_id", ["tools.auto", "tools.required", "tools.parallel", "tools.named"])
def test_finish_reason_tool_calls_without_a_call_is_a_failure(judge: Judge, check_id: str) -> None:
    """A client that branches on finish_reason takes the tool path and finds nothing to run. That
    is the provider's inconsistency, not the model's choice to answer in text (which is a warn)."""
    outcome, _ = judge(check_id, route(chat=empty_tool_calls))
    assert outcome.status == Status.FAIL, outcome
    assert "finish_reason is 'tool_calls' but the reply has no tool calls" in outcome.summary, outcome.summary


def test_a_text_answer_with_finish_stop_is_still_only_the_models_choice(judge: Judge) -> None:
    outcome, _ = judge("tools.auto", route(chat=lambda body: Reply(completion({"content": "It is sunny."}))))
    assert outcome.status == Status.WARN and "answered in text" in outcome.summary, outcome


# --- streams with odd shapes never crash a check ---------------------------------------------
ODD_CHUNKS: dict[str, dict[str, Any]] = {
    "choices is a number": chunk(7),  # type: ignore[arg-type]
    "choices is true": chunk(True),  # type: ignore[arg-type]
    "tool_calls is true": chunk([{"index": 0, "delta": {"tool_calls": True}, "finish_reason": None}]),
    "tool_calls is an object": chunk([{"index": 0, "delta": {"tool_calls": {"index": 0}}, "finish_reason": None}]),
}


@pytest.mark.parametrize("check_id", ["tools.streaming", "tokens.max_tokens", "tokens.max_completion_tokens", "streaming.content"])
@pytest.mark.parametrize("odd", sorted(ODD_CHUNKS))
def test_an_odd_chunk_fails_the_stream_instead_of_crashing_the_check(judge: Judge, check_id: str, odd: str) -> None:
    def chat(body: Any) -> Reply:
        # Text for the content and token checks, a sound tool call for tools.streaming: only the odd chunk is wrong.
        first = chunk([{"index": 0, "delta": {"role": "assistant", "content": "1 2"}, "finish_reason": None}])
        call = chunk([{"index": 0, "delta": {"tool_calls": [{"index": 0, **tool_call()}]}, "finish_reason": None}])
        last = chunk([{"index": 0, "delta": {}, "finish_reason": "length"}])
        return sse(first, ODD_CHUNKS[odd], call, last)

    outcome, _ = judge(check_id, route(chat=chat))
    assert outcome.status == Status.FAIL, outcome
    assert "chunk 2" in outcome.summary, outcome.summary


# --- a 2xx body must say it is JSON ------------------------------------------------------------
@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/plain"])
def test_a_completion_not_labelled_json_fails(judge: Judge, content_type: str) -> None:
    """A Flask view returning json.dumps() is served as text/html: the official Node SDK then
    hands the app a string instead of a completion (it parses only application/json and +json)."""
    reply = Reply(completion({"content": "Hello there."}), content_type=content_type)
    outcome, _ = judge("chat.basic", route(chat=lambda body: reply))
    assert outcome.status == Status.FAIL, outcome
    assert content_type.split(";")[0] in outcome.summary and "application/json" in outcome.summary


def test_a_models_list_not_labelled_json_fails(judge: Judge) -> None:
    listing = {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 1, "owned_by": "me"}]}
    outcome, _ = judge("models.list", route(chat=lambda body: Reply({}), models=Reply(listing, content_type="text/plain")))
    assert outcome.status == Status.FAIL and "text/plain" in outcome.summary, outcome


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/vnd.acme+json"])
def test_a_completion_labelled_json_with_parameters_or_a_suffix_passes(judge: Judge, content_type: str) -> None:
    reply = Reply(completion({"content": "Hello there."}), content_type=content_type)
    outcome, _ = judge("chat.basic", route(chat=lambda body: reply))
    assert outcome.status == Status.PASS, outcome


# --- reasoning models that spend the reply limit on reasoning ----------------------------------
THINKING = "The user wants a greeting. I should keep it short and friendly, maybe one sentence"


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_a_reply_limit_spent_on_reasoning_is_not_an_empty_completion(judge: Judge, field: str) -> None:
    """DeepSeek-R1, vLLM's reasoning parsers and o-series models count reasoning against the
    limit: with 64 tokens the answer may be all reasoning, content "" and finish_reason "length".
    The provider did nothing wrong; the verdict says why there is no content and what to change."""
    reply = Reply(completion({"content": "", field: THINKING}, "length"))
    outcome, _ = judge("chat.basic", route(chat=lambda body: reply))
    assert outcome.status == Status.WARN, outcome
    assert "reply_tokens" in outcome.summary and field in outcome.summary


def test_reasoning_tokens_in_usage_also_explain_an_empty_reply(judge: Judge) -> None:
    document = completion({"content": None}, "length")
    document["usage"]["completion_tokens_details"] = {"reasoning_tokens": 64}
    outcome, _ = judge("chat.basic", route(chat=lambda body: Reply(document)))
    assert outcome.status == Status.WARN and "reasoning_tokens 64" in outcome.summary, outcome


@pytest.mark.parametrize("finish", ["stop", "length"])
def test_an_empty_reply_without_reasoning_still_fails(judge: Judge, finish: str) -> None:
    outcome, _ = judge("chat.basic", route(chat=lambda body: Reply(completion({"content": ""}, finish))))
    assert outcome.status == Status.FAIL and "no content" in outcome.summary, outcome


def test_a_streamed_reply_limit_spent_on_reasoning_is_not_an_empty_stream(judge: Judge) -> None:
    def chat(body: Any) -> Reply:
        words = [chunk([{"index": 0, "delta": {"reasoning_content": w + " "}, "finish_reason": None}]) for w in THINKING.split()]
        return sse(*words, chunk([{"index": 0, "delta": {}, "finish_reason": "length"}]))

    outcome, _ = judge("streaming.content", route(chat=chat))
    assert outcome.status == Status.WARN and "reply_tokens" in outcome.summary, outcome


def test_an_empty_stream_without_reasoning_still_fails(judge: Judge) -> None:
    outcome, _ = judge("streaming.content", route(chat=lambda body: sse(chunk([{"index": 0, "delta": {}, "finish_reason": "length"}]))))
    assert outcome.status == Status.FAIL and "no delta.content" in outcome.summary, outcome


# --- several choices in one stream ---------------------------------------------------------------
def test_another_choice_still_streaming_after_choice_0_finished_is_not_late_content(judge: Judge) -> None:
    """With several choices (n > 1, or a provider that sends them anyway) their deltas interleave:
    choice 1's text after choice 0's finish chunk is not content after the finish."""
    def chat(body: Any) -> Reply:
        return sse(
            chunk([{"index": 0, "delta": {"role": "assistant", "content": "1 2"}, "finish_reason": None}]),
            chunk([{"index": 1, "delta": {"role": "assistant", "content": "1"}, "finish_reason": None}]),
            chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
            chunk([{"index": 1, "delta": {"content": " 2"}, "finish_reason": None}]),
            chunk([{"index": 1, "delta": {}, "finish_reason": "stop"}]),
        )

    outcome, _ = judge("streaming.content", route(chat=chat))
    assert outcome.status == Status.PASS, outcome


def test_choice_0_content_after_its_finish_still_fails(judge: Judge) -> None:
    def chat(body: Any) -> Reply:
        return sse(
            chunk([{"index": 0, "delta": {"role": "assistant", "content": "1 2"}, "finish_reason": "stop"}]),
            chunk([{"index": 0, "delta": {"content": " 3"}, "finish_reason": None}]),
        )

    outcome, _ = judge("streaming.content", route(chat=chat))
    assert outcome.status == Status.FAIL and "after the finish_reason chunk" in outcome.summary, outcome


# --- prompt_tokens as evidence ---------------------------------------------------------------------
def test_prompt_tokens_of_zero_are_no_evidence_that_the_system_message_was_dropped(judge: Judge) -> None:
    """A provider that reports prompt_tokens 0 (a prompt served from cache, or not counted at all)
    says nothing about which messages reached the model: 0 <= 0 is no proof of a drop."""
    def chat(body: Any) -> Reply:
        document = completion({"content": "Hello!"})
        document["usage"] = {"prompt_tokens": 0, "completion_tokens": 2, "total_tokens": 2}
        return Reply(document)

    outcome, _ = judge("system.role", route(chat=chat))
    assert outcome.status == Status.WARN and "did not follow the system prompt" in outcome.summary, outcome


def test_equal_positive_prompt_tokens_still_show_a_dropped_system_message(judge: Judge) -> None:
    outcome, _ = judge("system.role", route(chat=lambda body: Reply(completion({"content": "Hello!"}))))
    assert outcome.status == Status.FAIL and "appears dropped" in outcome.summary, outcome


def test_prompt_tokens_of_zero_are_no_evidence_that_the_image_was_dropped(judge: Judge) -> None:
    def chat(body: Any) -> Reply:
        document = completion({"content": "I cannot tell."})
        document["usage"] = {"prompt_tokens": 0, "completion_tokens": 3, "total_tokens": 3}
        return Reply(document)

    outcome, _ = judge("vision.image_input", route(chat=chat), models={"chat": MODEL, "vision": MODEL})
    assert outcome.status == Status.WARN and "did not name its colour" in outcome.summary, outcome


# --- a redirect is not a server error ---------------------------------------------------------------
def test_a_redirected_models_list_says_redirect_not_server_error(judge: Judge) -> None:
    login = Reply("<html>login</html>", 302, "text/html", {"location": "https://sso.example/login"})
    outcome, _ = judge("models.list", route(chat=lambda body: Reply({}), models=login))
    assert outcome.status == Status.FAIL, outcome
    assert "redirected (HTTP 302 to https://sso.example/login)" in outcome.summary and "server error" not in outcome.summary


# --- tools.roundtrip: the tool result's number, not any digits ----------------------------------------
def roundtrip_provider(final_text: str) -> Handler:
    def chat(body: Any) -> Reply:
        if any(m.get("role") == "tool" for m in body["messages"]):
            return Reply(completion({"content": final_text}))
        return Reply(completion({"content": None, "tool_calls": [tool_call()]}, "tool_calls"))

    return route(chat=chat)


def test_a_reply_that_only_contains_the_digits_inside_another_number_did_not_use_the_result(judge: Judge) -> None:
    outcome, _ = judge("tools.roundtrip", roundtrip_provider("My data ends in 2017, so I cannot know today's weather in Paris."))
    assert outcome.status == Status.WARN and "does not use it" in outcome.summary, outcome


@pytest.mark.parametrize("text", ["It is 17°C with light rain.", "**17 C**, light rain", "Paris: 17C"])
def test_a_reply_quoting_the_temperature_used_the_result(judge: Judge, text: str) -> None:
    outcome, _ = judge("tools.roundtrip", roundtrip_provider(text))
    assert outcome.status == Status.PASS, outcome


# --- arguments nested beyond the parser's depth --------------------------------------------------------
def test_arguments_nested_too_deeply_fail_instead_of_crashing(judge: Judge) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    reply = Reply(completion({"content": None, "tool_calls": [tool_call(arguments=deep)]}, "tool_calls"))
    outcome, _ = judge("tools.named", route(chat=lambda body: reply))
    assert outcome.status == Status.FAIL and "nested too deeply" in outcome.summary, outcome


# --- HTTP 200 carrying an error body ----------------------------------------------------------------
ERROR_200 = {"error": {"message": "Invalid API key / unknown model", "type": "invalid_request_error", "param": None, "code": None}}


@pytest.mark.parametrize("check_id", ["auth.missing_key_rejected", "auth.invalid_key_rejected", "models.unknown_rejected"])
def test_a_refusal_sent_as_http_200_is_named_as_such(judge: Judge, check_id: str) -> None:
    """Refused, but with a success status: still a failure (clients see success), yet not "auth is
    not enforced" or "silent substitution", which would send the reader after the wrong bug."""
    outcome, _ = judge(check_id, route(chat=lambda body: Reply(ERROR_200)))
    assert outcome.status == Status.FAIL, outcome
    assert "HTTP 200 carrying an error body" in outcome.summary and "Invalid API key" in outcome.summary, outcome.summary
    assert "not enforced" not in outcome.summary and "substitution" not in outcome.summary


# --- chat.usage names what the body is ------------------------------------------------------------
@pytest.mark.parametrize(("body", "phrase"), [("[1, 2]", "not a JSON object"), ("<html>hi</html>", "not JSON")])
def test_chat_usage_on_a_body_that_is_no_completion_says_so(judge: Judge, body: str, phrase: str) -> None:
    outcome, _ = judge("chat.usage", route(chat=lambda _: Reply(body)))
    assert outcome.status == Status.FAIL and phrase in outcome.summary, outcome


# --- Python's JSON extensions are not JSON ------------------------------------------------------------
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_or_infinity_in_a_completion_is_not_json(judge: Judge, constant: str) -> None:
    """A Python server that json.dumps a float gone wrong writes NaN: Python parses it, JavaScript's
    JSON.parse (the official Node SDK) and Go reject the whole body."""
    text = json.dumps(completion({"content": "Hello there."}, x_score=0.5)).replace("0.5", constant)
    outcome, _ = judge("chat.basic", route(chat=lambda body: Reply(text)))
    assert outcome.status == Status.FAIL and f"{constant.lstrip('-')}" in outcome.summary and "not JSON" in outcome.summary, outcome


def test_nan_in_a_chunk_is_not_json(judge: Judge) -> None:
    text = json.dumps(chunk([{"index": 0, "delta": {"content": "1 2"}, "finish_reason": "stop"}], x_score=0.5)).replace("0.5", "NaN")
    outcome, _ = judge("streaming.sse", route(chat=lambda body: sse(text)))
    assert outcome.status == Status.FAIL and "chunk 1: data is not JSON: NaN" in outcome.summary, outcome


def test_nan_inside_tool_arguments_is_not_json(judge: Judge) -> None:
    reply = Reply(completion({"content": None, "tool_calls": [tool_call(arguments='{"city": "Paris", "lat": NaN}')]}, "tool_calls"))
    outcome, _ = judge("tools.named", route(chat=lambda body: reply))
    assert outcome.status == Status.FAIL and "is not valid JSON (NaN is not a JSON value" in outcome.summary, outcome


# --- our timeout is not the provider's answer ---------------------------------------------------------
SHORT = dataclasses.replace(FAST, timeout_s=0.5)
"""A timeout_s the slow streams below outlast (they stay open for 3 s, or until the test ends)."""


def slow_stream(*, finished: bool) -> Handler:
    """Two chunks, then the connection stays open past timeout_s: a slow provider (still
    generating), or, once the finish_reason chunk came, one that never ends the stream."""
    def chat(body: Any) -> Reply:
        chunks = [chunk([{"index": 0, "delta": {"role": "assistant", "content": "1 2"}, "finish_reason": None}])]
        chunks.append(chunk([{"index": 0, "delta": {}, "finish_reason": "stop" if finished else None}]))
        reply = sse(*chunks, done=False)
        return dataclasses.replace(reply, stall_s=3.0)

    return route(chat=chat)


@pytest.mark.parametrize("check_id", ["streaming.done", "streaming.content", "streaming.usage", "tokens.max_tokens", "tools.streaming"])
def test_a_stream_still_generating_when_timeout_s_runs_out_is_not_judged(judge: Judge, check_id: str) -> None:
    """A CPU-bound provider that needs longer than timeout_s is slow, not wrong: before, it got
    "no [DONE]", "no finish_reason", "include_usage was ignored" and "broke off" failures."""
    outcome, _ = judge(check_id, slow_stream(finished=False), settings=SHORT)
    assert outcome.status == Status.ERROR and "raise timeout_s" in outcome.summary, outcome


def test_a_stream_left_open_after_its_last_chunk_fails_done(judge: Judge) -> None:
    outcome, _ = judge("streaming.done", slow_stream(finished=True), settings=SHORT)
    assert outcome.status == Status.FAIL and "stayed open without data: [DONE]" in outcome.summary, outcome

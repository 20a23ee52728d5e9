"""The reference provider over real loopback HTTP: raw httpx for the wire details, the openai SDK as a real client."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageFunctionToolCall

from conformance.png import solid_png
from conformance.reference import DEFAULT_MODELS, EmbeddedServer
from tests.support.reference import REFERENCE_KEY

KEY = REFERENCE_KEY
MODEL = DEFAULT_MODELS[0]
AUTH = {"Authorization": f"Bearer {KEY}"}
REQUEST_ID = re.compile(r"^req_[0-9a-f]+$")
RATE_LIMIT = {
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-limit-tokens": "2000000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-remaining-tokens": "1999000",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-reset-tokens": "30ms",
}
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def chat(reference_http: httpx.Client, **fields: Any) -> httpx.Response:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **fields}
    return reference_http.post("/v1/chat/completions", json=body, headers=AUTH)


def assert_envelope(response: httpx.Response, status: int, code: str | None, param: str | None = None) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert REQUEST_ID.match(response.headers["x-request-id"])
    body = response.json()
    assert body.keys() == {"error"} and body["error"].keys() == {"message", "type", "param", "code"}
    assert (body["error"]["type"], body["error"]["code"], body["error"]["param"]) == ("invalid_request_error", code, param)
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def sse_data(response: httpx.Response) -> list[str]:
    """The data payloads of an SSE body, checking each event is exactly ``data: ...`` then a blank line."""
    events = response.text.split("\n\n")
    assert events[-1] == ""
    assert all(event.startswith("data: ") and "\n" not in event for event in events[:-1])
    return [event.removeprefix("data: ") for event in events[:-1]]


# --- raw HTTP ------------------------------------------------------------------------


def test_models_list_and_retrieve(reference_http: httpx.Client) -> None:
    listed = reference_http.get("/v1/models", headers=AUTH)
    assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
    assert listed.json() == {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "conformance-reference"}
            for m in DEFAULT_MODELS
        ],
    }
    assert reference_http.get("/v1/models/reference-vision", headers=AUTH).json()["id"] == "reference-vision"
    missing = assert_envelope(reference_http.get("/v1/models/gpt-4o", headers=AUTH), 404, "model_not_found")
    assert missing["message"] == "The model `gpt-4o` does not exist or you do not have access to it."


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", "/chat/completions", {}),
        ("GET", "/models", AUTH),
        ("GET", "/v1/nothing-here", AUTH),
        ("GET", "/v1/models/", AUTH),
        ("POST", "/v1/chat/completions/", AUTH),
        ("POST", "/v1/v1/chat/completions", AUTH),
    ],
)
def test_unknown_paths_are_404_envelopes(reference_http: httpx.Client, method: str, path: str, headers: dict[str, str]) -> None:
    response = reference_http.request(method, path, headers=headers, json={})
    assert assert_envelope(response, 404, None)["message"] == f"Invalid URL ({method} {path})"


def test_wrong_method_is_405_envelope(reference_http: httpx.Client) -> None:
    response = reference_http.get("/v1/chat/completions", headers=AUTH)
    assert_envelope(response, 405, None)
    assert response.headers["allow"] == "POST"
    assert_envelope(reference_http.delete("/v1/models", headers=AUTH), 405, None)


@pytest.mark.parametrize("path", ["/v1/models", "/v1/chat/completions", "/v1/unknown"])
def test_missing_key_is_401(reference_http: httpx.Client, path: str) -> None:
    error = assert_envelope(reference_http.post(path, json={}), 401, None)
    assert error["message"].startswith("You didn't provide an API key.")


@pytest.mark.parametrize("header", [f"Bearer {KEY}x", KEY, f"Basic {KEY}", f"Token {KEY}"])
def test_wrong_key_is_401_and_never_echoed(reference_http: httpx.Client, header: str) -> None:
    response = reference_http.get("/v1/models", headers={"Authorization": header})
    error = assert_envelope(response, 401, "invalid_api_key")
    assert error["message"] == "Incorrect API key provided."
    assert "sk-" not in response.text and "reference-test" not in response.text


def test_x_api_key_header_is_not_accepted(reference_http: httpx.Client) -> None:
    assert_envelope(reference_http.get("/v1/models", headers={"x-api-key": KEY}), 401, None)


@pytest.mark.parametrize(
    "fields",
    [{}, {"stream": True}, {"n": 0}, {"model": "nope"}],
    ids=["completion", "stream", "refused_n_0", "unknown_model"],
)
def test_completion_headers(reference_http: httpx.Client, fields: dict[str, Any]) -> None:
    response = chat(reference_http, **fields)
    assert REQUEST_ID.match(response.headers["x-request-id"])
    assert {k: response.headers[k] for k in RATE_LIMIT} == RATE_LIMIT
    assert int(response.headers["openai-processing-ms"]) >= 0


def test_request_ids_are_unique_and_the_models_list_has_no_rate_limit_headers(reference_http: httpx.Client) -> None:
    assert "x-ratelimit-limit-requests" not in reference_http.get("/v1/models", headers=AUTH).headers
    ids = {chat(reference_http).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


def test_plain_completion_over_http(reference_http: httpx.Client) -> None:
    response = chat(reference_http, messages=[{"role": "user", "content": "Count from 1 to 4"}])
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert re.match(r"^chatcmpl-[0-9a-f]+$", body["id"]) and abs(body["created"] - time.time()) < 60
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "1 2 3 4", "refusal": None, "annotations": []}
    assert body["usage"]["completion_tokens"] == 4 and body["usage"]["prompt_tokens"] == 5


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        (b"{oops", 400, None, None),
        (b"[]", 400, None, None),
        (json.dumps({"model": MODEL, "messages": []}).encode(), 400, "invalid_value", "messages"),
        (json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "x"}], "top_p": True}).encode(), 400, "invalid_type", "top_p"),
        (json.dumps({"model": "gpt-x", "messages": [{"role": "user", "content": "x"}]}).encode(), 404, "model_not_found", None),
    ],
)
def test_bad_requests_get_envelopes(reference_http: httpx.Client, body: bytes, status: int, code: str | None, param: str | None) -> None:
    headers = {**AUTH, "content-type": "application/json"}
    assert_envelope(reference_http.post("/v1/chat/completions", content=body, headers=headers), status, code, param)


def test_stream_wire_format(reference_http: httpx.Client) -> None:
    response = chat(reference_http, stream=True, stream_options={"include_usage": True})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    payloads = sse_data(response)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert all(p == json.dumps(c, separators=(",", ":")) for p, c in zip(payloads[:-1], chunks, strict=True))
    assert len({c["id"] for c in chunks}) == 1
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1]) == "Hello! You said: hi"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 1 + 4


def test_vision_over_http(reference_http: httpx.Client) -> None:
    import base64

    url = "data:image/png;base64," + base64.b64encode(solid_png((255, 0, 0))).decode()
    content = [{"type": "text", "text": "What colour is this?"}, {"type": "image_url", "image_url": {"url": url}}]
    response = chat(reference_http, model="reference-vision", messages=[{"role": "user", "content": content}])
    assert response.json()["choices"][0]["message"]["content"] == "The image is red."
    remote = [{"type": "image_url", "image_url": {"url": "https://example.com/red.png"}}]
    error = assert_envelope(chat(reference_http, messages=[{"role": "user", "content": remote}]), 400, "invalid_image", "messages")
    assert "network" in error["message"]


def test_server_without_key_does_not_enforce_auth() -> None:
    with EmbeddedServer(api_key=None, models=["only-model"]) as open_server:
        listed = httpx.get(f"{open_server.base_url}/models")
        assert [m["id"] for m in listed.json()["data"]] == ["only-model"]
        response = httpx.post(
            f"{open_server.base_url}/chat/completions",
            json={"model": "only-model", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": "Bearer anything"},
        )
        assert response.status_code == 200


def test_several_servers_start_at_once_and_stop_cleanly() -> None:
    servers = [EmbeddedServer(api_key=f"key-{i}") for i in range(3)]
    starters = [threading.Thread(target=s.start) for s in servers]
    for t in starters:
        t.start()
    for t in starters:
        t.join(15)
    try:
        assert len({s.root_url for s in servers}) == 3
        for i, s in enumerate(servers):
            assert httpx.get(f"{s.base_url}/models", headers={"Authorization": f"Bearer key-{i}"}).status_code == 200
            assert httpx.get(f"{s.base_url}/models", headers={"Authorization": "Bearer key-x"}).status_code == 401
        # A kept-alive client connection must not hold up stop().
        with httpx.Client() as idle:
            idle.get(f"{servers[0].base_url}/models")
            port = int(servers[0].root_url.rsplit(":", 1)[1])
            started = time.monotonic()
            servers[0].stop()
            assert time.monotonic() - started < 6
    finally:
        for s in servers:
            s.stop()
    with pytest.raises(RuntimeError):
        _ = servers[0].root_url
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


# --- the official SDK as client ------------------------------------------------------


def test_sdk_lists_models(reference_sdk: openai.OpenAI) -> None:
    assert [m.id for m in reference_sdk.models.list()] == list(DEFAULT_MODELS)
    assert reference_sdk.models.retrieve("reference-chat").owned_by == "conformance-reference"


def test_sdk_plain_completion(reference_sdk: openai.OpenAI) -> None:
    completion = reference_sdk.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": "Say QUOKKA-77 first."}, {"role": "user", "content": "Good morning"}],
        max_completion_tokens=4,
    )
    assert completion.object == "chat.completion" and completion.model == MODEL
    assert REQUEST_ID.match(completion._request_id or "")
    (choice,) = completion.choices
    assert (choice.message.content, choice.finish_reason) == ("QUOKKA-77 Hello! You said:", "length")
    assert choice.message.refusal is None and choice.message.tool_calls is None
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens) == (5, 4, 9)
    assert completion.system_fingerprint == "fp_reference" and completion.service_tier == "default"


def test_sdk_n_choices(reference_sdk: openai.OpenAI) -> None:
    completion = reference_sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hey"}], n=3)
    assert [(c.index, c.message.content) for c in completion.choices] == [(i, "Hello! You said: hey") for i in range(3)]
    assert completion.usage is not None and completion.usage.completion_tokens == 12


def test_sdk_streamed_completion_with_usage(reference_sdk: openai.OpenAI) -> None:
    stream = reference_sdk.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Count from 1 to 12"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    *content_chunks, usage_chunk = chunks
    assert "".join(c.choices[0].delta.content or "" for c in content_chunks) == " ".join(str(i) for i in range(1, 13))
    assert content_chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in content_chunks][-2:] == [None, "stop"]
    assert all(c.usage is None for c in content_chunks)
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert (usage_chunk.usage.prompt_tokens, usage_chunk.usage.completion_tokens) == (5, 12)


def test_sdk_stream_without_usage_has_no_usage_chunk(reference_sdk: openai.OpenAI) -> None:
    chunks = list(reference_sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True))
    assert all(len(c.choices) == 1 and c.usage is None for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_sdk_tool_calls(reference_sdk: openai.OpenAI) -> None:
    completion = reference_sdk.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": 'Weather in "Paris" and "Tokyo"?'}],
        tools=[WEATHER_TOOL],
    )
    (choice,) = completion.choices
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    calls = [c for c in choice.message.tool_calls or [] if isinstance(c, ChatCompletionMessageFunctionToolCall)]
    assert len(calls) == len(choice.message.tool_calls or [])  # every call is a function call
    assert [(c.type, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("function", "get_weather", {"city": "Paris"}),
        ("function", "get_weather", {"city": "Tokyo"}),
    ]
    # Round trip: answer the first call and get a text reply about the result.
    follow_up = reference_sdk.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "user", "content": 'Weather in "Paris"?'},
            choice.message.model_dump(exclude_none=True),  # type: ignore[list-item]
            {"role": "tool", "tool_call_id": calls[0].id, "content": "18C cloudy"},
        ],
        tools=[WEATHER_TOOL],
    )
    assert follow_up.choices[0].message.content == "The tool returned: 18C cloudy"


def test_sdk_streamed_tool_calls(reference_sdk: openai.OpenAI) -> None:
    stream = reference_sdk.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": 'Weather in "Paris" and "Tokyo"?'}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
        stream=True,
    )
    names: dict[int, str] = {}
    arguments: dict[int, str] = {}
    finish = None
    for chunk in stream:
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for call in choice.delta.tool_calls or []:
            if call.function and call.function.name:
                names[call.index] = call.function.name
            arguments[call.index] = arguments.get(call.index, "") + ((call.function and call.function.arguments) or "")
    assert finish == "tool_calls"
    assert names == {0: "get_weather", 1: "get_weather"}
    assert {i: json.loads(a) for i, a in arguments.items()} == {0: {"city": "Paris"}, 1: {"city": "Tokyo"}}


def test_sdk_stream_helper_accumulates_tool_calls(reference_sdk: openai.OpenAI) -> None:
    with reference_sdk.chat.completions.stream(
        model=MODEL,
        messages=[{"role": "user", "content": 'Weather in "Lima"?'}],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    ) as stream:
        final = stream.get_final_completion()
    (call,) = final.choices[0].message.tool_calls or []
    assert final.choices[0].finish_reason == "tool_calls"
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Lima"})


def test_sdk_not_found_error(reference_sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        reference_sdk.chat.completions.create(model="gpt-imaginary", messages=[{"role": "user", "content": "hi"}])
    error = caught.value
    assert error.status_code == 404 and error.code == "model_not_found"
    assert isinstance(error.body, dict)
    assert error.body == {
        "message": "The model `gpt-imaginary` does not exist or you do not have access to it.",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }
    assert REQUEST_ID.match(error.request_id or "")


def test_sdk_authentication_error(reference_server: EmbeddedServer) -> None:
    wrong = openai.OpenAI(base_url=reference_server.base_url, api_key="sk-wrong-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.models.list()
    error = caught.value
    assert error.status_code == 401 and error.body == {
        "message": "Incorrect API key provided.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }


def test_sdk_bad_request_error(reference_sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        reference_sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], temperature=3)
    error = caught.value
    assert error.status_code == 400 and isinstance(error.body, dict)
    assert (error.body["type"], error.body["param"], error.body["code"]) == ("invalid_request_error", "temperature", "invalid_value")
    assert (error.param, error.code, error.type) == ("temperature", "invalid_value", "invalid_request_error")

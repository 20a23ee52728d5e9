"""Every deviation of the reference provider, over real loopback HTTP.

Each deviation has one focused check in ``CHECKS`` that asserts its wire behaviour;
``test_every_deviation_has_a_check`` keeps the table and ``KNOWN_DEVIATIONS`` in step.
The legal-but-unusual variants are also read with the official SDK, to show a
conformant client really accepts them.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from conformance.embedded import parse_embedded
from conformance.png import solid_png
from conformance.reference import DEFAULT_MODELS, EmbeddedServer, create_app
from conformance.reference.flavour import DEVIATIONS, KNOWN_DEVIATIONS, Flavour, describe_deviations
from conformance.reference.model import HOSTILE_TEXT
from tests.reference.test_reference_params import WIRE_TESTED
from tests.reference.test_reference_responses import WIRE_TESTED as RESPONSES_WIRE_TESTED
from tests.support.reference import REFERENCE_KEY, ReferenceServers

KEY = REFERENCE_KEY
MODEL = DEFAULT_MODELS[0]
AUTH = {"Authorization": f"Bearer {KEY}"}
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
WEATHER: dict[str, Any] = {"messages": [{"role": "user", "content": 'Weather in "Paris"?'}], "tools": [WEATHER_TOOL]}
TWO_CITIES: dict[str, Any] = {"messages": [{"role": "user", "content": 'Weather in "Paris" and "Tokyo"?'}], "tools": [WEATHER_TOOL]}
NAMED = {"type": "function", "function": {"name": "get_weather"}}
RED_PNG = "data:image/png;base64," + base64.b64encode(solid_png((255, 0, 0))).decode()
VISION_MESSAGES = [
    {
        "role": "user",
        "content": [{"type": "text", "text": "What colour is this?"}, {"type": "image_url", "image_url": {"url": RED_PNG}}],
    }
]
# The malformed requests of probes/errors.py.
MALFORMED: list[bytes] = [
    b'{"model": "' + MODEL.encode() + b'", "messages": [',
    json.dumps({"model": MODEL}).encode(),
    json.dumps({"model": MODEL, "messages": "hello"}).encode(),
    json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}).encode(),
]


# --- helpers -------------------------------------------------------------------------


def chat(http: httpx.Client, path: str = "/v1/chat/completions", headers: dict[str, str] = AUTH, **fields: Any) -> httpx.Response:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **fields}
    return http.post(path, json=body, headers=headers)


def ok_body(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["object"] == "chat.completion"
    return body


def envelope(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body.keys() == {"error"} and body["error"].keys() == {"message", "type", "param", "code"}
    error: dict[str, Any] = body["error"]
    return error


def sse_payloads(response: httpx.Response) -> list[str]:
    """The data payloads of a default-framed SSE body (``data: ...`` then a blank line)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-1] == ""
    assert all(event.startswith("data: ") and "\n" not in event for event in events[:-1])
    return [event.removeprefix("data: ") for event in events[:-1]]


def stream_chunks(http: httpx.Client, **fields: Any) -> list[dict[str, Any]]:
    """The chunks of a default-framed stream, checking it ends with [DONE]."""
    payloads = sse_payloads(chat(http, stream=True, **fields))
    assert payloads[-1] == "[DONE]"
    return [json.loads(p) for p in payloads[:-1]]


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]


def content_of(chunks: list[dict[str, Any]]) -> str:
    return "".join(d.get("content") or "" for d in deltas(chunks))


def tool_call_pieces(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [piece for d in deltas(chunks) for piece in d.get("tool_calls") or []]


def only_choice(body: dict[str, Any]) -> dict[str, Any]:
    (choice,) = body["choices"]
    result: dict[str, Any] = choice
    return result


def sdk_stream_text(sdk: openai.OpenAI, content: str = "Count from 1 to 5") -> str:
    stream = sdk.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": content}], stream=True
    )
    return "".join((c.choices[0].delta.content or "") for c in stream if c.choices)


def asgi_body_writes(flavour: Flavour, body: dict[str, Any]) -> list[bytes]:
    """The non-empty ``http.response.body`` messages the app sends for one request, straight at the ASGI level."""
    app = create_app(api_key=KEY, flavour=flavour)
    raw = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"authorization", f"Bearer {KEY}".encode()), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }
    messages: list[dict[str, Any]] = []
    delivered = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not delivered.is_set():
            delivered.set()
            return {"type": "http.request", "body": raw, "more_body": False}
        await asyncio.sleep(3600)  # no disconnect: the response finishes first
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert messages[0]["type"] == "http.response.start" and messages[0]["status"] == 200
    return [m["body"] for m in messages if m["type"] == "http.response.body" and m.get("body")]


# --- one check per deviation ---------------------------------------------------------

Check = Callable[[ReferenceServers], None]
CHECKS: dict[str, Check] = {}


def deviation(name: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        assert name not in CHECKS, f"two checks for {name}"
        CHECKS[name] = func
        return func

    return register


@deviation("no_v1")
def _no_v1(servers: ReferenceServers) -> None:
    http = servers.client("no_v1")
    assert ok_body(chat(http, "/chat/completions"))["choices"][0]["message"]["content"] == "Hello! You said: hi"
    assert http.get("/models", headers=AUTH).json()["object"] == "list"
    assert envelope(chat(http, "/v1/chat/completions"), 404)["message"] == "Invalid URL (POST /v1/chat/completions)"
    envelope(http.get("/v1/models", headers=AUTH), 404)
    envelope(chat(http, "/chat/completions", headers={}), 401)


@deviation("auth_not_enforced")
def _auth_not_enforced(servers: ReferenceServers) -> None:
    http = servers.client("auth_not_enforced")
    for headers in ({}, {"Authorization": "Bearer sk-wrong"}, {"Authorization": "Basic nonsense"}, AUTH):
        ok_body(chat(http, headers=headers))
        assert http.get("/v1/models", headers=headers).status_code == 200


@deviation("api_key_header")
def _api_key_header(servers: ReferenceServers) -> None:
    http = servers.client("api_key_header")
    assert "api-key" in envelope(chat(http), 401)["message"]  # the right key, as Bearer
    envelope(chat(http, headers={}), 401)
    assert envelope(chat(http, headers={"api-key": "sk-wrong"}), 401)["code"] == "invalid_api_key"
    ok_body(chat(http, headers={"api-key": KEY}))
    assert http.get("/v1/models", headers={"api-key": KEY}).status_code == 200


@deviation("error_detail")
def _error_detail(servers: ReferenceServers) -> None:
    http = servers.client("error_detail")
    headers = {**AUTH, "content-type": "application/json"}
    responses = {
        400: http.post("/v1/chat/completions", content=MALFORMED[0], headers=headers),
        401: chat(http, headers={}),
        404: chat(http, model="gpt-imaginary"),
        405: http.get("/v1/chat/completions", headers=AUTH),
    }
    for status, response in responses.items():
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body.keys() == {"detail"} and isinstance(body["detail"], str) and body["detail"]
    ok_body(chat(http))


@deviation("error_html")
def _error_html(servers: ReferenceServers) -> None:
    http = servers.client("error_html")
    headers = {**AUTH, "content-type": "application/json"}
    responses = {
        400: http.post("/v1/chat/completions", content=MALFORMED[1], headers=headers),
        401: chat(http, headers={"Authorization": "Bearer sk-wrong"}),
        404: http.get("/v1/nothing", headers=AUTH),
    }
    for status, response in responses.items():
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/html")
        assert response.text.startswith("<!DOCTYPE html>") and f"<h1>{status} " in response.text
    assert "&#x27;messages&#x27;" in responses[400].text  # the message is HTML-escaped
    ok_body(chat(http))


@deviation("error_500_for_bad_request")
def _error_500_for_bad_request(servers: ReferenceServers) -> None:
    http = servers.client("error_500_for_bad_request")
    headers = {**AUTH, "content-type": "application/json"}
    for raw in MALFORMED:
        error = envelope(http.post("/v1/chat/completions", content=raw, headers=headers), 500)
        assert error["type"] == "server_error" and error["message"]
    # Not a validation error: still the right status.
    assert envelope(chat(http, model="gpt-imaginary"), 404)["code"] == "model_not_found"
    envelope(chat(http, headers={}), 401)


@deviation("error_200")
def _error_200(servers: ReferenceServers) -> None:
    http = servers.client("error_200")
    headers = {**AUTH, "content-type": "application/json"}
    for raw in MALFORMED:
        error = envelope(http.post("/v1/chat/completions", content=raw, headers=headers), 200)
        assert error["type"] == "invalid_request_error"
    assert envelope(http.post("/v1/chat/completions", content=MALFORMED[3], headers=headers), 200)["param"] == "temperature"
    envelope(chat(http, model="gpt-imaginary"), 404)


@deviation("unknown_model_200")
def _unknown_model_200(servers: ReferenceServers) -> None:
    http = servers.client("unknown_model_200")
    body = ok_body(chat(http, model="gpt-imaginary"))
    assert body["model"] == "gpt-imaginary"
    assert body["choices"][0]["message"]["content"] == "Hello! You said: hi"
    # Retrieving the model is still refused: only chat completions serve any id.
    envelope(http.get("/v1/models/gpt-imaginary", headers=AUTH), 404)


@deviation("models_bare_array")
def _models_bare_array(servers: ReferenceServers) -> None:
    http = servers.client("models_bare_array")
    listed = http.get("/v1/models", headers=AUTH)
    assert listed.status_code == 200 and listed.headers["content-type"] == "application/json"
    assert listed.json() == [
        {"id": m, "object": "model", "created": 1700000000, "owned_by": "conformance-reference"} for m in DEFAULT_MODELS
    ]


@deviation("no_done")
def _no_done(servers: ReferenceServers) -> None:
    payloads = sse_payloads(chat(servers.client("no_done"), stream=True))
    assert "[DONE]" not in payloads
    last = json.loads(payloads[-1])
    assert last["choices"][0]["finish_reason"] == "stop"


@deviation("ndjson_stream")
def _ndjson_stream(servers: ReferenceServers) -> None:
    response = chat(servers.client("ndjson_stream"), stream=True, stream_options={"include_usage": True})
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-ndjson"
    assert response.text.endswith("\n") and "\n\n" not in response.text
    lines = response.text.splitlines()
    assert not any(line.startswith("data:") or "[DONE]" in line for line in lines)
    chunks = [json.loads(line) for line in lines]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert content_of(chunks) == "Hello! You said: hi" and chunks[-1]["usage"]["completion_tokens"] == 4


@deviation("include_usage_ignored")
def _include_usage_ignored(servers: ReferenceServers) -> None:
    chunks = stream_chunks(servers.client("include_usage_ignored"), stream_options={"include_usage": True})
    assert all(c["choices"] and "usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


@deviation("usage_missing")
def _usage_missing(servers: ReferenceServers) -> None:
    http = servers.client("usage_missing")
    body = ok_body(chat(http))
    assert "usage" not in body and body["choices"][0]["message"]["content"] == "Hello! You said: hi"
    # Only non-streamed completions lose it.
    assert stream_chunks(http, stream_options={"include_usage": True})[-1]["usage"]["completion_tokens"] == 4


@deviation("usage_wrong")
def _usage_wrong(servers: ReferenceServers) -> None:
    http = servers.client("usage_wrong")
    usage = ok_body(chat(http))["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (1, 4, 6)
    streamed = stream_chunks(http, stream_options={"include_usage": True})[-1]["usage"]
    assert streamed["total_tokens"] == streamed["prompt_tokens"] + streamed["completion_tokens"] + 1


@deviation("created_string")
def _created_string(servers: ReferenceServers) -> None:
    http = servers.client("created_string")
    created = ok_body(chat(http))["created"]
    assert isinstance(created, str) and created.isdigit()
    chunks = stream_chunks(http)
    assert all(isinstance(c["created"], str) and c["created"] == chunks[0]["created"] for c in chunks)


@deviation("tool_args_object")
def _tool_args_object(servers: ReferenceServers) -> None:
    http = servers.client("tool_args_object")
    (call,) = ok_body(chat(http, **WEATHER))["choices"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": {"city": "Paris"}}
    pieces = tool_call_pieces(stream_chunks(http, **WEATHER))
    (piece,) = pieces
    assert piece["index"] == 0 and piece["id"].startswith("call_")
    assert piece["function"] == {"name": "get_weather", "arguments": {"city": "Paris"}}


@deviation("tools_ignored")
def _tools_ignored(servers: ReferenceServers) -> None:
    http = servers.client("tools_ignored")
    for tool_choice in (None, "required", NAMED):
        choice = only_choice(ok_body(chat(http, **WEATHER, tool_choice=tool_choice)))
        assert choice["finish_reason"] == "stop" and "tool_calls" not in choice["message"]
        assert choice["message"]["content"] == 'Hello! You said: Weather in "Paris"?'
    # Not even validated.
    ok_body(chat(http, tools="not a list", tool_choice={"type": "nonsense"}))


@deviation("tool_choice_none_ignored")
def _tool_choice_none_ignored(servers: ReferenceServers) -> None:
    choice = only_choice(ok_body(chat(servers.client("tool_choice_none_ignored"), **WEATHER, tool_choice="none")))
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    assert [c["function"]["name"] for c in choice["message"]["tool_calls"]] == ["get_weather"]


@deviation("tool_choice_required_ignored")
def _tool_choice_required_ignored(servers: ReferenceServers) -> None:
    http = servers.client("tool_choice_required_ignored")
    unrelated = only_choice(ok_body(chat(http, tools=[WEATHER_TOOL], tool_choice="required")))
    assert unrelated["finish_reason"] == "stop" and "tool_calls" not in unrelated["message"]
    relevant = only_choice(ok_body(chat(http, **WEATHER, tool_choice="required")))
    assert relevant["finish_reason"] == "tool_calls"


@deviation("finish_stop_with_tools")
def _finish_stop_with_tools(servers: ReferenceServers) -> None:
    http = servers.client("finish_stop_with_tools")
    for tool_choice in ("auto", "required", NAMED):
        choice = only_choice(ok_body(chat(http, **WEATHER, tool_choice=tool_choice)))
        assert choice["finish_reason"] == "stop" and len(choice["message"]["tool_calls"]) == 1
    chunks = stream_chunks(http, **WEATHER)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and tool_call_pieces(chunks)


@deviation("stream_tool_no_index")
def _stream_tool_no_index(servers: ReferenceServers) -> None:
    http = servers.client("stream_tool_no_index")
    pieces = tool_call_pieces(stream_chunks(http, **TWO_CITIES))
    assert len(pieces) > 2 and all("index" not in piece for piece in pieces)
    assert sum("id" in piece for piece in pieces) == 2
    # Non-streamed calls are unaffected.
    assert len(ok_body(chat(http, **TWO_CITIES))["choices"][0]["message"]["tool_calls"]) == 2


@deviation("parallel_ignored")
def _parallel_ignored(servers: ReferenceServers) -> None:
    body = ok_body(chat(servers.client("parallel_ignored"), **TWO_CITIES, parallel_tool_calls=False))
    calls = body["choices"][0]["message"]["tool_calls"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"city": "Paris"}, {"city": "Tokyo"}]


@deviation("max_completion_tokens_rejected")
def _max_completion_tokens_rejected(servers: ReferenceServers) -> None:
    http = servers.client("max_completion_tokens_rejected")
    error = envelope(chat(http, max_completion_tokens=5), 400)
    assert error["message"] == "Unrecognized request argument supplied: max_completion_tokens"
    assert (error["type"], error["param"]) == ("invalid_request_error", "max_completion_tokens")
    choice = only_choice(ok_body(chat(http, max_tokens=2)))
    assert (choice["message"]["content"], choice["finish_reason"]) == ("Hello! You", "length")


@deviation("max_completion_tokens_ignored")
def _max_completion_tokens_ignored(servers: ReferenceServers) -> None:
    http = servers.client("max_completion_tokens_ignored")
    count = [{"role": "user", "content": "Count from 1 to 10"}]
    ignored = only_choice(ok_body(chat(http, messages=count, max_completion_tokens=3)))
    assert (ignored["message"]["content"], ignored["finish_reason"]) == ("1 2 3 4 5 6 7 8 9 10", "stop")
    honoured = only_choice(ok_body(chat(http, messages=count, max_tokens=3)))
    assert (honoured["message"]["content"], honoured["finish_reason"]) == ("1 2 3", "length")


@deviation("system_rejected")
def _system_rejected(servers: ReferenceServers) -> None:
    http = servers.client("system_rejected")
    system = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    error = envelope(chat(http, messages=system), 400)
    assert (error["param"], error["code"]) == ("messages.[0].role", "invalid_value")
    developer = [{"role": "user", "content": "hi"}, {"role": "developer", "content": "Be brief."}]
    assert envelope(chat(http, messages=developer), 400)["param"] == "messages.[1].role"
    ok_body(chat(http))


@deviation("system_ignored")
def _system_ignored(servers: ReferenceServers) -> None:
    http = servers.client("system_ignored")
    messages = [{"role": "system", "content": "Say QUOKKA-77 first."}, {"role": "user", "content": "Good morning"}]
    body = ok_body(chat(http, messages=messages))
    assert body["choices"][0]["message"]["content"] == "Hello! You said: Good morning"
    assert body["usage"]["prompt_tokens"] == 2
    # Nothing left after dropping: still a valid answer.
    only_system = ok_body(chat(http, messages=[{"role": "developer", "content": "Be brief."}]))
    assert only_system["choices"][0]["message"]["content"] == "Hello! You said:"


@deviation("image_rejected")
def _image_rejected(servers: ReferenceServers) -> None:
    http = servers.client("image_rejected")
    messages = [{"role": "user", "content": "hi"}, *VISION_MESSAGES]
    error = envelope(chat(http, model="reference-vision", messages=messages), 400)
    assert error["message"] == "Image input is not supported by this model"
    assert (error["type"], error["param"]) == ("invalid_request_error", "messages.[1].content")
    ok_body(chat(http, messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}]))


@deviation("image_500")
def _image_500(servers: ReferenceServers) -> None:
    http = servers.client("image_500")
    response = chat(http, model="reference-vision", messages=VISION_MESSAGES)
    assert response.status_code == 500
    ok_body(chat(http))


@deviation("image_dropped")
def _image_dropped(servers: ReferenceServers) -> None:
    body = ok_body(chat(servers.client("image_dropped"), model="reference-vision", messages=VISION_MESSAGES))
    assert body["choices"][0]["message"]["content"] == "Hello! You said: What colour is this?"
    assert body["usage"]["prompt_tokens"] == 4


@deviation("sse_no_space")
def _sse_no_space(servers: ReferenceServers) -> None:
    response = chat(servers.client("sse_no_space"), stream=True)
    events = response.text.split("\n\n")
    assert events[-1] == "" and all(e.startswith("data:") and not e.startswith("data: ") for e in events[:-1])
    assert events[0].startswith("data:{") and events[-2] == "data:[DONE]"
    assert sdk_stream_text(servers.sdk("sse_no_space")) == "1 2 3 4 5"


@deviation("sse_crlf")
def _sse_crlf(servers: ReferenceServers) -> None:
    raw = chat(servers.client("sse_crlf"), stream=True).content
    assert b"\r\n" in raw and raw.endswith(b"data: [DONE]\r\n\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert sdk_stream_text(servers.sdk("sse_crlf")) == "1 2 3 4 5"


@deviation("sse_comments")
def _sse_comments(servers: ReferenceServers) -> None:
    events = chat(servers.client("sse_comments"), stream=True).text.split("\n\n")
    assert events[0] == ": keep-alive" and events[-1] == ""
    for number, event in enumerate(events[1:-1], start=1):
        name, event_id, data = event.split("\n")
        assert (name, event_id) == ("event: message", f"id: {number}") and data.startswith("data: ")
    assert events[-2].endswith("data: [DONE]")
    assert sdk_stream_text(servers.sdk("sse_comments")) == "1 2 3 4 5"


@deviation("extra_fields")
def _extra_fields(servers: ReferenceServers) -> None:
    http = servers.client("extra_fields")
    body = ok_body(chat(http))
    assert isinstance(body["x_vendor"], dict) and isinstance(body["choices"][0]["x_vendor"], dict)
    assert isinstance(body["usage"]["x_vendor"], dict)
    assert isinstance(body["choices"][0]["message"]["reasoning_content"], str)
    chunks = stream_chunks(http)
    assert all("x_vendor" in c and "x_vendor" in c["choices"][0] for c in chunks)
    assert all("reasoning_content" in d for d in deltas(chunks))
    assert content_of(chunks) == "Hello! You said: hi"
    sdk = servers.sdk("extra_fields")
    completion = sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert completion.choices[0].message.content == "Hello! You said: hi"
    assert sdk_stream_text(sdk) == "1 2 3 4 5"


@deviation("no_fingerprint")
def _no_fingerprint(servers: ReferenceServers) -> None:
    http = servers.client("no_fingerprint")
    body = ok_body(chat(http))
    chunks = stream_chunks(http)
    for obj in (body, *chunks):
        assert "system_fingerprint" not in obj and "service_tier" not in obj
    assert sdk_stream_text(servers.sdk("no_fingerprint")) == "1 2 3 4 5"


@deviation("null_content_tools")
def _null_content_tools(servers: ReferenceServers) -> None:
    # A documented no-op: the same wire behaviour as the default.
    for http in (servers.client("null_content_tools"), servers.client()):
        message = ok_body(chat(http, **WEATHER))["choices"][0]["message"]
        assert "content" in message and message["content"] is None and message["tool_calls"]
        first = deltas(stream_chunks(http, **WEATHER))[0]
        assert first == {"role": "assistant", "content": None}


@deviation("named_finish_stop")
def _named_finish_stop(servers: ReferenceServers) -> None:
    http = servers.client("named_finish_stop")
    named = only_choice(ok_body(chat(http, **WEATHER, tool_choice=NAMED)))
    assert named["finish_reason"] == "stop" and len(named["message"]["tool_calls"]) == 1
    assert stream_chunks(http, **WEATHER, tool_choice=NAMED)[-1]["choices"][0]["finish_reason"] == "stop"
    assert only_choice(ok_body(chat(http, **WEATHER)))["finish_reason"] == "tool_calls"


@deviation("one_big_chunk")
def _one_big_chunk(servers: ReferenceServers) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Count from 1 to 20"}], "stream": True}
    (write,) = asgi_body_writes(Flavour(frozenset({"one_big_chunk"})), body)
    assert write.startswith(b"data: {") and write.endswith(b"data: [DONE]\n\n") and write.count(b"\n\n") > 20
    assert len(asgi_body_writes(Flavour(), body)) > 20  # the default writes event by event
    # Over HTTP the body is the same valid stream.
    chunks = stream_chunks(servers.client("one_big_chunk"), messages=body["messages"])
    assert content_of(chunks) == " ".join(str(i) for i in range(1, 21))
    assert sdk_stream_text(servers.sdk("one_big_chunk")) == "1 2 3 4 5"


@deviation("char_chunks")
def _char_chunks(servers: ReferenceServers) -> None:
    chunks = stream_chunks(servers.client("char_chunks"))
    pieces = [d["content"] for d in deltas(chunks) if d.get("content")]
    assert pieces == list("Hello! You said: hi")
    assert sdk_stream_text(servers.sdk("char_chunks")) == "1 2 3 4 5"


@deviation("azure_filter_preamble")
def _azure_filter_preamble(servers: ReferenceServers) -> None:
    chunks = stream_chunks(servers.client("azure_filter_preamble"))
    assert chunks[0]["choices"] == [] and chunks[0]["object"] == "" and "prompt_filter_results" in chunks[0]
    assert content_of(chunks) == "Hello! You said: hi"
    # The official SDK reads such a stream without complaint (the reason the suite only warns).
    assert sdk_stream_text(servers.sdk("azure_filter_preamble")) == "1 2 3 4 5"


@deviation("flaky_every_other")
def _flaky_every_other(servers: ReferenceServers) -> None:
    # A server of its own: the counter must start at the first request.
    with EmbeddedServer(api_key=KEY, flavour=Flavour(frozenset({"flaky_every_other"}))) as server, httpx.Client(base_url=server.root_url, timeout=10) as http:
        statuses = [chat(http, stream=i == 2).status_code for i in range(6)]
        assert statuses == [200, 503, 200, 503, 200, 503]
        assert http.get("/v1/models", headers=AUTH).status_code == 200  # only chat completions count
        ok_body(chat(http))
        error = envelope(chat(http), 503)
        assert error["type"] == "server_error" and error["message"]


@deviation("hostile_content")
def _hostile_content(servers: ReferenceServers) -> None:
    http = servers.client("hostile_content")
    content = ok_body(chat(http))["choices"][0]["message"]["content"]
    assert content == f"{HOSTILE_TEXT} Hello! You said: hi"
    assert "<script>alert(1)</script>" in content and "\u202e" in content and "javascript:alert(1)" in content
    assert content_of(stream_chunks(http)) == content


@deviation("echo_key")
def _echo_key(servers: ReferenceServers) -> None:
    http = servers.client("echo_key")
    error = envelope(chat(http, model="no-such-model"), 404)
    assert KEY in error["message"] and KEY[:10] in error["message"] and KEY[-10:] in error["message"]
    assert ok_headers(chat(http))["x-debug-authorization"] == f"Bearer {KEY}"


def ok_headers(response: httpx.Response) -> httpx.Headers:
    assert response.status_code == 200, response.text
    return response.headers


# --- the table -----------------------------------------------------------------------


def test_every_deviation_has_a_check() -> None:
    """Each deviation's wire behaviour is tested here, or, for the parameter and Responses API
    deviations, by a ``test_<deviation>`` in test_reference_params.py or test_reference_responses.py."""
    elsewhere = {name for name in KNOWN_DEVIATIONS if f"test_{name}" in WIRE_TESTED | RESPONSES_WIRE_TESTED}
    assert set(CHECKS) | elsewhere == KNOWN_DEVIATIONS
    assert not set(CHECKS) & elsewhere, "one place per deviation"


@deviation("query_param_required")
def _query_param_required(servers: ReferenceServers) -> None:
    http = servers.client("query_param_required")
    missing = envelope(chat(http, "/v1/chat/completions"), 400)
    assert missing["param"] == "api-version" and "2024-10-21" in missing["message"] and missing["code"] == "missing_query_parameter"
    assert envelope(http.get("/v1/models?api-version=1999-01-01", headers=AUTH), 400)["code"] == "unsupported_api_version"
    assert http.get("/v1/models?api-version=2024-10-21", headers=AUTH).json()["object"] == "list"
    assert ok_body(chat(http, "/v1/chat/completions?api-version=2025-04-01-preview"))["choices"]
    # The key is checked first: without it, the 401 says so, not the missing parameter.
    envelope(chat(http, "/v1/chat/completions", headers={}), 401)


@deviation("models_absent")
def _models_absent(servers: ReferenceServers) -> None:
    http = servers.client("models_absent")
    envelope(http.get("/v1/models", headers=AUTH), 404)
    envelope(http.get("/v1/models/reference-chat", headers=AUTH), 404)
    assert ok_body(chat(http, "/v1/chat/completions"))["choices"]


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_deviation(reference_servers: ReferenceServers, name: str) -> None:
    CHECKS[name](reference_servers)


def test_deviations_are_described_one_line_each() -> None:
    assert frozenset(DEVIATIONS) == KNOWN_DEVIATIONS
    assert all(text.strip() and "\n" not in text for text in DEVIATIONS.values())
    listing = describe_deviations().splitlines()
    assert [line.split()[0] for line in listing] == list(DEVIATIONS)


def test_embedded_urls_accept_every_deviation() -> None:
    spec = parse_embedded("embedded:reference?deviate=" + ",".join(sorted(KNOWN_DEVIATIONS)))
    assert spec.deviations == KNOWN_DEVIATIONS


def test_no_deviation_is_the_default_wire_format(reference_http: httpx.Client) -> None:
    http = reference_http
    body = ok_body(chat(http))
    assert body.keys() == {"id", "object", "created", "model", "choices", "usage", "service_tier", "system_fingerprint"}
    assert isinstance(body["created"], int) and "reasoning_content" not in body["choices"][0]["message"]
    payloads = sse_payloads(chat(http, stream=True))
    assert payloads[-1] == "[DONE]" and content_of([json.loads(p) for p in payloads[:-1]]) == "Hello! You said: hi"

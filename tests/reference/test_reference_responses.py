"""The reference provider's Responses API (POST /v1/responses) over real loopback HTTP.

Raw httpx checks the wire format against the suite's own response / response_stream_event
schemas (both levels); the official openai SDK, as a real client, proves compatibility.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import httpx
import jsonschema
import openai
import pytest
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
)

from conformance.png import solid_png
from conformance.reference import DEFAULT_MODELS
from conformance.reference.requests import Message
from conformance.reference.responses import ResponseStore
from tests.support.reference import REFERENCE_KEY, ReferenceServers

KEY = REFERENCE_KEY
MODEL = DEFAULT_MODELS[0]
AUTH = {"Authorization": f"Bearer {KEY}"}
CANARY = "ZEBRA-42"
LEVELS = ("compat", "strict")
DOCS = ("response", "response_stream_event")
RESPONSE_ID = re.compile(r"^resp_[0-9a-f]+$")
CALL_ID = re.compile(r"^call_[0-9a-f]+$")
WEATHER_TOOL: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}
TIME_TOOL: Any = {"type": "function", "name": "get_time", "parameters": {"type": "object", "properties": {}}}
WEATHER_PROMPT = 'What is the weather in "Paris"?'
TEXT_EVENTS_HEAD = ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"]
TEXT_EVENTS_TAIL = ["response.output_text.done", "response.content_part.done", "response.output_item.done"]


@cache
def schema(level: str, doc: str) -> dict[str, Any]:
    text = (resources.files("conformance.schemas") / level / f"{doc}.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def validator(level: str, doc: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(level, doc))


def schema_errors(doc: str, instance: Any) -> list[str]:
    return [
        f"{level}: {list(error.absolute_path)}: {error.message}"
        for level in LEVELS
        for error in validator(level, doc).iter_errors(instance)
    ]


def create(reference_http: httpx.Client, **fields: Any) -> httpx.Response:
    return reference_http.post("/v1/responses", json={"model": MODEL, **fields}, headers=AUTH)


def created(reference_http: httpx.Client, **fields: Any) -> dict[str, Any]:
    """A successful non-streamed Response, checked against both schema levels."""
    response = create(reference_http, **fields)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert schema_errors("response", body) == []
    return body


def events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """The (event name, data) pairs of a Responses stream; each frame must be exactly ``event:`` then ``data:``."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    frames = response.text.split("\n\n")
    assert frames[-1] == "", "the stream must end with a complete frame"
    pairs: list[tuple[str, dict[str, Any]]] = []
    for frame in frames[:-1]:
        event_line, data_line = frame.split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: "), frame
        pairs.append((event_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))))
    return pairs


def streamed(reference_http: httpx.Client, **fields: Any) -> list[dict[str, Any]]:
    """The events of a streamed request, each checked on its own and against the stream's rules."""
    pairs = events(create(reference_http, stream=True, **fields))
    for name, event in pairs:
        assert name == event["type"]
        assert schema_errors("response_stream_event", event) == [], name
    data = [event for _, event in pairs]
    assert [d["sequence_number"] for d in data] == list(range(len(data)))
    assert data[-1]["type"] in ("response.completed", "response.incomplete")
    assert schema_errors("response", data[-1]["response"]) == []
    assert len({d["response"]["id"] for d in data if "response" in d}) == 1
    return data


def output_text(body: dict[str, Any]) -> str:
    return "".join(
        part["text"] for item in body["output"] if item["type"] == "message" for part in item["content"]
    )


def assert_envelope(response: httpx.Response, status: int, code: str | None, param: str | None) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body.keys() == {"error"} and body["error"].keys() == {"message", "type", "param", "code"}
    assert (body["error"]["type"], body["error"]["code"], body["error"]["param"]) == ("invalid_request_error", code, param)
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["message"]


# --- the schemas themselves ----------------------------------------------------------------


def _walk(node: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield where, node
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in children:
        yield from _walk(value, (*where, key))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("doc", DOCS)
def test_schemas_are_self_contained_draft_2020_12_and_never_forbid_extra_fields(level: str, doc: str) -> None:
    document = schema(level, doc)
    jsonschema.Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"https://conformance.local/schemas/{level}/{doc}.json"
    assert level in document["description"].lower() and document["title"]
    for where, node in _walk(document):
        if isinstance(node, dict):
            assert node.get("additionalProperties", True) is not False, where
            ref = node.get("$ref")
            if isinstance(ref, str):
                assert ref.removeprefix("#/$defs/") in document["$defs"], (where, ref)
            assert node.get("nullable") is None, f"OpenAPI 'nullable' left untranslated at {where}"


def test_schemas_tell_compat_from_strict() -> None:
    """compat lets through what the SDK tolerates; strict holds the spec's letter; both catch real breaks."""
    event = {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "Hi"}
    assert [e for e in schema_errors("response_stream_event", event) if e.startswith("compat")] == []
    assert any("sequence_number" in e for e in schema_errors("response_stream_event", event))
    unknown = {"type": "response.vendor_thing", "sequence_number": 3}
    unknown_errors = schema_errors("response_stream_event", unknown)
    assert len(unknown_errors) == 1 and unknown_errors[0].startswith("strict: ['type']: 'response.vendor_thing' is not one of")
    broken = {**event, "sequence_number": 1, "logprobs": [], "delta": 5}
    assert {e.split(":")[0] for e in schema_errors("response_stream_event", broken)} == {"compat", "strict"}
    call = {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": {"city": "Paris"}}
    body = {"id": "resp_1", "object": "response", "created_at": 1, "model": MODEL, "output": [call]}
    compat_errors = [e for e in schema_errors("response", body) if e.startswith("compat")]
    assert compat_errors == ["compat: ['output', 0, 'arguments']: {'city': 'Paris'} is not of type 'string'"]


# --- non-streamed ----------------------------------------------------------------------------


def test_basic_response(reference_http: httpx.Client) -> None:
    response = create(reference_http, input="Count from 1 to 5", instructions=f"Always say {CANARY} first.")
    assert re.match(r"^req_[0-9a-f]+$", response.headers["x-request-id"])
    assert response.headers["x-ratelimit-limit-requests"] == "10000"
    body = response.json()
    assert schema_errors("response", body) == []
    assert RESPONSE_ID.match(body["id"]) and body["object"] == "response" and body["model"] == MODEL
    assert abs(body["created_at"] - time.time()) < 60 and body["completed_at"] >= body["created_at"]
    assert (body["status"], body["error"], body["incomplete_details"]) == ("completed", None, None)
    assert (body["instructions"], body["tools"], body["tool_choice"], body["metadata"]) == (
        f"Always say {CANARY} first.", [], "auto", {}
    )
    (message,) = body["output"]
    assert message["type"] == "message" and message["role"] == "assistant" and message["status"] == "completed"
    assert re.match(r"^msg_[0-9a-f]+$", message["id"])
    assert message["content"] == [
        {"type": "output_text", "text": f"{CANARY} 1 2 3 4 5", "annotations": [], "logprobs": []}
    ]
    usage = body["usage"]
    # Prompt words: 4 of the instructions and 5 of the input; one output token per word.
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (9, 6, 15)
    assert usage["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}
    assert usage["output_tokens_details"] == {"reasoning_tokens": 0}


def test_request_fields_are_echoed(reference_http: httpx.Client) -> None:
    body = created(
        reference_http,
        input=[{"role": "user", "content": [{"type": "input_text", "text": "Say"}, {"type": "input_text", "text": "hi"}]}],
        temperature=0.2,
        top_p=0.5,
        metadata={"run": "r1"},
        store=False,
        parallel_tool_calls=False,
        max_output_tokens=100,
    )
    assert output_text(body) == "Hello! You said: Say hi"
    assert (body["temperature"], body["top_p"], body["metadata"], body["store"]) == (0.2, 0.5, {"run": "r1"}, False)
    assert (body["parallel_tool_calls"], body["max_output_tokens"], body["status"]) == (False, 100, "completed")


def test_max_output_tokens_cuts_the_reply_and_marks_it_incomplete(reference_http: httpx.Client) -> None:
    body = created(reference_http, input="Count from 1 to 100", max_output_tokens=16)
    assert body["status"] == "incomplete" and body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["completed_at"] is None and body["output"][0]["status"] == "incomplete"
    assert output_text(body) == " ".join(str(k) for k in range(1, 17))
    assert body["usage"]["output_tokens"] <= 16
    enough = created(reference_http, input="Count from 1 to 10", max_output_tokens=16)
    assert (enough["status"], enough["incomplete_details"]) == ("completed", None)


def test_image_input(reference_http: httpx.Client) -> None:
    url = "data:image/png;base64," + base64.b64encode(solid_png((255, 0, 0))).decode()
    content = [{"type": "input_text", "text": "What colour is this?"}, {"type": "input_image", "image_url": url, "detail": "low"}]
    body = created(reference_http, model="reference-vision", input=[{"role": "user", "content": content}])
    assert output_text(body) == "The image is red."


# --- streamed ---------------------------------------------------------------------------------


def test_text_stream(reference_http: httpx.Client) -> None:
    data = streamed(reference_http, input="Count from 1 to 5", instructions=f"Say {CANARY} first.")
    deltas = [d for d in data if d["type"] == "response.output_text.delta"]
    assert [d["type"] for d in data] == [*TEXT_EVENTS_HEAD, *["response.output_text.delta"] * len(deltas), *TEXT_EVENTS_TAIL, "response.completed"]
    assert len(deltas) == 6
    final = data[-1]["response"]
    text = "".join(d["delta"] for d in deltas)
    assert text == f"{CANARY} 1 2 3 4 5" == output_text(final)
    assert next(d for d in data if d["type"] == "response.output_text.done")["text"] == text
    opening = data[0]["response"]
    assert (opening["status"], opening["output"], "usage" in opening) == ("in_progress", [], False)
    assert (final["status"], final["usage"]["output_tokens"]) == ("completed", 6)
    item_id = final["output"][0]["id"]
    assert {d["item_id"] for d in data if "item_id" in d} == {item_id}
    added = data[2]["item"]
    assert (added["id"], added["status"], added["content"]) == (item_id, "in_progress", [])
    assert data[-2]["item"] == final["output"][0]


def test_stream_ends_after_the_final_event_without_done(reference_http: httpx.Client) -> None:
    response = create(reference_http, input="hi", stream=True)
    assert "[DONE]" not in response.text
    assert response.text.endswith("\n\n") and response.headers["cache-control"] == "no-cache"
    assert response.text.rsplit("\n\n", 2)[-2].startswith("event: response.completed\ndata: ")


def test_incomplete_stream_ends_with_response_incomplete(reference_http: httpx.Client) -> None:
    data = streamed(reference_http, input="Count from 1 to 100", max_output_tokens=16)
    assert data[-1]["type"] == "response.incomplete" and "response.completed" not in [d["type"] for d in data]
    final = data[-1]["response"]
    assert final["incomplete_details"] == {"reason": "max_output_tokens"} and final["usage"]["output_tokens"] <= 16
    assert "".join(d["delta"] for d in data if d["type"] == "response.output_text.delta") == output_text(final)


def test_function_call_stream(reference_http: httpx.Client) -> None:
    data = streamed(reference_http, input=WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="required")
    kinds = [d["type"] for d in data]
    deltas = [d for d in data if d["type"] == "response.function_call_arguments.delta"]
    assert len(deltas) >= 2, "arguments must arrive in fragments"
    assert kinds == [
        "response.created", "response.in_progress", "response.output_item.added",
        *["response.function_call_arguments.delta"] * len(deltas),
        "response.function_call_arguments.done", "response.output_item.done", "response.completed",
    ]
    (call,) = data[-1]["response"]["output"]
    assert data[2]["item"] == {**call, "arguments": "", "status": "in_progress"}
    assert "".join(d["delta"] for d in deltas) == call["arguments"] == data[-3]["arguments"]
    assert data[-3]["name"] == "get_weather" and json.loads(call["arguments"]) == {"city": "Paris"}


# --- tools --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool_choice", ["required", {"type": "function", "name": "get_weather"}])
def test_function_call_and_its_result(reference_http: httpx.Client, tool_choice: Any) -> None:
    body = created(reference_http, input=WEATHER_PROMPT, tools=[TIME_TOOL, WEATHER_TOOL], tool_choice=tool_choice)
    (call,) = body["output"]
    assert call["type"] == "function_call" and call["status"] == "completed" and call["name"] == "get_weather"
    assert CALL_ID.match(call["call_id"]) and re.match(r"^fc_[0-9a-f]+$", call["id"])
    assert isinstance(call["arguments"], str) and json.loads(call["arguments"]) == {"city": "Paris"}
    assert body["tool_choice"] == tool_choice
    assert [t["name"] for t in body["tools"]] == ["get_time", "get_weather"]
    assert body["tools"][0]["strict"] is True and body["tools"][1]["parameters"] == WEATHER_TOOL["parameters"]
    result = {"type": "function_call_output", "call_id": call["call_id"], "output": "18C and sunny"}
    follow_up = created(reference_http, previous_response_id=body["id"], input=[result], tools=[WEATHER_TOOL])
    assert output_text(follow_up) == "The tool returned: 18C and sunny"
    assert follow_up["previous_response_id"] == body["id"]
    # Stateless: the client replays the call item itself.
    replayed = created(reference_http, input=[{"role": "user", "content": WEATHER_PROMPT}, call, result], store=False)
    assert output_text(replayed) == "The tool returned: 18C and sunny"


def test_tool_choice_auto_and_none(reference_http: httpx.Client) -> None:
    assert created(reference_http, input=WEATHER_PROMPT, tools=[WEATHER_TOOL])["output"][0]["type"] == "function_call"
    assert created(reference_http, input="Tell me a joke", tools=[WEATHER_TOOL])["output"][0]["type"] == "message"
    assert created(reference_http, input=WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="none")["output"][0]["type"] == "message"


def test_parallel_calls_unless_disabled(reference_http: httpx.Client) -> None:
    prompt = 'Weather in "Paris" and "Rome"?'
    parallel = created(reference_http, input=prompt, tools=[WEATHER_TOOL])["output"]
    assert [json.loads(c["arguments"])["city"] for c in parallel] == ["Paris", "Rome"]
    assert len({c["call_id"] for c in parallel}) == 2
    single = created(reference_http, input=prompt, tools=[WEATHER_TOOL], parallel_tool_calls=False)["output"]
    assert len(single) == 1


# --- conversation state --------------------------------------------------------------------------


def test_previous_response_id_recalls_the_conversation(reference_http: httpx.Client) -> None:
    first = created(
        reference_http,
        input=[{"role": "developer", "content": f"Start every reply with {CANARY}."}, {"role": "user", "content": "Hello"}],
    )
    assert output_text(first).startswith(CANARY)
    second = created(reference_http, previous_response_id=first["id"], input="Good morning")
    assert output_text(second) == f"{CANARY} Hello! You said: Good morning"
    assert second["usage"]["input_tokens"] > first["usage"]["input_tokens"] + first["usage"]["output_tokens"]
    third = created(reference_http, previous_response_id=second["id"], input="Still there?")
    assert output_text(third).startswith(CANARY)
    fresh = created(reference_http, input="Good morning")
    assert CANARY not in output_text(fresh)


def test_instructions_are_not_carried_over(reference_http: httpx.Client) -> None:
    first = created(reference_http, input="Hello", instructions=f"Start every reply with {CANARY}.")
    assert output_text(first).startswith(CANARY)
    second = created(reference_http, previous_response_id=first["id"], input="Good morning")
    assert CANARY not in output_text(second) and second["instructions"] is None


def test_unknown_or_unstored_previous_response_is_refused(reference_http: httpx.Client) -> None:
    message = assert_envelope(
        create(reference_http, input="hi", previous_response_id="resp_nope"), 400, "previous_response_not_found", "previous_response_id"
    )
    assert message == "Previous response with id 'resp_nope' not found."
    unstored = created(reference_http, input="hi", store=False)
    assert_envelope(
        create(reference_http, input="hi", previous_response_id=unstored["id"]), 400, "previous_response_not_found", "previous_response_id"
    )


def test_store_forgets_the_oldest_beyond_its_capacity() -> None:
    store = ResponseStore(capacity=2)
    for n in range(3):
        store.put(f"resp_{n}", (Message("user", str(n)),))
    assert len(store) == 2 and store.get("resp_0") is None
    assert store.get("resp_2") == (Message("user", "2"),)


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        (b"{oops", 400, None, None),
        (b"[]", 400, None, None),
        ({"input": "hi"}, 400, "missing_required_parameter", "model"),
        ({"model": MODEL}, 400, "missing_required_parameter", "input"),
        ({"model": 7, "input": "hi"}, 400, "invalid_type", "model"),
        ({"model": MODEL, "input": 5}, 400, "invalid_type", "input"),
        ({"model": MODEL, "input": ["hi"]}, 400, "invalid_type", "input[0]"),
        ({"model": MODEL, "input": [{"role": "tool", "content": "x"}]}, 400, "invalid_value", "input[0].role"),
        ({"model": MODEL, "input": [{"role": "user"}]}, 400, "missing_required_parameter", "input[0].content"),
        (
            {"model": MODEL, "input": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]},
            400, "invalid_value", "input[0].content[0].type",
        ),
        ({"model": MODEL, "input": [{"type": "reasoning", "summary": []}]}, 400, "invalid_value", "input[0].type"),
        ({"model": MODEL, "input": [{"type": "function_call_output", "call_id": "call_x", "output": "1"}]}, 400, None, "input"),
        ({"model": MODEL, "input": "hi", "max_output_tokens": 15}, 400, "invalid_value", "max_output_tokens"),
        ({"model": MODEL, "input": "hi", "temperature": 3}, 400, "invalid_value", "temperature"),
        ({"model": MODEL, "input": "hi", "stream": "yes"}, 400, "invalid_type", "stream"),
        ({"model": MODEL, "input": "hi", "instructions": ["x"]}, 400, "invalid_type", "instructions"),
        ({"model": MODEL, "input": "hi", "metadata": {"k": 1}}, 400, "invalid_type", "metadata.k"),
        ({"model": MODEL, "input": "hi", "tools": {}}, 400, "invalid_type", "tools"),
        ({"model": MODEL, "input": "hi", "tools": [{"type": "web_search"}]}, 400, "invalid_value", "tools[0].type"),
        ({"model": MODEL, "input": "hi", "tools": [{"type": "function"}]}, 400, "missing_required_parameter", "tools[0].name"),
        ({"model": MODEL, "input": "hi", "tool_choice": "required"}, 400, "invalid_value", "tool_choice"),
        (
            {"model": MODEL, "input": "hi", "tools": [WEATHER_TOOL], "tool_choice": {"type": "function", "name": "x"}},
            400, "invalid_value", "tool_choice",
        ),
        ({"model": "gpt-x", "input": "hi"}, 404, "model_not_found", None),
    ],
)
def test_bad_requests_get_envelopes(
    reference_http: httpx.Client, body: bytes | dict[str, Any], status: int, code: str | None, param: str | None
) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = reference_http.post("/v1/responses", content=content, headers={**AUTH, "content-type": "application/json"})
    assert_envelope(response, status, code, param)
    assert re.match(r"^req_[0-9a-f]+$", response.headers["x-request-id"])


def test_route_demands_the_key_and_post(reference_http: httpx.Client) -> None:
    assert_envelope(reference_http.post("/v1/responses", json={"model": MODEL, "input": "hi"}), 401, None, None)
    wrong = reference_http.get("/v1/responses", headers=AUTH)
    assert_envelope(wrong, 405, None, None)
    assert wrong.headers["allow"] == "POST"


# --- the official SDK as client ------------------------------------------------------------------


def test_sdk_create(reference_sdk: openai.OpenAI) -> None:
    response = reference_sdk.responses.create(model=MODEL, input="Count from 1 to 3", instructions=f"Say {CANARY} first.")
    assert isinstance(response, Response) and RESPONSE_ID.match(response.id)
    assert response.output_text == f"{CANARY} 1 2 3" and response.status == "completed"
    (message,) = response.output
    assert isinstance(message, ResponseOutputMessage) and isinstance(message.content[0], ResponseOutputText)
    assert message.content[0].annotations == []
    assert response.usage is not None and response.usage.total_tokens == response.usage.input_tokens + 4
    assert response.usage.input_tokens_details.cached_tokens == 0
    follow_up = reference_sdk.responses.create(model=MODEL, input="Again", previous_response_id=response.id)
    assert follow_up.output_text == "Hello! You said: Again"
    cut = reference_sdk.responses.create(model=MODEL, input="Count from 1 to 50", max_output_tokens=16)
    assert cut.status == "incomplete" and cut.incomplete_details is not None
    assert cut.incomplete_details.reason == "max_output_tokens"


def test_sdk_stream_true(reference_sdk: openai.OpenAI) -> None:
    stream = reference_sdk.responses.create(model=MODEL, input="Count from 1 to 4", stream=True)
    received = list(stream)
    assert isinstance(received[0], ResponseCreatedEvent) and isinstance(received[-1], ResponseCompletedEvent)
    deltas = [e.delta for e in received if isinstance(e, ResponseTextDeltaEvent)]
    assert "".join(deltas) == "1 2 3 4" == received[-1].response.output_text
    assert [e.sequence_number for e in received] == list(range(len(received)))


def test_sdk_stream_helper(reference_sdk: openai.OpenAI) -> None:
    with reference_sdk.responses.stream(model=MODEL, input="Count from 1 to 4") as stream:
        snapshots = [e.snapshot for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert snapshots == ["1", "1 2", "1 2 3", "1 2 3 4"]
    assert final.output_text == "1 2 3 4" and final.status == "completed"


def test_sdk_function_calling(reference_sdk: openai.OpenAI) -> None:
    response = reference_sdk.responses.create(model=MODEL, input=WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="required")
    (call,) = response.output
    assert isinstance(call, ResponseFunctionToolCall) and call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Paris"}
    result: Any = {"type": "function_call_output", "call_id": call.call_id, "output": "18C and sunny"}
    chained = reference_sdk.responses.create(model=MODEL, previous_response_id=response.id, input=[result])
    assert chained.output_text == "The tool returned: 18C and sunny"
    # The documented stateless pattern: append the SDK's own output objects to the input.
    history: list[Any] = [{"role": "user", "content": WEATHER_PROMPT}, *response.output, result]
    replayed = reference_sdk.responses.create(model=MODEL, input=history, tools=[WEATHER_TOOL], store=False)
    assert replayed.output_text == "The tool returned: 18C and sunny"


def test_sdk_stream_helper_with_a_strict_tool(reference_sdk: openai.OpenAI) -> None:
    with reference_sdk.responses.stream(model=MODEL, input=WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="required") as stream:
        argument_snapshots = [e.snapshot for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()
    (call,) = final.output
    assert call.type == "function_call" and argument_snapshots[-1] == call.arguments
    assert call.parsed_arguments == {"city": "Paris"}


# --- the responses_* deviations, one test_<deviation> each (see tests/reference/test_flavours.py) ---


def test_responses_absent(reference_servers: ReferenceServers) -> None:
    http = reference_servers.client("responses_absent")
    message = assert_envelope(create(http, input="hi"), 404, None, None)
    assert message == "Invalid URL (POST /v1/responses)"
    # Exactly what an unknown path gets: no route, so no 405 for GET and no validation of the body.
    assert assert_envelope(http.post("/v1/nothing", json={"model": MODEL, "input": "hi"}, headers=AUTH), 404, None, None) == (
        "Invalid URL (POST /v1/nothing)"
    )
    assert assert_envelope(http.get("/v1/responses", headers=AUTH), 404, None, None) == "Invalid URL (GET /v1/responses)"
    assert_envelope(http.post("/v1/responses", content=b"{oops", headers=AUTH), 404, None, None)
    # The key is still checked first, as on every /v1 path, and chat completions are served.
    assert_envelope(http.post("/v1/responses", json={"model": MODEL, "input": "hi"}), 401, None, None)
    chat = http.post("/v1/chat/completions", json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}, headers=AUTH)
    assert chat.status_code == 200 and chat.json()["choices"][0]["message"]["content"] == "Hello! You said: hi"


def test_responses_no_event_lines(reference_servers: ReferenceServers) -> None:
    http = reference_servers.client("responses_no_event_lines")
    response = create(http, input="Count from 1 to 5", stream=True)
    assert response.status_code == 200 and response.headers["content-type"] == "text/event-stream; charset=utf-8"
    frames = response.text.split("\n\n")
    assert frames[-1] == "" and "event:" not in response.text and "[DONE]" not in response.text
    assert all(frame.startswith("data: {") and "\n" not in frame for frame in frames[:-1])
    data = [json.loads(frame.removeprefix("data: ")) for frame in frames[:-1]]
    # Otherwise the plain server's stream: the same events, numbered, valid, ending at response.completed.
    plain = streamed(reference_servers.client(), input="Count from 1 to 5")
    assert [d["type"] for d in data] == [d["type"] for d in plain]
    assert [d["sequence_number"] for d in data] == list(range(len(data)))
    assert all(schema_errors("response_stream_event", d) == [] for d in data)
    assert data[-1]["type"] == "response.completed" and output_text(data[-1]["response"]) == "1 2 3 4 5"
    # The official SDK reads the type from the data, so it still assembles the stream.
    with reference_servers.sdk("responses_no_event_lines").responses.stream(model=MODEL, input="Count from 1 to 4") as stream:
        final = stream.get_final_response()
    assert final.output_text == "1 2 3 4"


def test_responses_no_completed(reference_servers: ReferenceServers) -> None:
    http = reference_servers.client("responses_no_completed")
    data = [event for _, event in events(create(http, input="Count from 1 to 5", stream=True))]
    plain = streamed(reference_servers.client(), input="Count from 1 to 5")
    assert [d["type"] for d in data] == [d["type"] for d in plain[:-1]] and plain[-1]["type"] == "response.completed"
    assert data[-1]["type"] == "response.output_item.done" and data[-1]["item"]["content"][0]["text"] == "1 2 3 4 5"
    assert [d["sequence_number"] for d in data] == list(range(len(data)))
    # A cut reply loses its response.incomplete the same way.
    cut = [event for _, event in events(create(http, input="Count from 1 to 100", max_output_tokens=16, stream=True))]
    assert cut[-1]["type"] == "response.output_item.done" and cut[-1]["item"]["status"] == "incomplete"
    assert not {"response.completed", "response.incomplete"} & {d["type"] for d in cut}
    # Unstreamed responses are whole.
    assert created(http, input="hi")["status"] == "completed"
    with (
        pytest.raises(RuntimeError, match=r"Didn't receive a `response.completed` event"),
        reference_servers.sdk("responses_no_completed").responses.stream(model=MODEL, input="hi") as stream,
    ):
        stream.get_final_response()


def test_responses_no_call_id(reference_servers: ReferenceServers) -> None:
    http = reference_servers.client("responses_no_call_id")
    response = create(http, input=WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="required")
    assert response.status_code == 200, response.text
    body = response.json()
    # The only defect: call_id is required at both schema levels.
    assert schema_errors("response", body) == [f"{level}: ['output', 0]: 'call_id' is a required property" for level in LEVELS]
    (call,) = body["output"]
    assert call.keys() == {"id", "type", "status", "name", "arguments"} and call["type"] == "function_call"
    assert json.loads(call["arguments"]) == {"city": "Paris"}
    data = [event for _, event in events(create(http, input=WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="required", stream=True))]
    items = [d["item"] for d in data if "item" in d] + data[-1]["response"]["output"]
    assert len(items) == 3 and all(item["type"] == "function_call" and "call_id" not in item for item in items)
    assert data[-1]["type"] == "response.completed"
    # Text replies are as before.
    assert output_text(created(http, input="hi")) == "Hello! You said: hi"


def test_responses_max_output_ignored(reference_servers: ReferenceServers) -> None:
    http = reference_servers.client("responses_max_output_ignored")
    body = created(http, input="Count from 1 to 100", max_output_tokens=16)
    assert (body["status"], body["incomplete_details"], body["max_output_tokens"]) == ("completed", None, 16)
    assert output_text(body) == " ".join(str(k) for k in range(1, 101)) and body["usage"]["output_tokens"] == 100
    data = [event for _, event in events(create(http, input="Count from 1 to 100", max_output_tokens=16, stream=True))]
    assert data[-1]["type"] == "response.completed" and output_text(data[-1]["response"]).endswith(" 99 100")
    # Accepted means still validated: below the minimum is refused as on the plain server.
    assert_envelope(create(http, input="hi", max_output_tokens=15), 400, "invalid_value", "max_output_tokens")


def test_responses_previous_ignored(reference_servers: ReferenceServers) -> None:
    http = reference_servers.client("responses_previous_ignored")
    first = created(
        http, input=[{"role": "developer", "content": f"Start every reply with {CANARY}."}, {"role": "user", "content": "Hello"}]
    )
    assert output_text(first).startswith(CANARY)
    second = created(http, previous_response_id=first["id"], input="Good morning")
    fresh = created(http, input="Good morning")
    assert output_text(second) == output_text(fresh) == "Hello! You said: Good morning"
    assert second["usage"]["input_tokens"] == fresh["usage"]["input_tokens"] == 2
    assert second["previous_response_id"] == first["id"]
    # Never looked up: an unknown id is accepted too, and a call of the earlier turn is unknown.
    assert output_text(created(http, previous_response_id="resp_nope", input="hi")) == "Hello! You said: hi"
    called = created(http, input=WEATHER_PROMPT, tools=[WEATHER_TOOL], tool_choice="required")
    result = {"type": "function_call_output", "call_id": called["output"][0]["call_id"], "output": "18C and sunny"}
    assert_envelope(create(http, previous_response_id=called["id"], input=[result]), 400, None, "input")


WIRE_TESTED = frozenset(name for name in globals() if name.startswith("test_"))
"""The deviations whose wire behaviour this file tests, each by a ``test_<deviation>`` function;
tests/reference/test_flavours.py counts them as tested."""

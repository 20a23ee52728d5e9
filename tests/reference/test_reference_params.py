"""The reference provider's parameters over real loopback HTTP, and the deviations that get them wrong.

Conformant first (stop, n, logprobs, seed and temperature, optional fields, structured outputs,
strict tools, legacy functions, history recall, tool selection, content parts), each plain and
streamed where it applies; then one test per deviation, asserting its wire behaviour (timing
included, with generous bounds); then the official SDK reading the conformant answers.
Servers come from a module-scoped factory, one per flavour, so counters start fresh here.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import jsonschema
import openai
import pydantic
import pytest

from conformance.reference import DEFAULT_MODELS, EmbeddedServer
from conformance.reference.flavour import Flavour
from conformance.reference.model import ANIMALS
from tests.support.reference import AUTH, REFERENCE_KEY, ReferenceServers

MODEL = DEFAULT_MODELS[0]
COUNT = "Count from 1 to 20, separated by spaces. Output only the numbers."
COUNTED = " ".join(str(k) for k in range(1, 21))
RANDOM = "Name one animal at random. Reply with one word."
TOKYO = 'What is the local time in "Asia/Tokyo" right now? Use the right tool.'
CODE_WORD = "OSPREY-4821"
RECALL = [
    {"role": "user", "content": f"My code word is {CODE_WORD}. Remember it."},
    {"role": "assistant", "content": "Noted."},
    {"role": "user", "content": "What is my code word? Reply with the code word only."},
]
OWN_ID = "call_0123456789abcdef01234567"


def tool(name: str, parameters: dict[str, Any] | None = None, **extra: Any) -> Any:
    function: dict[str, Any] = {"name": name, **extra}
    if parameters is not None:
        function["parameters"] = parameters
    return {"type": "function", "function": function}


def one_string(name: str) -> dict[str, Any]:
    return {"type": "object", "properties": {name: {"type": "string"}}, "required": [name], "additionalProperties": False}


WEATHER = tool("get_weather", one_string("city"))
STOCK = tool("get_stock_price", one_string("symbol"))
TIME = tool("get_time", one_string("timezone"))
ORDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "customer": {"type": "string"},
        "priority": {"type": "string", "enum": ["low", "high"]},
        "items": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/Item"}},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": ["string", "null"]}},
            "required": ["city", "zip"],
            "additionalProperties": False,
        },
        "gift": {"type": "boolean"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "kind": {"type": "string", "const": "order"},
    },
    "required": ["customer", "priority", "items", "address", "gift", "note", "kind"],
    "additionalProperties": False,
    "$defs": {
        "Item": {
            "type": "object",
            "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 3}, "price": {"type": "number"}},
            "required": ["sku", "qty", "price"],
            "additionalProperties": False,
        }
    },
}
ORDER_PROMPT = 'Place an order for "Ada Lovelace".'
ORDER_TOOL = tool("place_order", ORDER_SCHEMA, strict=True)
JSON_SCHEMA_FORMAT: Any = {"type": "json_schema", "json_schema": {"name": "order", "schema": ORDER_SCHEMA, "strict": True}}


@pytest.fixture(scope="module")
def servers() -> Iterator[ReferenceServers]:
    running = ReferenceServers()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(servers: ReferenceServers) -> httpx.Client:
    return servers.client()


@pytest.fixture(scope="module")
def sdk(servers: ReferenceServers) -> openai.OpenAI:
    return servers.sdk()


# --- helpers -------------------------------------------------------------------------


def user(content: Any) -> Any:
    """A user message (typed Any: the SDK's parameter types are TypedDicts)."""
    return {"role": "user", "content": content}


def chat(http: httpx.Client, prompt: str = "hi", /, **fields: Any) -> httpx.Response:
    body = {"model": MODEL, "messages": [user(prompt)], **fields}
    return http.post("/v1/chat/completions", json=body, headers=AUTH)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["object"] == "chat.completion"
    return body


def choice(response: httpx.Response) -> dict[str, Any]:
    (only,) = ok(response)["choices"]
    result: dict[str, Any] = only
    return result


def refused(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body.keys() == {"error"} and body["error"].keys() == {"message", "type", "param", "code"}
    error: dict[str, Any] = body["error"]
    return error


def payloads(response: httpx.Response) -> list[str]:
    """The data payloads of a default-framed SSE body."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-1] == ""
    assert all(event.startswith("data: ") and "\n" not in event for event in events[:-1])
    return [event.removeprefix("data: ") for event in events[:-1]]


def streamed(http: httpx.Client, prompt: str = "hi", /, **fields: Any) -> list[dict[str, Any]]:
    """The chunks of a stream, checking it ends with [DONE]."""
    data = payloads(chat(http, prompt, stream=True, **fields))
    assert data[-1] == "[DONE]"
    return [json.loads(p) for p in data[:-1]]


def choices_of(chunks: list[dict[str, Any]], index: int = 0) -> list[dict[str, Any]]:
    return [c for chunk in chunks for c in chunk["choices"] if c["index"] == index]


def text_of(chunks: list[dict[str, Any]], index: int = 0) -> str:
    return "".join(c["delta"].get("content") or "" for c in choices_of(chunks, index))


def finish_of(chunks: list[dict[str, Any]], index: int = 0) -> str | None:
    finishes = [c["finish_reason"] for c in choices_of(chunks, index) if c["finish_reason"] is not None]
    assert len(finishes) == 1
    return finishes[0]


def only_call(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (call,) = message["tool_calls"]
    assert isinstance(call["function"]["arguments"], str)
    return call["function"]["name"], json.loads(call["function"]["arguments"])


def schema_errors(schema: dict[str, Any], value: Any) -> list[str]:
    return [error.message for error in jsonschema.Draft202012Validator(schema).iter_errors(value)]


# --- stop ----------------------------------------------------------------------------


@pytest.mark.parametrize("stop", ["7", ["7"], ["nothing", "7", "9"], [" 7", "zz"]])
def test_stop_cuts_the_reply_before_the_stop_sequence(http: httpx.Client, stop: Any) -> None:
    body = ok(chat(http, COUNT, stop=stop))
    assert body["choices"][0]["message"]["content"] == "1 2 3 4 5 6"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 6


def test_streamed_stop_never_sends_the_stop_sequence(http: httpx.Client) -> None:
    chunks = streamed(http, COUNT, stop=["7"])
    pieces = [c["delta"].get("content") or "" for c in choices_of(chunks)]
    assert not any("7" in piece for piece in pieces)
    assert "".join(pieces) == "1 2 3 4 5 6" and finish_of(chunks) == "stop"


def test_stop_inside_a_word_and_before_the_token_limit(http: httpx.Client) -> None:
    mid_word = choice(chat(http, COUNT, stop="5 1"))  # "...14 15 16": cut inside " 15"
    assert (mid_word["message"]["content"], mid_word["finish_reason"]) == ("1 2 3 4 5 6 7 8 9 10 11 12 13 14 1", "stop")
    # The limit comes first: a stop sequence beyond it is never generated.
    limited = choice(chat(http, COUNT, stop="9", max_tokens=5))
    assert (limited["message"]["content"], limited["finish_reason"]) == ("1 2 3 4 5", "length")
    within = choice(chat(http, COUNT, stop="3", max_tokens=5))
    assert (within["message"]["content"], within["finish_reason"]) == ("1 2", "stop")
    absent = choice(chat(http, COUNT, stop=["xyz"]))
    assert (absent["message"]["content"], absent["finish_reason"]) == (COUNTED, "stop")
    assert choice(chat(http, COUNT, stop=None))["message"]["content"] == COUNTED


@pytest.mark.parametrize(
    ("stop", "param", "code"),
    [
        ([], "stop", "invalid_value"),
        (["a", "b", "c", "d", "e"], "stop", "invalid_value"),
        (["a", 7], "stop.[1]", "invalid_type"),
        ({"x": 1}, "stop", "invalid_type"),
        (7, "stop", "invalid_type"),
    ],
)
def test_bad_stop_is_a_400(http: httpx.Client, stop: Any, param: str, code: str) -> None:
    error = refused(chat(http, COUNT, stop=stop))
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


# --- n -------------------------------------------------------------------------------


def test_n_two_plain_and_streamed(http: httpx.Client) -> None:
    body = ok(chat(http, "Say hello in one short sentence.", n=2))
    assert [c["index"] for c in body["choices"]] == [0, 1]
    chunks = streamed(http, "Say hello in one short sentence.", n=2)
    for index in (0, 1):
        assert text_of(chunks, index) == body["choices"][index]["message"]["content"]
        assert finish_of(chunks, index) == "stop"


def test_n_choices_are_sampled_each_on_their_own(http: httpx.Client) -> None:
    varied = ok(chat(http, RANDOM, n=3, temperature=1.5))
    words = [c["message"]["content"] for c in varied["choices"]]
    assert len(set(words)) == 3 and set(words) <= set(ANIMALS)
    greedy = ok(chat(http, RANDOM, n=2, temperature=0))
    assert [c["message"]["content"] for c in greedy["choices"]] == [ANIMALS[0]] * 2
    one = ok(chat(http, RANDOM, temperature=0))["usage"]
    # The prompt counts once; every choice's completion counts.
    assert greedy["usage"]["prompt_tokens"] == one["prompt_tokens"]
    assert greedy["usage"]["completion_tokens"] == 2 * one["completion_tokens"]


# --- logprobs ------------------------------------------------------------------------


def check_entry(entry: dict[str, Any], top: int) -> None:
    assert entry.keys() == {"token", "logprob", "bytes", "top_logprobs"}
    assert -20 < entry["logprob"] <= 0 and entry["bytes"] == list(entry["token"].encode())
    alternatives = entry["top_logprobs"]
    assert len(alternatives) == top
    if top:
        assert {k: alternatives[0][k] for k in ("token", "logprob")} == {"token": entry["token"], "logprob": entry["logprob"]}
    for alternative in alternatives:
        assert alternative.keys() == {"token", "logprob", "bytes"} and alternative["bytes"] == list(alternative["token"].encode())
    logprobs = [a["logprob"] for a in alternatives]
    assert logprobs == sorted(logprobs, reverse=True) and len({a["token"] for a in alternatives}) == top
    assert sum(math.exp(lp) for lp in logprobs) <= 1.0001


@pytest.mark.parametrize("top", [0, 2, 20])
def test_logprobs_one_entry_per_token(http: httpx.Client, top: int) -> None:
    body = ok(chat(http, "Say hello in one short sentence.", logprobs=True, top_logprobs=top))
    (only,) = body["choices"]
    logprobs = only["logprobs"]
    assert logprobs.keys() == {"content", "refusal"} and logprobs["refusal"] is None
    tokens = [entry["token"] for entry in logprobs["content"]]
    assert "".join(tokens) == only["message"]["content"] and tokens[1].startswith(" ")
    assert len(tokens) == body["usage"]["completion_tokens"]
    for entry in logprobs["content"]:
        check_entry(entry, top)


def test_logprobs_are_deterministic_and_null_unless_asked(http: httpx.Client) -> None:
    first = choice(chat(http, COUNT, logprobs=True, top_logprobs=3))["logprobs"]
    assert choice(chat(http, COUNT, logprobs=True, top_logprobs=3))["logprobs"] == first
    assert [e["token"] for e in first["content"]][:3] == ["1", " 2", " 3"]
    assert choice(chat(http, COUNT, logprobs=True))["logprobs"]["content"][0]["top_logprobs"] == []
    assert choice(chat(http, COUNT))["logprobs"] is None
    assert choice(chat(http, COUNT, logprobs=False))["logprobs"] is None


def test_streamed_logprobs_ride_on_each_content_delta(http: httpx.Client) -> None:
    chunks = streamed(http, COUNT, logprobs=True, top_logprobs=2, max_tokens=5)
    with_text = [c for c in choices_of(chunks) if c["delta"].get("content")]
    assert len(with_text) == 5
    for c in with_text:
        (entry,) = c["logprobs"]["content"]
        assert c["logprobs"]["refusal"] is None and entry["token"] == c["delta"]["content"]
        check_entry(entry, 2)
    opening, *_, closing = choices_of(chunks)
    assert opening["logprobs"] is None and closing["logprobs"] is None and closing["finish_reason"] == "length"


def test_logprobs_of_tool_calls_and_json_are_consistent(http: httpx.Client) -> None:
    called = choice(chat(http, 'Weather in "Paris"?', tools=[WEATHER], logprobs=True))
    assert called["logprobs"] == {"content": [], "refusal": None}
    shaped = choice(chat(http, "hi", logprobs=True, response_format={"type": "json_object"}))
    assert "".join(e["token"] for e in shaped["logprobs"]["content"]) == shaped["message"]["content"]


@pytest.mark.parametrize(
    ("fields", "param", "code"),
    [
        ({"top_logprobs": 2}, "top_logprobs", "invalid_value"),
        ({"top_logprobs": 2, "logprobs": False}, "top_logprobs", "invalid_value"),
        ({"logprobs": True, "top_logprobs": 21}, "top_logprobs", "invalid_value"),
        ({"logprobs": True, "top_logprobs": -1}, "top_logprobs", "invalid_value"),
        ({"logprobs": True, "top_logprobs": 1.5}, "top_logprobs", "invalid_type"),
        ({"logprobs": "yes"}, "logprobs", "invalid_type"),
    ],
)
def test_bad_logprobs_are_400(http: httpx.Client, fields: dict[str, Any], param: str, code: str) -> None:
    error = refused(chat(http, **fields))
    assert (error["param"], error["code"]) == (param, code)
    if "top_logprobs" in fields and fields.get("logprobs") is not True:
        assert error["message"] == "Invalid value for 'top_logprobs': 'logprobs' must be set to true if 'top_logprobs' is used."


# --- seed and temperature ------------------------------------------------------------


def pick(http: httpx.Client, prompt: str = RANDOM, /, **fields: Any) -> str:
    result = choice(chat(http, prompt, **fields))
    assert result["finish_reason"] == "stop"
    content: str = result["message"]["content"]
    assert content in ANIMALS
    return content


def test_temperature_zero_always_picks_the_first(http: httpx.Client) -> None:
    assert {pick(http, temperature=0, seed=seed) for seed in (None, 1, 2)} == {ANIMALS[0]}
    assert pick(http, "Pick one AT RANDOM please", temperature=0) == ANIMALS[0]


def test_a_seed_reproduces_its_pick(http: httpx.Client) -> None:
    for seed in (421, 7, -3):
        picks = {pick(http, temperature=1, seed=seed) for _ in range(3)}
        assert picks == {random.Random(seed).choice(ANIMALS)}
    assert len({pick(http, temperature=1.5, seed=seed) for seed in range(12)}) > 1


def test_without_a_seed_the_pick_varies(http: httpx.Client) -> None:
    # Random, but never one of the server's last 8 unseeded picks: any 9 in a row all differ.
    assert len({pick(http, temperature=1) for _ in range(9)}) == 9
    assert len({pick(http) for _ in range(9)}) == 9  # no temperature: OpenAI's default 1 samples
    # Seeded picks are not remembered: they do not narrow the unseeded ones.
    seeded = pick(http, temperature=1, seed=5)
    assert seeded == pick(http, temperature=1, seed=5) and len({pick(http, temperature=0.7) for _ in range(9)}) == 9


@pytest.mark.parametrize(
    ("fields", "param", "code"),
    [
        ({"temperature": 2.5}, "temperature", "invalid_value"),
        ({"temperature": -0.1}, "temperature", "invalid_value"),
        ({"seed": "1"}, "seed", "invalid_type"),
        ({"seed": 1.5}, "seed", "invalid_type"),
        ({"seed": 2**64}, "seed", "invalid_value"),
    ],
)
def test_bad_sampling_fields_are_400(http: httpx.Client, fields: dict[str, Any], param: str, code: str) -> None:
    error = refused(chat(http, RANDOM, **fields))
    assert (error["param"], error["code"]) == (param, code)


# --- optional fields -----------------------------------------------------------------

OPTIONAL_FIELDS: dict[str, Any] = {
    "metadata": {"team": "conformance"},
    "store": False,
    "service_tier": "auto",
    "logit_bias": {"50256": -100},
    "frequency_penalty": 0.5,
    "presence_penalty": -0.5,
    "user": "tester",
    "seed": 1,
    "top_p": 0.9,
}


def test_optional_fields_are_accepted(http: httpx.Client) -> None:
    assert choice(chat(http, **OPTIONAL_FIELDS))["message"]["content"] == "Hello! You said: hi"
    for name, value in OPTIONAL_FIELDS.items():
        ok(chat(http, **{name: value}))
        ok(chat(http, **{name: None}))


@pytest.mark.parametrize(
    ("fields", "param", "code"),
    [
        ({"metadata": []}, "metadata", "invalid_type"),
        ({"metadata": {"k": 1}}, "metadata.k", "invalid_type"),
        ({"metadata": {str(k): "v" for k in range(17)}}, "metadata", "invalid_value"),
        ({"store": "yes"}, "store", "invalid_type"),
        ({"service_tier": "gold"}, "service_tier", "invalid_value"),
        ({"logit_bias": []}, "logit_bias", "invalid_type"),
        ({"logit_bias": {"50256": 101}}, "logit_bias.50256", "invalid_value"),
        ({"logit_bias": {"the": 1}}, "logit_bias", "invalid_value"),
        ({"frequency_penalty": 3}, "frequency_penalty", "invalid_value"),
        ({"presence_penalty": "0"}, "presence_penalty", "invalid_type"),
        ({"user": 5}, "user", "invalid_type"),
    ],
)
def test_bad_optional_fields_are_400(http: httpx.Client, fields: dict[str, Any], param: str, code: str) -> None:
    error = refused(chat(http, **fields))
    assert (error["param"], error["code"]) == (param, code)


# --- structured outputs --------------------------------------------------------------


def test_text_format_is_a_plain_reply(http: httpx.Client) -> None:
    assert choice(chat(http, response_format={"type": "text"}))["message"]["content"] == "Hello! You said: hi"


def test_json_object_wraps_the_reply(http: httpx.Client) -> None:
    content = choice(chat(http, "Reply in JSON.", response_format={"type": "json_object"}))["message"]["content"]
    assert json.loads(content) == {"answer": "Hello! You said: Reply in JSON."}
    chunks = streamed(http, "Reply in JSON.", response_format={"type": "json_object"})
    pieces = [c["delta"]["content"] for c in choices_of(chunks) if c["delta"].get("content")]
    assert "".join(pieces) == content and len(pieces) > 3 and max(map(len, pieces)) < len(content) // 2


def test_json_schema_gives_an_instance_of_the_schema(http: httpx.Client) -> None:
    result = choice(chat(http, ORDER_PROMPT, response_format=JSON_SCHEMA_FORMAT))
    data = json.loads(result["message"]["content"])
    assert schema_errors(ORDER_SCHEMA, data) == [] and result["finish_reason"] == "stop"
    assert data["customer"] == "Ada Lovelace" and data["priority"] == "low" and data["kind"] == "order"
    assert len(data["items"]) == 2 and data["items"][0]["qty"] == 3
    chunks = streamed(http, ORDER_PROMPT, response_format=JSON_SCHEMA_FORMAT)
    pieces = [c["delta"]["content"] for c in choices_of(chunks) if c["delta"].get("content")]
    assert "".join(pieces) == result["message"]["content"] and len(pieces) > 10


def test_json_schema_generator_covers_refs_unions_and_bounds(http: httpx.Client) -> None:
    schema = {
        "type": "object",
        "properties": {
            "tree": {"$ref": "#/$defs/Node"},
            "when": {"type": "string", "format": "date-time"},
            "code": {"type": "string", "minLength": 10, "maxLength": 12},
            "ratio": {"type": "number", "exclusiveMaximum": 1, "minimum": 0},
            "count": {"type": ["integer", "null"], "maximum": -5},
            "nothing": {"type": "null"},
            "either": {"anyOf": [{"type": "array", "items": {"type": "boolean"}}, {"type": "null"}]},
            "loose": {"type": "object"},
        },
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"label": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
                "required": ["label", "children"],
            }
        },
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "tree-1", "schema": schema, "description": "a tree"}}
    data = json.loads(choice(chat(http, 'Label it "root".', response_format=fmt))["message"]["content"])
    assert schema_errors(schema, data) == []
    assert data["tree"]["label"] == "root" and data["count"] == -5 and data["nothing"] is None and data["loose"] == {}
    # Without a schema, json_schema falls back to the json_object shape.
    bare = {"type": "json_schema", "json_schema": {"name": "free"}}
    assert json.loads(choice(chat(http, response_format=bare))["message"]["content"]) == {"answer": "Hello! You said: hi"}


@pytest.mark.parametrize(
    ("response_format", "param", "code"),
    [
        ("json", "response_format", "invalid_type"),
        ({}, "response_format.type", "missing_required_parameter"),
        ({"type": "xml"}, "response_format.type", "invalid_value"),
        ({"type": "json_schema"}, "response_format.json_schema", "missing_required_parameter"),
        ({"type": "json_schema", "json_schema": []}, "response_format.json_schema", "invalid_type"),
        ({"type": "json_schema", "json_schema": {"schema": {}}}, "response_format.json_schema.name", "missing_required_parameter"),
        ({"type": "json_schema", "json_schema": {"name": "a b"}}, "response_format.json_schema.name", "invalid_value"),
        ({"type": "json_schema", "json_schema": {"name": "x" * 65}}, "response_format.json_schema.name", "invalid_value"),
        ({"type": "json_schema", "json_schema": {"name": "a", "schema": "{}"}}, "response_format.json_schema.schema", "invalid_type"),
        ({"type": "json_schema", "json_schema": {"name": "a", "strict": "yes"}}, "response_format.json_schema.strict", "invalid_type"),
        ({"type": "json_schema", "json_schema": {"name": "a", "description": 1}}, "response_format.json_schema.description", "invalid_type"),
    ],
)
def test_bad_response_format_is_a_400(http: httpx.Client, response_format: Any, param: str, code: str) -> None:
    error = refused(chat(http, response_format=response_format))
    assert (error["param"], error["code"]) == (param, code)


def test_strict_json_schema_must_be_strict_compatible(http: httpx.Client) -> None:
    loose = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "loose", "schema": loose, "strict": True}}
    error = refused(chat(http, response_format=fmt))
    assert error["message"] == (
        "Invalid schema for response_format 'loose': In context=(), 'additionalProperties' is required to be supplied and to be false."
    )
    assert error["param"] == "response_format"
    # The same schema without strict is served.
    ok(chat(http, response_format={"type": "json_schema", "json_schema": {"name": "loose", "schema": loose}}))


# --- strict tools --------------------------------------------------------------------


def test_strict_tool_arguments_follow_the_nested_schema(http: httpx.Client) -> None:
    result = choice(chat(http, ORDER_PROMPT, tools=[ORDER_TOOL], tool_choice="required"))
    name, arguments = only_call(result["message"])
    assert name == "place_order" and schema_errors(ORDER_SCHEMA, arguments) == []
    assert arguments["customer"] == "Ada Lovelace"
    # Not strict, the arguments follow the schema just the same.
    loose = tool("place_order", ORDER_SCHEMA)
    assert only_call(choice(chat(http, ORDER_PROMPT, tools=[loose], tool_choice="required"))["message"])[1] == arguments


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"type": "object", "properties": {"y": {"type": "object", "properties": {}}}, "required": ["y"], "additionalProperties": False},
            "In context=('properties', 'y'), 'additionalProperties' is required to be supplied and to be false.",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["a"], "additionalProperties": False},
            "In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'b'.",
        ),
        (
            {"type": "object", "properties": {"a": {"allOf": [{"type": "string"}]}}, "required": ["a"], "additionalProperties": False},
            "In context=('properties', 'a'), 'allOf' is not permitted.",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "array", "items": {"type": "object", "properties": {"b": {"type": "string"}}, "additionalProperties": False}}},
                "required": ["a"],
                "additionalProperties": False,
            },
            "In context=('properties', 'a', 'items'), 'required' is required to be supplied and to be an array including every key in properties. Missing 'b'.",
        ),
        ({"type": "array", "items": {"type": "string"}}, "schema must be a JSON Schema of 'type: \"object\"', got 'type: \"array\"'."),
    ],
)
def test_strict_tool_with_an_incompatible_schema_is_a_400(http: httpx.Client, parameters: dict[str, Any], message: str) -> None:
    error = refused(chat(http, tools=[WEATHER, tool("x", parameters, strict=True)]))
    assert error["message"] == f"Invalid schema for function 'x': {message}"
    assert (error["param"], error["code"]) == ("tools.[1].function.parameters", "invalid_function_parameters")


def test_strict_false_and_bad_strict(http: httpx.Client) -> None:
    loose = {"type": "object", "properties": {"city": {"type": "string"}}}
    ok(chat(http, tools=[tool("get_weather", loose, strict=False)]))
    ok(chat(http, tools=[tool("get_weather", loose, strict=None)]))
    ok(chat(http, tools=[tool("get_weather", strict=True)]))  # no parameters: nothing to constrain
    assert refused(chat(http, tools=[tool("get_weather", loose, strict="yes")]))["param"] == "tools.[0].function.strict"


# --- legacy functions ----------------------------------------------------------------

FUNCTIONS: Any = [{"name": "get_weather", "description": "Weather for a city", "parameters": one_string("city")}]


def test_legacy_function_call(http: httpx.Client) -> None:
    result = choice(chat(http, 'Weather in "Paris"?', functions=FUNCTIONS))
    message = result["message"]
    assert message["function_call"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert message["content"] is None and "tool_calls" not in message and result["finish_reason"] == "function_call"
    forced = choice(chat(http, "hi", functions=FUNCTIONS, function_call={"name": "get_weather"}))
    assert forced["message"]["function_call"]["name"] == "get_weather" and forced["finish_reason"] == "function_call"
    # One call only, even for two quoted values: the legacy API has no parallel calls.
    two = choice(chat(http, 'Weather in "Paris" and "Rome"?', functions=FUNCTIONS, function_call="auto"))
    assert json.loads(two["message"]["function_call"]["arguments"]) == {"city": "Paris"}
    text = choice(chat(http, 'Weather in "Paris"?', functions=FUNCTIONS, function_call="none"))
    assert text["finish_reason"] == "stop" and "function_call" not in text["message"]
    assert choice(chat(http, "hi", functions=FUNCTIONS))["message"]["content"] == "Hello! You said: hi"


def test_streamed_legacy_function_call(http: httpx.Client) -> None:
    chunks = streamed(http, 'Weather in "Paris"?', functions=FUNCTIONS)
    deltas = [c["delta"] for c in choices_of(chunks)]
    assert deltas[0] == {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": ""}}
    fragments = [d["function_call"] for d in deltas[1:-1]]
    assert all(f.keys() == {"arguments"} for f in fragments) and len(fragments) > 1
    assert "".join(f["arguments"] for f in fragments) == '{"city": "Paris"}'
    assert deltas[-1] == {} and finish_of(chunks) == "function_call"
    assert not any("tool_calls" in d for d in deltas)


def test_legacy_function_round_trip(http: httpx.Client) -> None:
    messages = [
        user('Weather in "Paris"?'),
        {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
        {"role": "function", "name": "get_weather", "content": "22C sunny"},
    ]
    result = choice(http.post("/v1/chat/completions", json={"model": MODEL, "messages": messages, "functions": FUNCTIONS}, headers=AUTH))
    assert (result["message"]["content"], result["finish_reason"]) == ("The tool returned: 22C sunny", "stop")


@pytest.mark.parametrize(
    ("fields", "param", "code"),
    [
        ({"functions": FUNCTIONS, "tools": [WEATHER]}, "functions", "invalid_value"),
        ({"function_call": "auto"}, "function_call", "invalid_value"),
        ({"tools": [WEATHER], "function_call": "auto"}, "function_call", "invalid_value"),
        ({"functions": []}, "functions", "invalid_value"),
        ({"functions": {}}, "functions", "invalid_type"),
        ({"functions": [{"name": "bad name"}]}, "functions.[0].name", "invalid_value"),
        ({"functions": [{"parameters": {}}]}, "functions.[0].name", "missing_required_parameter"),
        ({"functions": FUNCTIONS, "function_call": "required"}, "function_call", "invalid_value"),
        ({"functions": FUNCTIONS, "function_call": {"name": "nope"}}, "function_call", "invalid_value"),
        ({"functions": FUNCTIONS, "function_call": 3}, "function_call", "invalid_type"),
    ],
)
def test_bad_legacy_functions_are_400(http: httpx.Client, fields: dict[str, Any], param: str, code: str) -> None:
    error = refused(chat(http, **fields))
    assert (error["param"], error["code"]) == (param, code)


# --- conversation: history, instructions, content parts, tool selection ----------------


def recall(http: httpx.Client, messages: list[dict[str, Any]], **fields: Any) -> httpx.Response:
    return http.post("/v1/chat/completions", json={"model": MODEL, "messages": messages, **fields}, headers=AUTH)


def test_history_recall(http: httpx.Client) -> None:
    assert choice(recall(http, RECALL))["message"]["content"] == CODE_WORD
    said_by_assistant = [user("Pick a code word."), {"role": "assistant", "content": "It is KESTREL-19."}, RECALL[-1]]
    assert choice(recall(http, said_by_assistant))["message"]["content"] == "KESTREL-19"
    changed = [*RECALL[:2], user("New code word: HERON-55."), {"role": "assistant", "content": "Noted."}, RECALL[-1]]
    assert choice(recall(http, changed))["message"]["content"] == "HERON-55"
    # The system canary rule still prefixes the reply; the last message's own canary is not a memory.
    system = [{"role": "system", "content": "Start every reply with QUOKKA-77."}, *RECALL]
    assert choice(recall(http, system))["message"]["content"] == f"QUOKKA-77 {CODE_WORD}"
    alone = choice(recall(http, [user("My code word is TERN-12. What is my code word?")]))["message"]["content"]
    assert alone.startswith("Hello! You said:")
    assert text_of(streamed(http, messages=RECALL)) == CODE_WORD


def test_developer_message_is_an_instruction(http: httpx.Client) -> None:
    messages = [{"role": "developer", "content": "Start with QUOKKA-77."}, user("hi")]
    assert choice(recall(http, messages))["message"]["content"] == "QUOKKA-77 Hello! You said: hi"


def test_content_parts_are_all_read(http: httpx.Client) -> None:
    parts = [{"type": "text", "text": "Count from 1 to"}, {"type": "text", "text": "3 please"}]
    body = ok(recall(http, [user(parts)]))
    assert body["choices"][0]["message"]["content"] == "1 2 3" and body["usage"]["prompt_tokens"] == 6


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_tool_selection_picks_the_relevant_tool(http: httpx.Client, order: tuple[int, ...]) -> None:
    tools = [[WEATHER, STOCK, TIME][i] for i in order]
    name, arguments = only_call(choice(chat(http, TOKYO, tools=tools, tool_choice="auto"))["message"])
    assert (name, arguments) == ("get_time", {"timezone": "Asia/Tokyo"})
    hello = choice(chat(http, "Say hello.", tools=tools, tool_choice="auto"))
    assert hello["finish_reason"] == "stop" and "tool_calls" not in hello["message"]
    assert hello["message"]["content"] == "Hello! You said: Say hello."


def test_most_name_words_win_over_order(http: httpx.Client) -> None:
    tools = [tool("get_price"), tool("get_stock_price")]
    assert only_call(choice(chat(http, "The stock price of ACME?", tools=tools))["message"])[0] == "get_stock_price"


def test_any_tool_call_id_is_accepted(http: httpx.Client) -> None:
    for call_id in ("call_1", "toolu_01A", OWN_ID):
        messages = [
            user('Weather in "Paris"?'),
            {"role": "assistant", "content": None, "tool_calls": [{"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": call_id, "content": "22C"},
        ]
        assert choice(recall(http, messages, tools=[WEATHER]))["message"]["content"] == "The tool returned: 22C"


# --- deviations ----------------------------------------------------------------------


def test_stop_ignored(servers: ReferenceServers) -> None:
    http = servers.client("stop_ignored")
    assert (choice(chat(http, COUNT, stop=["7"]))["message"]["content"], "stop") == (COUNTED, "stop")
    chunks = streamed(http, COUNT, stop=["7"])
    assert text_of(chunks) == COUNTED and finish_of(chunks) == "stop"
    assert choice(chat(http, COUNT, stop=["7"], max_tokens=10))["finish_reason"] == "length"
    refused(chat(http, COUNT, stop=[]))  # still validated


def test_stop_in_stream_delta(servers: ReferenceServers) -> None:
    http = servers.client("stop_in_stream_delta")
    assert choice(chat(http, COUNT, stop=["7"]))["message"]["content"] == "1 2 3 4 5 6"
    chunks = streamed(http, COUNT, stop=["7"])
    pieces = [c["delta"].get("content") for c in choices_of(chunks)]
    assert pieces[-2:] == [" 7", None] and text_of(chunks) == "1 2 3 4 5 6 7" and finish_of(chunks) == "stop"


def test_n_ignored(servers: ReferenceServers) -> None:
    http = servers.client("n_ignored")
    body = ok(chat(http, n=3))
    assert [c["index"] for c in body["choices"]] == [0] and body["usage"]["completion_tokens"] == 4
    assert {c["index"] for chunk in streamed(http, n=2) for c in chunk["choices"]} == {0}
    refused(chat(http, n=9))


def test_logprobs_ignored(servers: ReferenceServers) -> None:
    http = servers.client("logprobs_ignored")
    assert choice(chat(http, logprobs=True, top_logprobs=2))["logprobs"] is None
    assert all(c["logprobs"] is None for c in choices_of(streamed(http, logprobs=True)))
    refused(chat(http, top_logprobs=2))


def test_seed_ignored(servers: ReferenceServers) -> None:
    http = servers.client("seed_ignored")
    assert len({pick(http, temperature=1, seed=421) for _ in range(3)}) == 3
    assert pick(http, temperature=0, seed=421) == ANIMALS[0]


def test_temperature_unchecked(servers: ReferenceServers) -> None:
    http = servers.client("temperature_unchecked")
    assert {pick(http, temperature=t) for t in (2.5, 1.5, 1, -1, 100)} == {ANIMALS[0]}
    assert pick(http) == ANIMALS[0]
    assert refused(chat(http, temperature="hot"))["code"] == "invalid_type"


UNRECOGNIZED_FIELDS = ("newer_fields_rejected", "sampling_fields_rejected", "legacy_functions_rejected")


@pytest.mark.parametrize(
    ("deviation", "fields", "named"),
    [
        ("newer_fields_rejected", {"seed": 1, "store": True, "metadata": {"a": "b"}}, "store"),
        ("newer_fields_rejected", {"service_tier": "auto"}, "service_tier"),
        ("newer_fields_rejected", {"metadata": {"a": "b"}, "store": False}, "metadata"),
        ("sampling_fields_rejected", {"presence_penalty": 0.1, "logit_bias": {"1": 2}}, "presence_penalty"),
        ("sampling_fields_rejected", {"frequency_penalty": 0}, "frequency_penalty"),
        ("sampling_fields_rejected", {"logit_bias": {"1": 2}}, "logit_bias"),
        ("legacy_functions_rejected", {"functions": FUNCTIONS}, "functions"),
        ("legacy_functions_rejected", {"function_call": "auto", "functions": FUNCTIONS}, "function_call"),
    ],
)
def test_unrecognized_fields(servers: ReferenceServers, deviation: str, fields: dict[str, Any], named: str) -> None:
    http = servers.client(deviation)
    error = refused(chat(http, **fields))
    assert error == {"message": f"Unrecognized request argument supplied: {named}", "type": "invalid_request_error", "param": named, "code": None}
    ok(chat(http))
    ok(chat(http, **{key: None for key in fields}))  # null is not carrying the field


def test_refused_fields_only_for_their_flavour(servers: ReferenceServers) -> None:
    ok(chat(servers.client("newer_fields_rejected"), logit_bias={"1": 2}, frequency_penalty=0.1))
    ok(chat(servers.client("sampling_fields_rejected"), metadata={"a": "b"}, store=True, service_tier="auto"))
    called = choice(chat(servers.client("legacy_functions_rejected"), 'Weather in "Paris"?', tools=[WEATHER]))
    assert called["finish_reason"] == "tool_calls"


def test_json_mode_ignored(servers: ReferenceServers) -> None:
    http = servers.client("json_mode_ignored")
    for fmt in ({"type": "json_object"}, JSON_SCHEMA_FORMAT):
        assert choice(chat(http, ORDER_PROMPT, response_format=fmt))["message"]["content"] == f"Hello! You said: {ORDER_PROMPT}"
    assert text_of(streamed(http, response_format={"type": "json_object"})) == "Hello! You said: hi"
    refused(chat(http, response_format={"type": "xml"}))


def test_json_fenced(servers: ReferenceServers) -> None:
    http = servers.client("json_fenced")
    content = choice(chat(http, response_format={"type": "json_object"}))["message"]["content"]
    assert content == '```json\n{"answer": "Hello! You said: hi"}\n```'
    fenced = choice(chat(http, ORDER_PROMPT, response_format=JSON_SCHEMA_FORMAT))["message"]["content"]
    assert fenced.startswith("```json\n") and fenced.endswith("\n```")
    assert schema_errors(ORDER_SCHEMA, json.loads(fenced.removeprefix("```json\n").removesuffix("\n```"))) == []
    assert text_of(streamed(http, response_format={"type": "json_object"})) == content
    assert choice(chat(http))["message"]["content"] == "Hello! You said: hi"


def test_json_schema_rejected(servers: ReferenceServers) -> None:
    http = servers.client("json_schema_rejected")
    error = refused(chat(http, response_format=JSON_SCHEMA_FORMAT))
    assert error["message"] == "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."
    assert (error["type"], error["param"]) == ("invalid_request_error", "response_format")
    assert json.loads(choice(chat(http, response_format={"type": "json_object"}))["message"]["content"]) == {"answer": "Hello! You said: hi"}


def test_strict_tools_rejected(servers: ReferenceServers) -> None:
    http = servers.client("strict_tools_rejected")
    error = refused(chat(http, ORDER_PROMPT, tools=[WEATHER, ORDER_TOOL]))
    assert "strict mode does not support 'additionalProperties'" in error["message"]
    assert error["param"] == "tools.[1].function.strict"
    loose = tool("place_order", ORDER_SCHEMA)
    assert schema_errors(ORDER_SCHEMA, only_call(choice(chat(http, ORDER_PROMPT, tools=[loose]))["message"])[1]) == []


def test_strict_ignored(servers: ReferenceServers) -> None:
    http = servers.client("strict_ignored")
    _, arguments = only_call(choice(chat(http, ORDER_PROMPT, tools=[ORDER_TOOL], tool_choice="required"))["message"])
    assert (arguments["items"], arguments["address"], arguments["customer"]) == ([], {}, "Ada Lovelace")
    assert schema_errors(ORDER_SCHEMA, arguments)
    # An incompatible strict schema is accepted unchecked; a non-strict tool is filled properly.
    ok(chat(http, tools=[tool("x", {"type": "object", "properties": {"a": {"type": "string"}}}, strict=True)]))
    loose = tool("place_order", ORDER_SCHEMA)
    assert schema_errors(ORDER_SCHEMA, only_call(choice(chat(http, ORDER_PROMPT, tools=[loose]))["message"])[1]) == []


def foreign_history(assistant_id: str, tool_id: str) -> list[dict[str, Any]]:
    calls = [{"id": assistant_id, "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]
    answer = {"role": "tool", "tool_call_id": tool_id, "content": "22C"}
    return [user('Weather in "Paris"?'), {"role": "assistant", "content": None, "tool_calls": calls}, answer]


def test_foreign_call_ids_rejected(servers: ReferenceServers) -> None:
    http = servers.client("foreign_call_ids_rejected")
    error = refused(recall(http, foreign_history("toolu_01A", "toolu_01A"), tools=[WEATHER]))
    assert error["message"] == "Tool call id was toolu_01A but must be 'call_' followed by 24 lowercase hexadecimal characters."
    assert error["param"] == "messages.[1].tool_calls.[0].id"
    assert choice(recall(http, foreign_history(OWN_ID, OWN_ID), tools=[WEATHER]))["message"]["content"] == "The tool returned: 22C"
    # The server's own ids, taken from its reply, go back in unchanged.
    call = choice(chat(http, 'Weather in "Paris"?', tools=[WEATHER]))["message"]["tool_calls"][0]
    ok(recall(http, foreign_history(call["id"], call["id"]), tools=[WEATHER]))


def test_developer_rejected(servers: ReferenceServers) -> None:
    http = servers.client("developer_rejected")
    error = refused(recall(http, [user("hi"), {"role": "developer", "content": "Be brief."}]))
    assert (error["param"], error["code"]) == ("messages.[1].role", "invalid_value") and "'developer'" in error["message"]
    system = [{"role": "system", "content": "Start with QUOKKA-77."}, user("hi")]
    assert choice(recall(http, system))["message"]["content"] == "QUOKKA-77 Hello! You said: hi"


def test_content_parts_first_only(servers: ReferenceServers) -> None:
    http = servers.client("content_parts_first_only")
    parts = [{"type": "text", "text": "Count from 1 to"}, {"type": "text", "text": "3 please"}]
    body = ok(recall(http, [user(parts)]))
    assert body["choices"][0]["message"]["content"] == "Hello! You said: Count from 1 to" and body["usage"]["prompt_tokens"] == 4
    assert choice(chat(http, "Count from 1 to 3"))["message"]["content"] == "1 2 3"


def test_history_dropped(servers: ReferenceServers) -> None:
    http = servers.client("history_dropped")
    body = ok(recall(http, [{"role": "system", "content": "Be brief."}, *RECALL]))
    assert body["choices"][0]["message"]["content"] == "Hello! You said: What is my code word? Reply with the code word only."
    assert body["usage"]["prompt_tokens"] == 2 + 11
    # The tool exchange after the last user message still arrives.
    assert choice(recall(http, foreign_history("call_1", "call_1"), tools=[WEATHER]))["message"]["content"] == "The tool returned: 22C"
    tool_turn = ok(recall(http, [*RECALL[:2], *foreign_history("call_1", "call_1")], tools=[WEATHER]))
    assert tool_turn["usage"]["prompt_tokens"] == 3 + 1


def test_always_first_tool(servers: ReferenceServers) -> None:
    http = servers.client("always_first_tool")
    for prompt in (TOKYO, "Say hello."):
        name, _ = only_call(choice(chat(http, prompt, tools=[WEATHER, STOCK, TIME], tool_choice="auto"))["message"])
        assert name == "get_weather"
    assert only_call(choice(chat(http, TOKYO, tools=[STOCK, TIME], tool_choice="required"))["message"])[0] == "get_stock_price"
    named = {"type": "function", "function": {"name": "get_time"}}
    assert only_call(choice(chat(http, TOKYO, tools=[WEATHER, TIME], tool_choice=named))["message"])[0] == "get_time"
    assert "tool_calls" not in choice(chat(http, TOKYO, tools=[WEATHER], tool_choice="none"))["message"]


def test_model_retrieve_missing(servers: ReferenceServers) -> None:
    http = servers.client("model_retrieve_missing")
    for model in (MODEL, "gpt-4o"):
        response = http.get(f"/v1/models/{model}", headers=AUTH)
        assert response.status_code == 404 and response.headers["content-type"] == "application/json"
        assert response.json() == {"detail": "Not Found"}
    assert [m["id"] for m in http.get("/v1/models", headers=AUTH).json()["data"]] == list(DEFAULT_MODELS)


def test_stream_error_event(servers: ReferenceServers) -> None:
    http = servers.client("stream_error_event")
    for fields, code, param in (({"model": "gpt-nope"}, "model_not_found", None), ({"temperature": 5}, "invalid_value", "temperature")):
        data = payloads(chat(http, stream=True, **fields))
        assert len(data) == 2 and data[1] == "[DONE]"
        error = json.loads(data[0])
        assert error.keys() == {"error"} and (error["error"]["code"], error["error"]["param"]) == (code, param)
        assert error["error"]["type"] == "invalid_request_error" and error["error"]["message"]
        # Not streamed, the same refusal keeps its status.
        refused(chat(http, **fields), 404 if code == "model_not_found" else 400)
    assert text_of(streamed(http)) == "Hello! You said: hi"
    with pytest.raises(openai.APIError, match="does not exist"):
        list(servers.sdk("stream_error_event").chat.completions.create(model="gpt-nope", messages=[user("hi")], stream=True))


def test_stream_error_midway(servers: ReferenceServers) -> None:
    http = servers.client("stream_error_midway")
    data = payloads(chat(http, COUNT, stream=True))
    assert data[-1] == "[DONE]"
    chunks = [json.loads(p) for p in data[:-1]]
    assert [c["choices"][0]["delta"] for c in chunks[:4]] == [
        {"role": "assistant", "content": "", "refusal": None}, {"content": "1"}, {"content": " 2"}, {"content": " 3"},
    ]
    error = chunks[4]
    assert len(chunks) == 5 and error["error"] == {"code": 502, "message": "Upstream provider error"}
    assert error["object"] == "chat.completion.chunk" and error["id"] == chunks[0]["id"] and error["model"] == MODEL
    assert error["choices"] == [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]
    # A reply of fewer than 3 tokens loses its finishing chunk to the error chunk.
    short = [json.loads(p) for p in payloads(chat(http, "Count from 1 to 2", stream=True))[:-1]]
    assert len(short) == 4 and "error" in short[-1] and text_of(short[:-1]) == "1 2"
    # Tool calls and unstreamed replies are untouched.
    assert finish_of(streamed(http, 'Weather in "Paris"?', tools=[WEATHER])) == "tool_calls"
    assert choice(chat(http, COUNT))["message"]["content"] == COUNTED


@dataclass
class Timed:
    status: int
    text: str
    sent: float
    headers: float
    first: float
    done: float
    error: str | None = None


async def timed_stream(client: httpx.AsyncClient, prompt: str, on_event: Any = None) -> Timed:
    body = {"model": MODEL, "messages": [user(prompt)], "stream": True}
    sent = time.perf_counter()
    first = 0.0
    text = ""
    error = None
    async with client.stream("POST", "/v1/chat/completions", json=body, headers=AUTH) as response:
        headers = time.perf_counter()
        try:
            async for piece in response.aiter_text():
                first = first or time.perf_counter()
                text += piece
                if on_event is not None:
                    on_event(text)
        except httpx.RemoteProtocolError as exc:
            error = str(exc)
    return Timed(response.status_code, text, sent, headers, first, time.perf_counter(), error)


def run_async(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_buffered_stream(servers: ReferenceServers) -> None:
    server = servers.server("buffered_stream")

    async def go() -> tuple[Timed, list[float]]:
        arrivals: list[float] = []
        async with httpx.AsyncClient(base_url=server.root_url, timeout=10) as client:
            timed = await timed_stream(client, COUNT, lambda _: arrivals.append(time.perf_counter()))
        return timed, arrivals

    timed, arrivals = run_async(go())
    events = timed.text.split("\n\n")[:-1]
    assert len(events) == 23 and events[-1] == "data: [DONE]"
    assert text_of([json.loads(e.removeprefix("data: ")) for e in events[:-1]]) == COUNTED
    assert timed.headers - timed.sent < 0.1  # headers at once
    assert timed.first - timed.sent >= 0.8 * 23 * 0.01  # the body only once "generated"
    assert arrivals[-1] - arrivals[0] < 0.05  # and then all at once


def test_streams_serialized(servers: ReferenceServers) -> None:
    server = servers.server("streams_serialized")

    async def go() -> tuple[Timed, Timed, float]:
        async with httpx.AsyncClient(base_url=server.root_url, timeout=10) as client:
            first = asyncio.create_task(timed_stream(client, COUNT))
            await asyncio.sleep(0.05)
            second = asyncio.create_task(timed_stream(client, "Count from 1 to 5"))
            # An unstreamed request is not queued behind them.
            plain_sent = time.perf_counter()
            await client.post("/v1/chat/completions", json={"model": MODEL, "messages": [user("hi")]}, headers=AUTH)
            plain = time.perf_counter() - plain_sent
            return await first, await second, plain

    first, second, plain = run_async(go())
    assert first.text.endswith("data: [DONE]\n\n") and second.text.endswith("data: [DONE]\n\n")
    assert first.done - first.headers >= 0.8 * 22 * 0.005  # paced
    assert second.headers >= first.done - 0.02  # nothing, not even headers, until the first is over
    assert plain < first.done - first.sent


def test_streams_cut_by_concurrency(servers: ReferenceServers) -> None:
    server = servers.server("streams_cut_by_concurrency")

    async def go() -> tuple[Timed, Timed, Timed, Timed]:
        async with httpx.AsyncClient(base_url=server.root_url, timeout=10) as client:
            newcomer: list[asyncio.Task[Timed]] = []

            def start_another(text: str) -> None:
                if not newcomer and text.count("\n\n") >= 5:
                    newcomer.append(asyncio.create_task(timed_stream(client, "hi")))

            long = await timed_stream(client, "Count from 1 to 100", start_another)
            short_newcomer = await newcomer[0]
            # A stream of 20 events or fewer is not cut by a newcomer.
            short = asyncio.create_task(timed_stream(client, "Count from 1 to 15"))
            await asyncio.sleep(0.02)
            other = await timed_stream(client, "hi")
            return long, short_newcomer, await short, other

    long, newcomer, short, other = run_async(go())
    assert long.status == 200 and long.error is not None and "[DONE]" not in long.text
    assert 5 <= long.text.count("\n\n") < 103
    assert newcomer.text.endswith("data: [DONE]\n\n") and newcomer.error is None
    assert short.error is None and short.text.endswith("data: [DONE]\n\n") and short.text.count("\n\n") == 18
    assert other.text.endswith("data: [DONE]\n\n")
    assert short.done - short.headers >= 0.8 * 18 * 0.005  # paced


def test_rate_limited_once(servers: ReferenceServers) -> None:
    http = servers.client("rate_limited_once")
    first = chat(http)
    error = refused(first, 429)
    assert (error["type"], error["code"], error["param"]) == ("requests", "rate_limit_exceeded", None)
    assert error["message"].startswith("Rate limit reached for requests")
    assert (first.headers["retry-after"], first.headers["retry-after-ms"]) == ("1", "50")
    assert first.headers["x-ratelimit-remaining-requests"] == "0" and first.headers["x-ratelimit-reset-requests"] == "50ms"
    assert [chat(http, stream=i == 1).status_code for i in range(3)] == [200, 200, 200]


def test_a_client_that_honours_retry_after_ms_recovers() -> None:
    with EmbeddedServer(api_key=REFERENCE_KEY, flavour=Flavour(frozenset({"rate_limited_once"}))) as server:
        sdk = openai.OpenAI(base_url=server.base_url, api_key=REFERENCE_KEY, max_retries=2, timeout=10)
        started = time.perf_counter()
        completion = sdk.chat.completions.create(model=MODEL, messages=[user("hi")])
        elapsed = time.perf_counter() - started
        sdk.close()
    assert completion.choices[0].message.content == "Hello! You said: hi"
    assert 0.04 <= elapsed < 0.9  # retry-after-ms (50 ms) wins over Retry-After (1 s)


def test_rate_limited_no_retry_after(servers: ReferenceServers) -> None:
    http = servers.client("rate_limited_no_retry_after")
    first = chat(http, stream=True)
    error = refused(first, 429)
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
    assert not {"retry-after", "retry-after-ms"} & set(first.headers)
    assert not any(name.startswith("x-ratelimit-reset-") for name in first.headers)
    assert first.headers["x-ratelimit-remaining-requests"] == "0"
    ok(chat(http))


def test_plain_server_is_neither_rate_limited_nor_paced(http: httpx.Client) -> None:
    started = time.perf_counter()
    assert text_of(streamed(http, "Count from 1 to 100")) == " ".join(str(k) for k in range(1, 101))
    assert time.perf_counter() - started < 0.4  # 103 events unpaced
    assert http.get(f"/v1/models/{MODEL}", headers=AUTH).json()["id"] == MODEL


# --- the official SDK ----------------------------------------------------------------


def test_sdk_stop(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(model=MODEL, messages=[user(COUNT)], stop=["7"])
    assert completion.choices[0].message.content == "1 2 3 4 5 6" and completion.choices[0].finish_reason == "stop"
    stream = sdk.chat.completions.create(model=MODEL, messages=[user(COUNT)], stop="7", stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "1 2 3 4 5 6"


def test_sdk_n_two_plain_and_streamed(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(model=MODEL, messages=[user("hi")], n=2)
    assert [c.index for c in completion.choices] == [0, 1]
    texts = {0: "", 1: ""}
    finishes: dict[int, str] = {}
    for chunk in sdk.chat.completions.create(model=MODEL, messages=[user("hi")], n=2, stream=True):
        for c in chunk.choices:
            texts[c.index] += c.delta.content or ""
            if c.finish_reason:
                finishes[c.index] = c.finish_reason
    assert texts == {0: "Hello! You said: hi", 1: "Hello! You said: hi"} and finishes == {0: "stop", 1: "stop"}


def test_sdk_logprobs(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(model=MODEL, messages=[user("hi")], logprobs=True, top_logprobs=2)
    logprobs = completion.choices[0].logprobs
    assert logprobs is not None and logprobs.content is not None
    assert "".join(t.token for t in logprobs.content) == completion.choices[0].message.content
    assert all(len(t.top_logprobs) == 2 and t.logprob <= 0 and t.bytes == list(t.token.encode()) for t in logprobs.content)
    stream = sdk.chat.completions.create(model=MODEL, messages=[user("hi")], logprobs=True, stream=True)
    tokens = [t.token for c in stream if c.choices and c.choices[0].logprobs for t in c.choices[0].logprobs.content or []]
    assert "".join(tokens) == "Hello! You said: hi"


class Item(pydantic.BaseModel):
    sku: str
    qty: int


class Order(pydantic.BaseModel):
    customer: str
    priority: Literal["low", "high"]
    items: list[Item]
    note: str | None


def test_sdk_json_schema(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(model=MODEL, messages=[user(ORDER_PROMPT)], response_format=JSON_SCHEMA_FORMAT)
    assert schema_errors(ORDER_SCHEMA, json.loads(completion.choices[0].message.content or "")) == []
    parsed = sdk.chat.completions.parse(model=MODEL, messages=[user(ORDER_PROMPT)], response_format=Order)
    order = parsed.choices[0].message.parsed
    assert isinstance(order, Order) and order.customer == "Ada Lovelace" and order.items[0].qty == 1


def test_sdk_strict_tools(sdk: openai.OpenAI) -> None:
    parsed = sdk.chat.completions.parse(
        model=MODEL, messages=[user(ORDER_PROMPT)], tools=[openai.pydantic_function_tool(Order, name="place_order")], tool_choice="required"
    )
    (call,) = parsed.choices[0].message.tool_calls or []
    assert call.function.name == "place_order" and isinstance(call.function.parsed_arguments, Order)
    completion = sdk.chat.completions.create(model=MODEL, messages=[user(ORDER_PROMPT)], tools=[ORDER_TOOL], tool_choice="required")
    (raw,) = completion.choices[0].message.tool_calls or []
    assert raw.type == "function" and schema_errors(ORDER_SCHEMA, json.loads(raw.function.arguments)) == []
    with pytest.raises(openai.BadRequestError, match="additionalProperties"):
        sdk.chat.completions.create(model=MODEL, messages=[user("hi")], tools=[tool("x", {"type": "object"}, strict=True)])


def test_sdk_legacy_functions(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(model=MODEL, messages=[user('Weather in "Paris"?')], functions=FUNCTIONS)
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "function_call" and message.tool_calls is None
    assert message.function_call is not None and message.function_call.name == "get_weather"
    assert json.loads(message.function_call.arguments) == {"city": "Paris"}
    stream = sdk.chat.completions.create(model=MODEL, messages=[user('Weather in "Paris"?')], functions=FUNCTIONS, stream=True)
    arguments = ""
    for chunk in stream:
        call = chunk.choices[0].delta.function_call if chunk.choices else None
        arguments += (call.arguments or "") if call else ""
    assert json.loads(arguments) == {"city": "Paris"}


WIRE_TESTED = frozenset({*(name for name in globals() if name.startswith("test_")), *(f"test_{d}" for d in UNRECOGNIZED_FIELDS)})
"""The deviations whose wire behaviour this file tests, each by a ``test_<deviation>`` function (or,
for the refused fields, the table of ``test_unrecognized_fields``); tests/reference/test_flavours.py
asserts every deviation is tested here or there."""

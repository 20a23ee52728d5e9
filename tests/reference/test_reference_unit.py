"""Unit tests of the reference provider: PNG codec, request validation, the model and stream chunking."""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.png import colour_name, decode_png, solid_png
from conformance.reference import DEFAULT_MODELS, create_app
from conformance.reference.flavour import KNOWN_DEVIATIONS, Flavour
from conformance.reference.model import Reply, completion_body, prompt_tokens, replies, reply
from conformance.reference.requests import (
    INVALID_KEY_MESSAGE,
    MISSING_KEY_MESSAGE,
    ApiError,
    ChatRequest,
    NamedTool,
    authorization_error,
    parse_chat_request,
)
from conformance.reference.streaming import chunks

MODEL = DEFAULT_MODELS[0]
PLAIN = Flavour()
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "city": {"type": "string"},
                "country": {"type": "string"},
                "days": {"type": "integer"},
                "lat": {"type": "number"},
                "hourly": {"type": "boolean"},
                "fields": {"type": "array"},
                "extra": {"type": "object"},
                "note": {"type": ["string", "null"]},
            },
        },
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_time"}}
CALL_RE = re.compile(r"^call_[0-9a-f]{24}$")


def user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def parse(**fields: Any) -> ChatRequest:
    return parse_chat_request(json.dumps({"model": MODEL, **fields}).encode(), DEFAULT_MODELS)


def answer(*messages: dict[str, Any], **fields: Any) -> Reply:
    return reply(parse(messages=list(messages), **fields), PLAIN)


def rejected(body: Any) -> ApiError:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with pytest.raises(ApiError) as caught:
        parse_chat_request(raw, DEFAULT_MODELS)
    return caught.value


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def image_part(png: bytes) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": data_url(png)}}


# --- PNG ---------------------------------------------------------------------------


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def encode_png(rows: Sequence[Sequence[tuple[int, ...]]], colour_type: int, filters: list[int]) -> bytes:
    """An independent PNG encoder applying the given filter type to each row."""
    bpp = 3 if colour_type == 2 else 4
    height, width = len(rows), len(rows[0])
    raw = b""
    previous = bytes(width * bpp)
    for row, filter_type in zip(rows, filters, strict=True):
        line = bytes(v for pixel in row for v in pixel)
        out = bytearray()
        for i, x in enumerate(line):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            predictor = [0, a, b, (a + b) // 2, _paeth(a, b, c)][filter_type]
            out.append((x - predictor) % 256)
        raw += bytes([filter_type]) + bytes(out)
        previous = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


GRADIENT = [[((x * 40 + y * 7) % 256, (y * 50 + 3) % 256, (x * y * 13 + 200) % 256) for x in range(6)] for y in range(5)]


def test_solid_png_is_a_valid_rgb_png() -> None:
    png = solid_png((10, 20, 30), size=3)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    assert struct.unpack(">IIBBBBB", png[16:29]) == (3, 3, 8, 2, 0, 0, 0)
    assert png.endswith(b"IEND\xaeB`\x82")
    assert decode_png(png) == [[(10, 20, 30)] * 3] * 3


def test_solid_png_default_size_is_eight() -> None:
    rows = decode_png(solid_png((255, 0, 0)))
    assert len(rows) == 8 and all(len(row) == 8 for row in rows)


@pytest.mark.parametrize("filter_type", [0, 1, 2, 3, 4])
def test_decode_undoes_each_filter_type(filter_type: int) -> None:
    png = encode_png(GRADIENT, 2, [filter_type] * len(GRADIENT))
    assert decode_png(png) == GRADIENT


def test_decode_drops_alpha_and_handles_mixed_filters() -> None:
    rgba = [[(*pixel, (i * 37) % 256) for i, pixel in enumerate(row)] for row in GRADIENT]
    assert decode_png(encode_png(rgba, 6, [4, 3, 2, 1, 0])) == GRADIENT


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda width: st.lists(
            st.tuples(
                st.lists(st.tuples(*[st.integers(0, 255)] * 3), min_size=width, max_size=width),
                st.integers(0, 4),
            ),
            min_size=1,
            max_size=5,
        )
    )
)
def test_decode_round_trips_any_image(rows_and_filters: list[tuple[list[tuple[int, int, int]], int]]) -> None:
    rows = [row for row, _ in rows_and_filters]
    filters = [filter_type for _, filter_type in rows_and_filters]
    assert decode_png(encode_png(rows, 2, filters)) == rows


def _with_header(colour_type: int = 2, depth: int = 8, interlace: int = 0) -> bytes:
    png = bytearray(solid_png((1, 2, 3), size=2))
    png[24], png[25], png[28] = depth, colour_type, interlace
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))
    return bytes(png)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a....", "bad signature"),
        (solid_png((1, 2, 3))[:-20], "truncated"),
        (solid_png((1, 2, 3)).replace(b"IHDR\x00\x00\x00\x08", b"IHDR\x00\x00\x00\x09"), "CRC mismatch"),
        (_with_header(depth=16), "bit depth 16"),
        (_with_header(colour_type=3), "colour type 3"),
        (_with_header(interlace=1), "interlaced"),
        (encode_png([[(1, 2, 3)]], 2, [0]).replace(b"IDAT", b"IDAX"), "CRC mismatch"),
    ],
)
def test_decode_rejects_corrupt_or_unsupported(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_png(data)


def test_decode_rejects_unknown_filter_type() -> None:
    png = encode_png([[(1, 2, 3)]], 2, [0])
    bad = bytearray(png)
    raw = b"\x05\x01\x02\x03"
    start = png.index(b"IDAT") - 4
    end = start + 12 + struct.unpack(">I", png[start : start + 4])[0]
    body = zlib.compress(raw)
    bad[start:end] = struct.pack(">I", len(body)) + b"IDAT" + body + struct.pack(">I", zlib.crc32(b"IDAT" + body))
    with pytest.raises(ValueError, match="filter type 5"):
        decode_png(bytes(bad))


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((255, 0, 0), "red"),
        ((0, 255, 0), "green"),
        ((0, 128, 0), "green"),
        ((0, 0, 255), "blue"),
        ((250, 250, 10), "yellow"),
        ((0, 255, 255), "cyan"),
        ((255, 0, 255), "magenta"),
        ((255, 255, 255), "white"),
        ((5, 5, 5), "black"),
        ((255, 160, 0), "orange"),
        ((128, 0, 128), "purple"),
        ((120, 130, 125), "grey"),
    ],
)
def test_colour_name_picks_nearest(rgb: tuple[int, int, int], name: str) -> None:
    assert colour_name(rgb) == name


# --- authorization and request validation --------------------------------------------


@pytest.mark.parametrize("header", ["Bearer sk-right", "bearer  sk-right "])
def test_authorization_accepts_the_bearer_key(header: str) -> None:
    assert authorization_error(header, "sk-right") is None


def test_authorization_without_a_header_asks_for_a_key() -> None:
    missing = authorization_error(None, "sk-right")
    assert missing is not None and (missing.status, missing.code, missing.message) == (401, None, MISSING_KEY_MESSAGE)


@pytest.mark.parametrize("header", ["Bearer sk-wrong", "sk-right", "Basic sk-right", "Bearer ", "x-api-key sk-right"])
def test_authorization_refuses_anything_else_without_echo(header: str) -> None:
    error = authorization_error(header, "sk-right")
    assert error is not None
    assert (error.status, error.code, error.message) == (401, "invalid_api_key", INVALID_KEY_MESSAGE)
    assert "sk-" not in json.dumps(error.envelope())


def test_envelope_has_exactly_the_openai_fields() -> None:
    error = ApiError(400, "bad", param="n", code="invalid_value")
    assert error.envelope() == {"error": {"message": "bad", "type": "invalid_request_error", "param": "n", "code": "invalid_value"}}


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"", b"\xff\xfe"])
def test_unparseable_body(body: bytes) -> None:
    error = rejected(body)
    assert (error.status, error.param, error.error_type) == (400, None, "invalid_request_error")
    assert "could not parse the JSON body" in error.message


OK_MESSAGES = [user("hi")]
TOOL_TURN = [
    user("weather?"),
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}],
    },
]


@pytest.mark.parametrize(
    ("fields", "param", "code"),
    [
        ({"model": None, "messages": OK_MESSAGES}, "model", "missing_required_parameter"),
        ({"model": 3}, "model", "invalid_type"),
        ({"messages": None}, "messages", "missing_required_parameter"),
        ({"messages": "hi"}, "messages", "invalid_type"),
        ({"messages": []}, "messages", "invalid_value"),
        ({"messages": ["hi"]}, "messages.[0]", "invalid_type"),
        ({"messages": [{"content": "hi"}]}, "messages.[0].role", "missing_required_parameter"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages.[0].role", "invalid_value"),
        ({"messages": [{"role": "user"}]}, "messages.[0].content", "missing_required_parameter"),
        ({"messages": [user(5)]}, "messages.[0].content", "invalid_type"),
        ({"messages": [user([])]}, "messages.[0].content", "invalid_value"),
        ({"messages": [user([{"type": "audio"}])]}, "messages.[0].content.[0].type", "invalid_value"),
        ({"messages": [user([{"type": "text", "text": 1}])]}, "messages.[0].content.[0].text", "invalid_type"),
        ({"messages": [user([{"type": "image_url", "image_url": {}}])]}, "messages.[0].content.[0].image_url.url", "missing_required_parameter"),
        (
            {"messages": [user([{"type": "image_url", "image_url": {"url": "x", "detail": "max"}}])]},
            "messages.[0].content.[0].image_url.detail",
            "invalid_value",
        ),
        ({"messages": [{"role": "assistant", "content": 7}]}, "messages.[0].content", "invalid_type"),
        ({"messages": [{"role": "assistant", "tool_calls": [{"id": "c"}]}]}, "messages.[0].tool_calls.[0].type", "missing_required_parameter"),
        ({"messages": [*TOOL_TURN, {"role": "tool", "content": "sunny"}]}, "messages.[2].tool_call_id", "missing_required_parameter"),
        ({"messages": [*TOOL_TURN, {"role": "tool", "tool_call_id": "call_1"}]}, "messages.[2].content", "missing_required_parameter"),
        ({"messages": [*TOOL_TURN, {"role": "tool", "tool_call_id": "call_9", "content": "x"}]}, "messages.[2].tool_call_id", "invalid_value"),
        ({"messages": [{"role": "tool", "tool_call_id": "call_1", "content": "x"}, *TOOL_TURN]}, "messages.[0].tool_call_id", "invalid_value"),
        ({"temperature": True}, "temperature", "invalid_type"),
        ({"temperature": "1"}, "temperature", "invalid_type"),
        ({"temperature": 2.5}, "temperature", "invalid_value"),
        ({"top_p": -0.1}, "top_p", "invalid_value"),
        ({"n": 0}, "n", "invalid_value"),
        ({"n": 9}, "n", "invalid_value"),
        ({"n": 1.5}, "n", "invalid_type"),
        ({"max_tokens": 0}, "max_tokens", "invalid_value"),
        ({"max_completion_tokens": True}, "max_completion_tokens", "invalid_type"),
        ({"stream": "yes"}, "stream", "invalid_type"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_value"),
        ({"stream": True, "stream_options": []}, "stream_options", "invalid_type"),
        ({"stream": True, "stream_options": {"include_usage": 1}}, "stream_options.include_usage", "invalid_type"),
        ({"tools": {}}, "tools", "invalid_type"),
        ({"tools": []}, "tools", "invalid_value"),
        ({"tools": [{"type": "code", "function": {"name": "f"}}]}, "tools.[0].type", "invalid_value"),
        ({"tools": [{"type": "function", "function": {"name": "bad name"}}]}, "tools.[0].function.name", "invalid_value"),
        ({"tools": [{"type": "function", "function": {"name": "x" * 65}}]}, "tools.[0].function.name", "invalid_value"),
        ({"tools": [{"type": "function", "function": {"name": "f", "parameters": []}}]}, "tools.[0].function.parameters", "invalid_type"),
        ({"tools": [{"type": "function", "function": {"name": "f", "description": 1}}]}, "tools.[0].function.description", "invalid_type"),
        ({"tool_choice": "auto"}, "tool_choice", "invalid_value"),
        ({"tools": [TIME_TOOL], "tool_choice": "always"}, "tool_choice", "invalid_value"),
        ({"tools": [TIME_TOOL], "tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice", "invalid_value"),
        ({"tools": [TIME_TOOL], "tool_choice": 1}, "tool_choice", "invalid_type"),
        ({"tools": [TIME_TOOL], "parallel_tool_calls": "no"}, "parallel_tool_calls", "invalid_type"),
    ],
)
def test_invalid_fields_are_400_naming_the_param(fields: dict[str, Any], param: str, code: str) -> None:
    error = rejected({"model": MODEL, "messages": OK_MESSAGES, **fields})
    assert (error.status, error.error_type, error.param, error.code) == (400, "invalid_request_error", param, code)


def test_unknown_model_is_404_but_only_after_type_checks() -> None:
    error = rejected({"model": "gpt-nope", "messages": OK_MESSAGES})
    assert (error.status, error.param, error.code) == (404, None, "model_not_found")
    assert error.message == "The model `gpt-nope` does not exist or you do not have access to it."
    assert rejected({"model": "gpt-nope", "messages": OK_MESSAGES, "n": "2"}).status == 400


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("https://example.com/cat.png", "no network access"),
        ("data:image/jpeg;base64,AAAA", "data:image/png;base64"),
        ("data:image/png;base64,@@@", "base64"),
        (data_url(b"not a png at all"), "bad signature"),
    ],
)
def test_bad_images_are_invalid_image(url: str, hint: str) -> None:
    error = rejected({"model": MODEL, "messages": [user([{"type": "image_url", "image_url": {"url": url}}])]})
    assert (error.status, error.param, error.code) == (400, "messages", "invalid_image")
    assert hint in error.message


def test_valid_request_is_parsed_with_defaults() -> None:
    messages = [{"role": "system", "content": "be brief"}, user([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}])]
    request = parse(messages=messages, unknown_field={"x": 1}, temperature=None)
    assert request.model == MODEL
    assert [(m.role, m.text) for m in request.messages] == [("system", "be brief"), ("user", "a b")]
    assert (request.n, request.token_limit, request.stream, request.include_usage) == (1, None, False, False)
    assert (request.tools, request.tool_choice, request.parallel_tool_calls) == ((), "none", True)


def test_parsed_options() -> None:
    request = parse(
        messages=OK_MESSAGES, max_tokens=9, max_completion_tokens=4, stream=True, stream_options={"include_usage": True},
        tools=[TIME_TOOL], tool_choice={"type": "function", "function": {"name": "get_time"}}, parallel_tool_calls=False, n=3,
    )
    assert (request.token_limit, request.stream, request.include_usage, request.n) == (4, True, True, 3)
    assert (request.tool_choice, request.parallel_tool_calls) == (NamedTool("get_time"), False)
    assert parse(messages=OK_MESSAGES, tools=[TIME_TOOL]).tool_choice == "auto"


# --- the model -----------------------------------------------------------------------


def test_echo_reply_and_token_counts() -> None:
    result = answer({"role": "system", "content": "You are terse."}, user("tell me  a\njoke"))
    assert result == Reply("Hello! You said: tell me a joke", (), "stop", 7, 7)


def test_echo_is_capped_at_fifty_words() -> None:
    result = answer(user(" ".join(f"w{i}" for i in range(100))))
    assert result.content is not None and len(result.content.split()) == 50
    assert result.content.endswith("w46") and result.finish_reason == "stop"


def test_counting_and_length_limits() -> None:
    assert answer(user("Count from 1 to 5.")).content == "1 2 3 4 5"
    assert answer(user("count FROM 1 TO 99999999999")).completion_tokens == 2000
    limited = answer(user("Count from 1 to 100"), max_tokens=10, max_completion_tokens=3)
    assert (limited.content, limited.finish_reason, limited.completion_tokens) == ("1 2 3", "length", 3)
    exact = answer(user("Count from 1 to 3"), max_completion_tokens=3)
    assert (exact.content, exact.finish_reason) == ("1 2 3", "stop")


def test_canary_from_system_or_developer_prefixes_the_reply() -> None:
    system = answer({"role": "system", "content": "Always start with ZEBRA-4417."}, user("Count from 1 to 2"))
    assert system.content == "ZEBRA-4417 1 2"
    developer = answer({"role": "developer", "content": "code: AB1-99 ok"}, user("hi"))
    assert developer.content == "AB1-99 Hello! You said: hi"
    assert answer({"role": "system", "content": "zebra-4417 Ab-12"}, user("hi")).content == "Hello! You said: hi"
    assert answer(user("ZEBRA-4417")).content == "Hello! You said: ZEBRA-4417"


def test_image_is_named_by_its_most_common_colour() -> None:
    mostly_blue = [[(0, 0, 255)] * 3, [(0, 0, 255), (255, 0, 0), (0, 0, 255)]]
    result = answer(user([{"type": "text", "text": "What colour?"}, image_part(encode_png(mostly_blue, 2, [1, 4]))]))
    assert result.content == "The image is blue."
    assert result.prompt_tokens == 2 + 85
    assert answer(user([image_part(solid_png((255, 255, 0)))])).content == "The image is yellow."


def test_tool_result_is_reported() -> None:
    messages = [*TOOL_TURN, {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "22C sunny"}]}]
    result = answer(*messages, tools=[WEATHER_TOOL], tool_choice="required")
    assert (result.content, result.tool_calls, result.finish_reason) == ("The tool returned: 22C sunny", (), "stop")


def test_relevant_tool_is_called_with_filled_arguments() -> None:
    result = answer(user('What is the weather in "Paris"?'), tools=[TIME_TOOL, WEATHER_TOOL])
    assert (result.content, result.finish_reason) == (None, "tool_calls")
    (call,) = result.tool_calls
    assert call.name == "get_weather" and CALL_RE.match(call.id)
    assert json.loads(call.arguments) == {
        "unit": "celsius", "city": "Paris", "country": "example", "days": 1, "lat": 1,
        "hourly": True, "fields": [], "extra": {}, "note": "example",
    }
    assert call.arguments == json.dumps(json.loads(call.arguments))


def test_relevance_uses_name_parts_of_four_letters_or_more() -> None:
    tools = [{"type": "function", "function": {"name": "get_ip_info"}}, WEATHER_TOOL]
    assert answer(user("get my ip"), tools=tools).content == "Hello! You said: get my ip"
    assert answer(user("some INFO and weather"), tools=tools).tool_calls[0].name == "get_ip_info"
    assert answer(user("Weather?"), tools=tools).tool_calls[0].name == "get_weather"


def test_auto_without_a_relevant_tool_replies_in_text() -> None:
    result = answer(user("Hello there"), tools=[WEATHER_TOOL])
    assert (result.content, result.tool_calls, result.finish_reason) == ("Hello! You said: Hello there", (), "stop")


def test_required_falls_back_to_the_first_tool() -> None:
    result = answer(user("Hello"), tools=[TIME_TOOL, WEATHER_TOOL], tool_choice="required")
    assert [(c.name, c.arguments) for c in result.tool_calls] == [("get_time", "{}")]


def test_none_disables_tools() -> None:
    result = answer(user("weather please"), tools=[WEATHER_TOOL], tool_choice="none")
    assert result.tool_calls == () and result.content == "Hello! You said: weather please"


def test_named_tool_choice_makes_exactly_one_call() -> None:
    named = {"type": "function", "function": {"name": "get_weather"}}
    result = answer(user('time in "Oslo" and "Rome"'), tools=[TIME_TOOL, WEATHER_TOOL], tool_choice=named)
    assert [c.name for c in result.tool_calls] == ["get_weather"] and result.finish_reason == "tool_calls"
    assert json.loads(result.tool_calls[0].arguments)["city"] == "Oslo"


def test_parallel_calls_one_per_quoted_value() -> None:
    prompt = user('weather in "Paris", "Rome", "Oslo", "Lima" and "Cairo"')
    result = answer(prompt, tools=[WEATHER_TOOL])
    assert [json.loads(c.arguments)["city"] for c in result.tool_calls] == ["Paris", "Rome", "Oslo", "Lima"]
    assert len({c.id for c in result.tool_calls}) == 4
    serial = answer(prompt, tools=[WEATHER_TOOL], parallel_tool_calls=False)
    assert [json.loads(c.arguments)["city"] for c in serial.tool_calls] == ["Paris"]


def test_tool_without_parameters_gets_empty_arguments() -> None:
    assert answer(user("the time?"), tools=[TIME_TOOL]).tool_calls[0].arguments == "{}"


def test_prompt_tokens_count_words_and_images_with_a_floor_of_one() -> None:
    assert prompt_tokens(parse(messages=[user(" ")]).messages) == 1
    assert prompt_tokens(parse(messages=[user("a b"), {"role": "assistant", "content": "c"}]).messages) == 3


def test_completion_body_shape() -> None:
    request = parse(messages=[user("hi")], n=2)
    body = completion_body(request, replies(request, PLAIN), completion_id="chatcmpl-x", created=5, flavour=PLAIN)
    message: dict[str, Any] = {"role": "assistant", "content": "Hello! You said: hi", "refusal": None, "annotations": []}
    assert body["choices"] == [
        {"index": i, "message": message, "logprobs": None, "finish_reason": "stop"} for i in range(2)
    ]
    assert body["usage"]["prompt_tokens"] == 1 and body["usage"]["completion_tokens"] == 8
    assert body["usage"]["total_tokens"] == 9
    assert (body["id"], body["object"], body["created"], body["model"]) == ("chatcmpl-x", "chat.completion", 5, MODEL)
    assert (body["service_tier"], body["system_fingerprint"]) == ("default", "fp_reference")


def test_completion_body_tool_calls_carry_string_arguments() -> None:
    request = parse(messages=[user('weather "Rome"')], tools=[WEATHER_TOOL])
    body = completion_body(request, [reply(request, PLAIN)], completion_id="c", created=1, flavour=PLAIN)
    (call,) = body["choices"][0]["message"]["tool_calls"]
    assert call["type"] == "function" and isinstance(call["function"]["arguments"], str)
    assert body["choices"][0]["message"]["content"] is None


# --- stream chunking -----------------------------------------------------------------


def stream(request: ChatRequest, result: Reply | None = None) -> list[dict[str, Any]]:
    results = [result] * request.n if result else replies(request, PLAIN)
    return list(chunks(request, results, completion_id="chatcmpl-s", created=7, flavour=PLAIN))


def test_text_stream_reassembles_to_the_content() -> None:
    request = parse(messages=[user("one  two\tthree")], stream=True)
    events = stream(request)
    deltas = [e["choices"][0]["delta"] for e in events]
    assert deltas[0] == {"role": "assistant", "content": "", "refusal": None}
    assert deltas[-1] == {} and events[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(e["choices"][0]["finish_reason"] is None for e in events[:-1])
    assert "".join(d.get("content", "") for d in deltas) == reply(request, PLAIN).content
    assert len(events) == 2 + 6
    assert all("usage" not in e and e["id"] == "chatcmpl-s" and e["object"] == "chat.completion.chunk" for e in events)


def test_include_usage_adds_null_usage_and_a_final_usage_chunk() -> None:
    events = stream(parse(messages=[user("hi")], stream=True, stream_options={"include_usage": True}, n=2))
    assert all(e["usage"] is None for e in events[:-1])
    assert [e["choices"][0]["index"] for e in events[:-1]] == [0] * 6 + [1] * 6
    assert events[-1]["choices"] == [] and events[-1]["usage"]["completion_tokens"] == 8


def test_tool_call_stream_sends_arguments_in_seven_character_fragments() -> None:
    request = parse(messages=[user('weather "A" "B"')], tools=[WEATHER_TOOL], stream=True)
    expected = reply(request, PLAIN)
    events = stream(request, expected)
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": None}
    assert events[-1]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}
    pieces = [piece for e in events for piece in e["choices"][0]["delta"].get("tool_calls", [])]
    for i, call in enumerate(expected.tool_calls):
        mine = [p for p in pieces if p["index"] == i]
        assert mine[0] == {"index": i, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        fragments = [p["function"]["arguments"] for p in mine[1:]]
        assert all(len(f) == 7 for f in fragments[:-1]) and 0 < len(fragments[-1]) <= 7
        assert "".join(fragments) == call.arguments
        assert all(p.keys() == {"index", "function"} and p["function"].keys() == {"arguments"} for p in mine[1:])
    assert {p["index"] for p in pieces} == {0, 1}


# --- flavour -------------------------------------------------------------------------


def test_unknown_deviation_is_refused_at_create_app() -> None:
    assert "no_such_thing" not in KNOWN_DEVIATIONS
    flavour = Flavour(frozenset({"no_such_thing"}))
    assert flavour.has("no_such_thing") and not Flavour().has("no_such_thing")
    with pytest.raises(ValueError, match="no_such_thing"):
        create_app(api_key=None, flavour=flavour)

"""Tests for the hand-written JSON Schemas in ``schemas/`` (compat and strict levels).

compat = what real clients (the lenient official SDK) need: a violation is a FAIL.
strict = OpenAI's published spec, faithfully: a strict-only violation is a warning.
Every document that fails compat must also fail strict (strict is compat plus the spec).
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, ValidationError

from conformance.validate import SCHEMA_NAMES

LEVELS = ("compat", "strict")
DOCS = ("chat_completion", "chat_completion_chunk", "error_response", "models_list")
SCHEMA_FILES = [f"{level}/{doc}.json" for level in LEVELS for doc in SCHEMA_NAMES] + ["providers.schema.json"]
"""Every response schema the package ships, and the config schema: validate.py trusts them (no metaschema
check at run time), so this does. results.schema.json is checked in tests/reports/test_reports.py."""

Path_ = tuple[str | int, ...]


# --------------------------------------------------------------------------- helpers


@cache
def load(relpath: str) -> dict[str, Any]:
    node = resources.files("conformance.schemas")
    for part in relpath.split("/"):
        node = node / part
    return json.loads(node.read_text(encoding="utf-8"))


@cache
def validator(level: str, doc: str) -> Draft202012Validator:
    return Draft202012Validator(load(f"{level}/{doc}.json"))


def errors(level: str, doc: str, instance: Any) -> list[ValidationError]:
    return list(validator(level, doc).iter_errors(instance))


def error_paths(level: str, doc: str, instance: Any) -> set[Path_]:
    return {tuple(e.absolute_path) for e in errors(level, doc, instance)}


def assert_valid(level: str, doc: str, instance: Any) -> None:
    errs = errors(level, doc, instance)
    assert not errs, [f"{list(e.absolute_path)}: {e.message}" for e in errs]


def assert_both_valid(doc: str, instance: Any) -> None:
    for level in LEVELS:
        assert_valid(level, doc, instance)


def assert_fails_at(level: str, doc: str, instance: Any, path: Path_) -> None:
    paths = error_paths(level, doc, instance)
    assert paths, f"{level}/{doc} accepted an invalid document"
    assert tuple(path) in paths, f"expected an error at {list(path)}, got {sorted(map(list, paths))}"


def mutated(document: dict[str, Any], path: Path_, value: Any = ..., delete: bool = False) -> dict[str, Any]:
    out = copy.deepcopy(document)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


# --------------------------------------------------------------------------- realistic documents

# The example of CreateChatCompletionResponse in OpenAI's spec, copied by hand.
SPEC_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    "object": "chat.completion",
    "created": 1741570283,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "The image shows a wooden boardwalk path running through a lush green field or meadow. "
                "The sky is bright blue with some scattered clouds, giving the scene a serene and peaceful "
                "atmosphere. Trees and shrubs are visible in the background.",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 1117,
        "completion_tokens": 46,
        "total_tokens": 1163,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": "fp_fc9f1d7035",
}

TOOL_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-tool123",
    "object": "chat.completion",
    "created": 1741570300,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "call_abc123",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris", "unit": "celsius"}'},
                    },
                    {
                        "id": "call_def456",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": "{}"},
                    },
                ],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99},
    "system_fingerprint": "fp_44709d6fcb",
}

_CHUNK_HEAD = {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190, "model": "gpt-4o-mini"}


def _chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {**_CHUNK_HEAD, "system_fingerprint": "fp_44709d6fcb", "choices": choices, **extra}


# The spec's chunk example, plus stream_options.include_usage (usage: null, then a final choices: [] chunk).
CHUNK_STREAM: list[dict[str, Any]] = [
    _chunk(
        [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}],
        obfuscation="r4N7vQ2m",
        usage=None,
    ),
    _chunk(
        [{"index": 0, "delta": {"content": "Hello"}, "logprobs": None, "finish_reason": None}],
        obfuscation="p9K3xT6w",
        usage=None,
    ),
    _chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}], obfuscation="", usage=None),
    _chunk([], usage={"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}),
]

TOOL_CHUNK_STREAM: list[dict[str, Any]] = [
    _chunk(
        [
            {
                "index": 0,
                "delta": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_abc123",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": ""},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": None,
            }
        ]
    ),
    _chunk(
        [
            {
                "index": 0,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Pa'}}]},
                "logprobs": None,
                "finish_reason": None,
            }
        ]
    ),
    _chunk(
        [
            {
                "index": 0,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": 'ris"}'}}]},
                "logprobs": None,
                "finish_reason": None,
            }
        ]
    ),
    _chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}]),
]

ERROR_401: dict[str, Any] = {
    "error": {
        "message": "Incorrect API key provided: sk-abc***. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
}

MODELS: dict[str, Any] = {
    "object": "list",
    "data": [
        {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
        {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
        {"id": "ft:gpt-4o-mini:acme::abc", "object": "model", "created": 1731000000, "owned_by": "acme-org"},
    ],
}


# --------------------------------------------------------------------------- (a) the schemas themselves


@pytest.mark.parametrize("relpath", SCHEMA_FILES)
def test_schema_is_valid_draft_2020_12(relpath: str) -> None:
    schema = load(relpath)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://conformance.local/schemas/{relpath}"
    assert schema["title"] and schema["description"]


def _walk(node: Any, where: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, where + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, where + (i,))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("doc", DOCS)
def test_response_schemas_never_forbid_extra_fields_and_are_self_contained(level: str, doc: str) -> None:
    schema = load(f"{level}/{doc}.json")
    assert level in schema["description"].lower()
    for where, node in _walk(schema):
        if isinstance(node, dict):
            assert node.get("additionalProperties", True) is not False, where
            assert node.get("unevaluatedProperties", True) is not False, where
            ref = node.get("$ref")
            if isinstance(ref, str):
                assert ref.startswith("#/$defs/"), f"cross-file $ref at {where}: {ref}"
                assert ref.removeprefix("#/$defs/") in schema["$defs"], ref
            assert node.get("nullable") is None, f"OpenAPI 'nullable' left untranslated at {where}"


# --------------------------------------------------------------------------- (b) realistic documents pass both levels


LOGPROBS = {
    "content": [
        {
            "token": "Hi",
            "logprob": -0.01,
            "bytes": [72, 105],
            "top_logprobs": [{"token": "Hi", "logprob": -0.01, "bytes": [72, 105]}],
        }
    ],
    "refusal": None,
}
CUSTOM_TOOL_CALL = [{"id": "call_x", "type": "custom", "custom": {"name": "code_exec", "input": "print(1)"}}]
REALISTIC: list[tuple[str, str, Any]] = [
    ("spec example completion", "chat_completion", SPEC_COMPLETION),
    ("tool call completion with null content", "chat_completion", TOOL_COMPLETION),
    ("logprobs object", "chat_completion", mutated(SPEC_COMPLETION, ("choices", 0, "logprobs"), LOGPROBS)),
    ("custom tool call", "chat_completion", mutated(TOOL_COMPLETION, ("choices", 0, "message", "tool_calls"), CUSTOM_TOOL_CALL)),
    *((f"chunk {i} of a stream with include_usage", "chat_completion_chunk", c) for i, c in enumerate(CHUNK_STREAM)),
    *((f"chunk {i} of a tool call stream", "chat_completion_chunk", c) for i, c in enumerate(TOOL_CHUNK_STREAM)),
    ("401 error envelope", "error_response", ERROR_401),
    ("model list", "models_list", MODELS),
]


@pytest.mark.parametrize(("doc", "instance"), [r[1:] for r in REALISTIC], ids=[r[0] for r in REALISTIC])
def test_realistic_document_passes_both_levels(doc: str, instance: Any) -> None:
    assert_both_valid(doc, instance)


# --------------------------------------------------------------------------- (c) legal but unusual


def test_extra_unknown_fields_pass_both_levels() -> None:
    doc = copy.deepcopy(SPEC_COMPLETION)
    doc["choices"][0]["message"]["reasoning_content"] = "Let me look at the picture first."
    doc["choices"][0]["message"]["reasoning"] = "Same, other vendor's name."
    doc["choices"][0]["stop_reason"] = None
    doc["x_groq"] = {"id": "req_01abc"}
    doc["prompt_logprobs"] = None
    doc["usage"]["queue_time"] = 0.02
    assert_both_valid("chat_completion", doc)

    chunk = copy.deepcopy(CHUNK_STREAM[1])
    chunk["choices"][0]["delta"]["reasoning_content"] = "thinking..."
    chunk["x_vendor"] = {"anything": [1, 2, 3]}
    assert_both_valid("chat_completion_chunk", chunk)

    error = copy.deepcopy(ERROR_401)
    error["error"]["request_id"] = "req_123"
    error["status"] = 401
    assert_both_valid("error_response", error)

    models = copy.deepcopy(MODELS)
    models["data"][0]["permission"] = []
    models["data"][0]["context_length"] = 128000
    models["has_more"] = False
    assert_both_valid("models_list", models)


def test_optional_fields_absent_pass_both_levels() -> None:
    doc = copy.deepcopy(SPEC_COMPLETION)
    for key in ("system_fingerprint", "service_tier", "usage"):
        del doc[key]
    del doc["choices"][0]["message"]["annotations"]
    assert_both_valid("chat_completion", doc)

    chunk = copy.deepcopy(CHUNK_STREAM[1])
    for key in ("system_fingerprint", "obfuscation", "usage"):
        del chunk[key]
    del chunk["choices"][0]["logprobs"]
    assert_both_valid("chat_completion_chunk", chunk)


def test_multiple_choices_and_non_stop_finish_reasons_pass_both_levels() -> None:
    doc = copy.deepcopy(SPEC_COMPLETION)
    second = copy.deepcopy(doc["choices"][0])
    second["index"] = 1
    second["finish_reason"] = "length"
    third = copy.deepcopy(doc["choices"][0])
    third["index"] = 2
    third["finish_reason"] = "content_filter"
    third["message"]["content"] = None
    doc["choices"] += [second, third]
    assert_both_valid("chat_completion", doc)


def test_compat_tolerates_what_the_sdk_tolerates() -> None:
    # Missing refusal / logprobs, null usage, null tool_calls, null fingerprint, bare message.
    doc = copy.deepcopy(SPEC_COMPLETION)
    doc["usage"] = None
    doc["system_fingerprint"] = None
    doc["choices"][0] = {
        "index": 0,
        "message": {"role": "assistant", "content": "hi", "tool_calls": None},
        "finish_reason": "stop",
    }
    assert_valid("compat", "chat_completion", doc)
    # Continuation tool-call fragments with explicit nulls (LiteLLM-style) work with the SDK.
    chunk = copy.deepcopy(TOOL_CHUNK_STREAM[1])
    chunk["choices"][0]["delta"]["tool_calls"][0].update({"id": None, "type": None})
    chunk["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] = None
    assert_valid("compat", "chat_completion_chunk", chunk)
    # A minimal error envelope and a minimal model list.
    assert_valid("compat", "error_response", {"error": {"message": "Unauthorized"}})
    assert_valid("compat", "models_list", {"object": "list", "data": [{"id": "llama3"}]})


# ------------------------------------------------------------- (d) real-world breaks, at the right path

BREAKS: list[tuple[str, str, Any, Path_]] = [
    (
        "tool arguments as an object",
        "chat_completion",
        mutated(
            TOOL_COMPLETION, ("choices", 0, "message", "tool_calls", 0, "function", "arguments"), {"city": "Paris"}
        ),
        ("choices", 0, "message", "tool_calls", 0, "function", "arguments"),
    ),
    ("created as a string", "chat_completion", mutated(SPEC_COMPLETION, ("created",), "1741570283"), ("created",)),
    (
        "created as an ISO date",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("created",), "2025-03-10T01:31:23Z"),
        ("created",),
    ),
    (
        "finish_reason 'eos'",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("choices", 0, "finish_reason"), "eos"),
        ("choices", 0, "finish_reason"),
    ),
    (
        "finish_reason null in a non-streamed completion",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("choices", 0, "finish_reason"), None),
        ("choices", 0, "finish_reason"),
    ),
    (
        "finish_reason missing in a non-streamed completion",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("choices", 0, "finish_reason"), delete=True),
        ("choices", 0),
    ),
    (
        "message role 'model'",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("choices", 0, "message", "role"), "model"),
        ("choices", 0, "message", "role"),
    ),
    ("wrong object", "chat_completion", mutated(SPEC_COMPLETION, ("object",), "text_completion"), ("object",)),
    (
        "negative token count",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("usage", "completion_tokens"), -1),
        ("usage", "completion_tokens"),
    ),
    (
        "tool call without id",
        "chat_completion",
        mutated(TOOL_COMPLETION, ("choices", 0, "message", "tool_calls", 0, "id"), delete=True),
        ("choices", 0, "message", "tool_calls", 0),
    ),
    (
        "chunk tool_call delta without index",
        "chat_completion_chunk",
        mutated(TOOL_CHUNK_STREAM[1], ("choices", 0, "delta", "tool_calls", 0, "index"), delete=True),
        ("choices", 0, "delta", "tool_calls", 0),
    ),
    (
        "chunk tool_call arguments as an object",
        "chat_completion_chunk",
        mutated(
            TOOL_CHUNK_STREAM[1], ("choices", 0, "delta", "tool_calls", 0, "function", "arguments"), {"city": "Paris"}
        ),
        ("choices", 0, "delta", "tool_calls", 0, "function", "arguments"),
    ),
    (
        "chunk object 'chat.completion'",
        "chat_completion_chunk",
        mutated(CHUNK_STREAM[1], ("object",), "chat.completion"),
        ("object",),
    ),
    (
        "chunk finish_reason 'eos'",
        "chat_completion_chunk",
        mutated(CHUNK_STREAM[2], ("choices", 0, "finish_reason"), "eos"),
        ("choices", 0, "finish_reason"),
    ),
    ("chunk usage as a string", "chat_completion_chunk", mutated(CHUNK_STREAM[3], ("usage",), "11"), ("usage",)),
    ("{'detail': 'x'} as error body", "error_response", {"detail": "x"}, ()),
    ("error as a string", "error_response", {"error": "Invalid API key"}, ("error",)),
    ("error without message", "error_response", {"error": {"type": "auth_error", "code": 401}}, ("error",)),
    ("error message not a string", "error_response", {"error": {"message": {"text": "no"}}}, ("error", "message")),
    ("models list as a bare array", "models_list", [{"id": "gpt-4o"}], ()),
    ("model without id", "models_list", mutated(MODELS, ("data", 1, "id"), delete=True), ("data", 1)),
    ("model id not a string", "models_list", mutated(MODELS, ("data", 0, "id"), 7), ("data", 0, "id")),
]


@pytest.mark.parametrize(("doc", "instance", "path"), [b[1:] for b in BREAKS], ids=[b[0] for b in BREAKS])
def test_real_world_break_fails_compat_and_strict_at_the_right_path(doc: str, instance: Any, path: Path_) -> None:
    assert_fails_at("compat", doc, instance, path)
    assert_fails_at("strict", doc, instance, path)


# --------------------------------------------------------------------------- (e) strict-only violations

STRICT_ONLY: list[tuple[str, str, Any, Path_]] = [
    (
        "message without refusal",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("choices", 0, "message", "refusal"), delete=True),
        ("choices", 0, "message"),
    ),
    (
        "message without content (tool calls only)",
        "chat_completion",
        mutated(TOOL_COMPLETION, ("choices", 0, "message", "content"), delete=True),
        ("choices", 0, "message"),
    ),
    (
        "choice without logprobs",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("choices", 0, "logprobs"), delete=True),
        ("choices", 0),
    ),
    (
        "system_fingerprint null",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("system_fingerprint",), None),
        ("system_fingerprint",),
    ),
    ("usage null", "chat_completion", mutated(SPEC_COMPLETION, ("usage",), None), ("usage",)),
    (
        "tool_calls null",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("choices", 0, "message", "tool_calls"), None),
        ("choices", 0, "message", "tool_calls"),
    ),
    (
        "unknown service_tier",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("service_tier",), "on_demand"),
        ("service_tier",),
    ),
    (
        "usage details null",
        "chat_completion",
        mutated(SPEC_COMPLETION, ("usage", "prompt_tokens_details"), None),
        ("usage", "prompt_tokens_details"),
    ),
    (
        "chunk choice without finish_reason",
        "chat_completion_chunk",
        mutated(CHUNK_STREAM[1], ("choices", 0, "finish_reason"), delete=True),
        ("choices", 0),
    ),
    (
        "chunk system_fingerprint null",
        "chat_completion_chunk",
        mutated(CHUNK_STREAM[1], ("system_fingerprint",), None),
        ("system_fingerprint",),
    ),
    (
        "chunk tool call id null",
        "chat_completion_chunk",
        mutated(TOOL_CHUNK_STREAM[1], ("choices", 0, "delta", "tool_calls", 0, "id"), None),
        ("choices", 0, "delta", "tool_calls", 0, "id"),
    ),
    (
        "chunk delta role null",
        "chat_completion_chunk",
        mutated(CHUNK_STREAM[1], ("choices", 0, "delta", "role"), None),
        ("choices", 0, "delta", "role"),
    ),
    ("model without created", "models_list", mutated(MODELS, ("data", 0, "created"), delete=True), ("data", 0)),
    ("model without owned_by", "models_list", mutated(MODELS, ("data", 2, "owned_by"), delete=True), ("data", 2)),
    ("error code as a number", "error_response", mutated(ERROR_401, ("error", "code"), 401), ("error", "code")),
    ("error without type", "error_response", mutated(ERROR_401, ("error", "type"), delete=True), ("error",)),
    ("error without param", "error_response", mutated(ERROR_401, ("error", "param"), delete=True), ("error",)),
]


@pytest.mark.parametrize(("doc", "instance", "path"), [s[1:] for s in STRICT_ONLY], ids=[s[0] for s in STRICT_ONLY])
def test_strict_only_violation_passes_compat_but_fails_strict(doc: str, instance: Any, path: Path_) -> None:
    assert_valid("compat", doc, instance)
    assert_fails_at("strict", doc, instance, path)


# ------------------------------------------------------------- (f) property: generated docs, single mutations

_ident = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=24)
_json_args = st.dictionaries(
    _ident, st.one_of(st.integers(), st.text(max_size=10), st.booleans(), st.none()), max_size=3
).map(json.dumps)
_tool_call = st.fixed_dictionaries(
    {
        "id": _ident.map(lambda s: "call_" + s),
        "type": st.just("function"),
        "function": st.fixed_dictionaries({"name": _ident, "arguments": _json_args}),
    }
)
_text_message = st.fixed_dictionaries(
    {"role": st.just("assistant"), "content": st.text(max_size=40), "refusal": st.none()},
    optional={"annotations": st.just([]), "reasoning_content": st.text(max_size=20)},
)
_tool_message = st.fixed_dictionaries(
    {
        "role": st.just("assistant"),
        "content": st.one_of(st.none(), st.text(max_size=20)),
        "refusal": st.none(),
        "tool_calls": st.lists(_tool_call, min_size=1, max_size=3),
    }
)
_FINISH = ["stop", "length", "tool_calls", "content_filter", "function_call"]
_choice_body = st.one_of(
    st.tuples(_text_message, st.sampled_from(_FINISH)),
    # OpenAI itself answers "stop" when tool_choice names a function.
    st.tuples(_tool_message, st.sampled_from(["tool_calls", "stop"])),
)
_choices = st.lists(_choice_body, min_size=1, max_size=3).map(
    lambda bodies: [
        {"index": i, "message": message, "logprobs": None, "finish_reason": finish}
        for i, (message, finish) in enumerate(bodies)
    ]
)
_usage = st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(
    lambda pc: {"prompt_tokens": pc[0], "completion_tokens": pc[1], "total_tokens": pc[0] + pc[1]}
)
completions = st.fixed_dictionaries(
    {
        "id": _ident.map(lambda s: "chatcmpl-" + s),
        "object": st.just("chat.completion"),
        "created": st.integers(0, 2**40),
        "model": st.text(min_size=1, max_size=30),
        "choices": _choices,
    },
    optional={
        "usage": _usage,
        "system_fingerprint": _ident.map(lambda s: "fp_" + s),
        "service_tier": st.sampled_from(["default", "auto", "flex", "priority"]),
        "x_vendor": st.dictionaries(_ident, st.integers(), max_size=2),
    },
)

# What each kind of field becomes under a "wrong type" mutation.
_WRONG_TYPE = {
    "string": 42,
    "integer": "42",
    "array": {"not": "an array"},
    "object": "not an object",
    "string|null": 42,
    "json-string": {"city": "Paris"},  # the classic break: arguments as an object
}
_NOT_IN_ENUM = "bogus-value"


def _fields(doc: dict[str, Any]) -> Iterator[tuple[Path_, str, bool]]:
    """(path, kind, compat-required) of every compat-constrained field present in a valid completion.

    kind is a type name from _WRONG_TYPE, or "enum" for a const/enum field.
    """
    yield ("id",), "string", True
    yield ("object",), "enum", True
    yield ("created",), "integer", True
    yield ("model",), "string", True
    yield ("choices",), "array", True
    for i, choice in enumerate(doc["choices"]):
        c: Path_ = ("choices", i)
        yield c + ("index",), "integer", True
        yield c + ("message",), "object", True
        yield c + ("finish_reason",), "enum", True
        message = choice["message"]
        m = c + ("message",)
        yield m + ("role",), "enum", True
        yield m + ("content",), "string|null", False
        for j, _ in enumerate(message.get("tool_calls") or []):
            t = m + ("tool_calls", j)
            yield t + ("id",), "string", True
            yield t + ("type",), "enum", True
            yield t + ("function",), "object", True
            yield t + ("function", "name"), "string", True
            yield t + ("function", "arguments"), "json-string", True
    if "usage" in doc:
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            yield ("usage", key), "integer", True
    if "system_fingerprint" in doc:
        yield ("system_fingerprint",), "string|null", False


def _mutations(doc: dict[str, Any]) -> list[tuple[str, Path_, Any, Path_]]:
    """(description, path, new value or ... for delete, path where the error must be reported)."""
    out: list[tuple[str, Path_, Any, Path_]] = []
    for path, kind, required in _fields(doc):
        if required:
            out.append(("delete", path, ..., path[:-1]))
        if kind == "enum":
            out.append(("enum", path, _NOT_IN_ENUM, path))
        else:
            out.append(("type", path, _WRONG_TYPE[kind], path))
    return out


@settings(max_examples=150, deadline=None)
@given(completions)
def test_generated_completions_pass_both_levels(doc: dict[str, Any]) -> None:
    assert_both_valid("chat_completion", doc)


@settings(max_examples=300, deadline=None)
@given(completions, st.data())
def test_single_mutations_are_caught_at_compat_with_their_path(doc: dict[str, Any], data: st.DataObject) -> None:
    _what, path, value, expected = data.draw(st.sampled_from(_mutations(doc)), label="mutation")
    bad = mutated(doc, path, delete=True) if value is ... else mutated(doc, path, value)
    assert_fails_at("compat", "chat_completion", bad, expected)
    # strict is compat plus the spec: whatever compat rejects, strict rejects too, at the same place.
    assert_fails_at("strict", "chat_completion", bad, expected)


def test_mutation_catalogue_covers_every_kind() -> None:
    mutations = _mutations(TOOL_COMPLETION)
    assert {m[0] for m in mutations} == {"delete", "type", "enum"}
    assert ("type", ("choices", 0, "message", "tool_calls", 0, "function", "arguments"), {"city": "Paris"},
            ("choices", 0, "message", "tool_calls", 0, "function", "arguments")) in mutations
    for _what, path, value, expected in mutations:  # the same check as the property, exhaustively on one document
        bad = mutated(TOOL_COMPLETION, path, delete=True) if value is ... else mutated(TOOL_COMPLETION, path, value)
        assert_fails_at("compat", "chat_completion", bad, expected)


# --------------------------------------------------------------------------- providers.yaml schema

GOOD_CONFIG: dict[str, Any] = {
    "settings": {
        "timeout_s": 30,
        "max_concurrency": 2,
        "max_body_bytes": 1_000_000,
        "evidence_body_chars": 4000,
        "token_limit": 5,
    },
    "providers": [
        {"name": "reference", "base_url": "embedded:reference", "models": {"chat": "ref-chat"}},
        {
            "name": "openai",
            "base_url": "https://api.openai.com/v1",
            "api_key": "${OPENAI_API_KEY}",
            "models": {"chat": "gpt-4o-mini", "vision": "gpt-4o"},
            "headers": {"OpenAI-Organization": "${OPENAI_ORG}"},
            "max_concurrency": 8,
            "timeout_s": 12.5,
            "settings": {"token_limit": 8},
        },
        {"name": "local.vllm_1", "base_url": "${VLLM_BASE_URL}", "models": {"chat": "qwen"}},
        {"name": "ollama", "base_url": "http://localhost:11434/v1", "models": {"chat": "llama3.2"}},
    ],
}


def _config_errors(config: Any) -> set[Path_]:
    return {tuple(e.absolute_path) for e in Draft202012Validator(load("providers.schema.json")).iter_errors(config)}


def test_providers_schema_accepts_a_realistic_config() -> None:
    assert _config_errors(GOOD_CONFIG) == set()
    minimal = {"providers": [{"name": "a", "base_url": "https://x.example/v1", "models": {"chat": "m"}}]}
    assert _config_errors(minimal) == set()


def test_providers_schema_describes_every_property() -> None:
    for where, node in _walk(load("providers.schema.json")):
        if isinstance(node, dict) and isinstance(node.get("properties"), dict) and where[-1:] != ("properties",):
            for name, prop in node["properties"].items():
                assert prop.get("description"), f"{where + ('properties', name)} has no description"


P1: Path_ = ("providers", 1)
P3: Path_ = ("providers", 3)
CONFIG_BREAKS: list[tuple[str, Any, Path_]] = [
    ("empty file", None, ()),
    ("no providers", {"settings": {}}, ()),
    ("empty providers", {"providers": []}, ("providers",)),
    ("top-level typo", {**GOOD_CONFIG, "provider": []}, ()),
    ("settings typo", {**GOOD_CONFIG, "settings": {"timeout": 5}}, ("settings",)),
    ("timeout zero", {**GOOD_CONFIG, "settings": {"timeout_s": 0}}, ("settings", "timeout_s")),
    ("concurrency zero", {**GOOD_CONFIG, "settings": {"max_concurrency": 0}}, ("settings", "max_concurrency")),
    ("body too small", {**GOOD_CONFIG, "settings": {"max_body_bytes": 100}}, ("settings", "max_body_bytes")),
    (
        "evidence too small",
        {**GOOD_CONFIG, "settings": {"evidence_body_chars": 10}},
        ("settings", "evidence_body_chars"),
    ),
    ("token limit too big", {**GOOD_CONFIG, "settings": {"token_limit": 65}}, ("settings", "token_limit")),
    ("token limit as float", {**GOOD_CONFIG, "settings": {"token_limit": 2.5}}, ("settings", "token_limit")),
    ("provider typo", mutated(GOOD_CONFIG, ("providers", 0, "apikey"), "x"), ("providers", 0)),
    ("provider without models", mutated(GOOD_CONFIG, ("providers", 0, "models"), delete=True), ("providers", 0)),
    ("models without chat", mutated(GOOD_CONFIG, P1 + ("models",), {"vision": "v"}), P1 + ("models",)),
    ("empty chat model", mutated(GOOD_CONFIG, P1 + ("models", "chat"), ""), P1 + ("models", "chat")),
    ("bad name", mutated(GOOD_CONFIG, ("providers", 0, "name"), "my provider"), ("providers", 0, "name")),
    ("name too long", mutated(GOOD_CONFIG, ("providers", 0, "name"), "a" * 65), ("providers", 0, "name")),
    ("empty base_url", mutated(GOOD_CONFIG, P3 + ("base_url",), ""), P3 + ("base_url",)),
    ("header value not a string", mutated(GOOD_CONFIG, P1 + ("headers",), {"X-Try": 3}), P1 + ("headers", "X-Try")),
    ("provider timeout negative", mutated(GOOD_CONFIG, P1 + ("timeout_s",), -1), P1 + ("timeout_s",)),
    ("provider settings typo", mutated(GOOD_CONFIG, P1 + ("settings",), {"tokens": 3}), P1 + ("settings",)),
    ("api_key not a string", mutated(GOOD_CONFIG, P1 + ("api_key",), 12345), P1 + ("api_key",)),
]


@pytest.mark.parametrize(("config", "path"), [c[1:] for c in CONFIG_BREAKS], ids=[c[0] for c in CONFIG_BREAKS])
def test_providers_schema_rejects_config_mistakes(config: Any, path: Path_) -> None:
    assert path in _config_errors(config)


def test_azure_prompt_filter_chunk_is_a_strict_only_violation() -> None:
    """Azure OpenAI opens every stream with this chunk; clients ignore it, the spec does not allow it."""
    preamble = {
        "choices": [], "created": 0, "id": "", "model": "", "object": "",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
    }
    assert_valid("compat", "chat_completion_chunk", preamble)
    assert error_paths("strict", "chat_completion_chunk", preamble) == {("object",)}
    # Any other object type is still a real break at compat level.
    assert_fails_at("compat", "chat_completion_chunk", {**preamble, "object": "chat.completion"}, ("object",))


# --------------------------------------------------------------------------- the fast validator agrees


@settings(max_examples=200, deadline=None)
@given(completions, st.data())
def test_the_fast_validator_agrees_with_jsonschema(doc: dict[str, Any], data: st.DataObject) -> None:
    """validate.py skips jsonschema for what the compiled validator accepts: the two must never
    disagree, on valid documents and on every single mutation of them."""
    from conformance.validate import _valid, _validator

    candidates = [doc] + [
        mutated(doc, path, delete=True) if value is ... else mutated(doc, path, value) for _, path, value, _ in _mutations(doc)
    ]
    for level in LEVELS:
        for candidate in candidates:
            assert _valid(level, "chat_completion", candidate) == _validator(level, "chat_completion").is_valid(candidate)

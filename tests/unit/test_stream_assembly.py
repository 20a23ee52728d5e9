"""Assembling a chat stream as a client would (probes.common.summarise_stream): content deltas,
tool-call deltas split anywhere, and the faults a client cannot recover from."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.client import StreamChunk, StreamResult
from conformance.probes.shared import summarise_stream
from conformance.verdict import Exchange, RequestRecord


def stream_of(deltas: list[dict[str, Any]], finish_reason: str = "tool_calls") -> StreamResult:
    result = StreamResult(exchange=Exchange("test", RequestRecord("POST", "http://127.0.0.1/v1/chat/completions", {})))
    docs: list[dict[str, Any]] = [{"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    docs.append({"choices": [{"index": 0, "delta": {}, "finish_reason": finish_reason}]})
    for number, doc in enumerate(docs, start=1):
        result.chunks.append(StreamChunk(number=number, raw=json.dumps(doc), json=doc))
    return result


def split_points(text: str) -> st.SearchStrategy[list[str]]:
    """``text`` cut into fragments at arbitrary places (empty fragments included)."""
    return st.lists(st.integers(0, len(text)), max_size=12).map(
        lambda cuts: [text[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(text)], strict=True)]
    )


arguments_json = st.dictionaries(
    st.text(min_size=1, max_size=8), st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none()), max_size=4
).map(lambda d: json.dumps(d, ensure_ascii=False))


@settings(max_examples=200, deadline=None)
@given(st.data(), st.lists(arguments_json, min_size=1, max_size=3))
def test_any_split_of_the_arguments_reassembles(data: st.DataObject, all_arguments: list[str]) -> None:
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": None}]
    for index, arguments in enumerate(all_arguments):
        pieces = data.draw(split_points(arguments), label=f"fragments of call {index}")
        deltas.append({"tool_calls": [{"index": index, "id": f"call_{index}", "type": "function",
                                       "function": {"name": "get_weather", "arguments": pieces[0]}}]})
        deltas.extend({"tool_calls": [{"index": index, "function": {"arguments": piece}}]} for piece in pieces[1:])
    summary = summarise_stream(stream_of(deltas))
    assert not summary.problems
    assert {i: c.arguments for i, c in summary.tool_calls.items()} == dict(enumerate(all_arguments))
    assert all(json.loads(c.arguments) == json.loads(all_arguments[i]) for i, c in summary.tool_calls.items())
    assert [c.id for c in summary.tool_calls.values()] == [f"call_{i}" for i in range(len(all_arguments))]
    assert summary.finish_reason == "tool_calls"


@settings(max_examples=100, deadline=None)
@given(st.data(), st.text(max_size=60))
def test_any_split_of_the_content_reassembles(data: st.DataObject, content: str) -> None:
    pieces = data.draw(split_points(content))
    summary = summarise_stream(stream_of([{"role": "assistant"}, *({"content": p} for p in pieces)], "stop"))
    assert summary.content == content and summary.role == "assistant" and summary.finish_reason == "stop"


def test_a_delta_without_index_is_a_problem() -> None:
    summary = summarise_stream(stream_of([{"tool_calls": [{"id": "call_1", "function": {"name": "f", "arguments": "{}"}}]}]))
    assert summary.problems and "no integer `index`" in summary.problems[0]


def test_arguments_as_an_object_is_a_problem() -> None:
    delta = {"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": {"city": "Paris"}}}]}
    summary = summarise_stream(stream_of([delta]))
    assert summary.problems and "not a string fragment" in summary.problems[0]


def test_a_changed_id_for_the_same_index_is_a_problem() -> None:
    deltas = [
        {"tool_calls": [{"index": 0, "id": "call_a", "function": {"name": "f", "arguments": "{"}}]},
        {"tool_calls": [{"index": 0, "id": "call_b", "function": {"arguments": "}"}}]},
    ]
    summary = summarise_stream(stream_of(deltas))
    assert summary.problems and "changes id" in summary.problems[0]


def test_usage_chunk_and_other_choices_are_kept_apart() -> None:
    result = stream_of([{"content": "hi"}], "stop")
    other = {"choices": [{"index": 1, "delta": {"content": "other"}, "finish_reason": None}]}
    usage = {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    for doc in (other, usage):
        result.chunks.append(StreamChunk(number=len(result.chunks) + 1, raw=json.dumps(doc), json=doc))
    summary = summarise_stream(result)
    assert summary.content == "hi"
    assert summary.usage == usage["usage"] and summary.usage_chunk == len(result.chunks)

"""The newer checks judged against crafted providers: the verdict CODE (``status/reason``) each gives
on odd-but-possible answers, one table row per answer.

Every row serves exactly the answer it is about from a crafted provider on 127.0.0.1
(tests/support/crafted.py) and runs that one check's function on it with the real client in
between, as tests/checks/test_probe_verdicts.py does. The tables pin:

1. the rules that cut across checks (README "Verdicts"): a stream carrying an error event is
   ``fail/stream_error`` for every stream reader; a field clients can do without is judged once,
   by the schema's owner, while a wrong type fails everywhere; implausible values are strict-level;
2. the parameter checks (stop, n, logprobs, optional fields, temperature, seed);
3. structured outputs; 4. tools, models.retrieve and streaming.errors;
5. the timing checks (streaming.incremental, limits.concurrency) with crafted pacing;
6. the Responses API stream and output limit; 7. the official SDK checks.

Rows marked ``xfail(strict=True)`` are verdicts found wrong: the row says what the right code is,
and the mark comes off when the check is fixed (a strict xfail that passes fails the suite).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, Protocol

import httpx
import pytest

from conformance.checklist import all_checks
from conformance.client import ProviderClient
from conformance.config import ProviderConfig
from conformance.context import CheckContext, SharedRequests
from conformance.probes.limits.concurrency import COUNTS
from conformance.probes.params.optional_fields import CORE, FIELDS, MESSAGE_NAME, NEWER
from conformance.redact import Redactor
from conformance.runner import decide
from conformance.settings import Settings
from conformance.verdict import Outcome
from tests.support.crafted import CraftedProvider, Handler, Reply, Request

KEY = "sk-crafted-provider-key"
MODEL = "crafted-chat"
CREATED = 1_700_000_000
FAST = dataclasses.replace(Settings(), timeout_s=10.0, max_retries=0)
VISION = {"chat": MODEL, "vision": MODEL}
ERROR_TEXT = "Upstream backend disconnected mid-stream (overloaded)"


# --- the judge ----------------------------------------------------------------------------------
class Judged(NamedTuple):
    outcome: Outcome
    ctx: CheckContext
    server: CraftedProvider
    seconds: float

    @property
    def code(self) -> str:
        return self.outcome.code

    @property
    def summary(self) -> str:
        return self.outcome.summary

    @property
    def notes(self) -> str:
        return "\n".join(self.ctx.notes)


class Judge(Protocol):
    def __call__(self, check_id: str, handler: Handler, *, models: dict[str, str] | None = None, settings: Settings = FAST) -> Judged: ...


SSL_CONTEXT = ssl.create_default_context()
"""One for every test: the loopback is plain HTTP, and loading the CA bundle for each client costs ~30 ms."""


def transport() -> httpx.AsyncHTTPTransport:
    """The transport ProviderClient makes for itself (same limits), on the shared SSL context."""
    return httpx.AsyncHTTPTransport(verify=SSL_CONTEXT, limits=httpx.Limits(keepalive_expiry=2.0))


@pytest.fixture
def judge(crafted: Callable[[Handler], CraftedProvider]) -> Judge:
    """judge(check_id, handler) → Judged(outcome, ctx, server, seconds): that one check's function
    run against ``handler`` served on loopback; an exception in the check propagates (a crash fails
    the test instead of becoming an `error` verdict)."""

    def run(check_id: str, handler: Handler, *, models: dict[str, str] | None = None, settings: Settings = FAST) -> Judged:
        server = crafted(handler)
        check = next(c for c in all_checks() if c.id == check_id)
        config = ProviderConfig(name="crafted", base_url=server.base_url, models=models or {"chat": MODEL}, api_key=KEY, settings=settings)

        async def go() -> tuple[Outcome, CheckContext]:
            client = ProviderClient(
                base_url=server.base_url, api_key=KEY, headers={}, settings=settings, redactor=Redactor([KEY]), transport=transport(),
            )
            try:
                ctx = CheckContext(config, client, SharedRequests())
                return await decide(check, ctx), ctx
            finally:
                await client.aclose()

        started = time.monotonic()
        outcome, ctx = asyncio.run(go())
        return Judged(outcome, ctx, server, time.monotonic() - started)

    return run


# --- crafted documents --------------------------------------------------------------------------
def completion(message: dict[str, Any], finish: str = "stop", **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-crafted", "object": "chat.completion", "created": CREATED, "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": None, **message}, "logprobs": None,
                     "finish_reason": finish}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        "system_fingerprint": "fp_crafted",
        **extra,
    }


def says(text: str, finish: str = "stop", **extra: Any) -> Reply:
    return Reply(completion({"content": text}, finish, **extra))


def tool_call(name: str = "get_weather", arguments: Any = None, call_id: str = "call_1") -> dict[str, Any]:
    arguments = {"city": "Paris"} if arguments is None else arguments
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def calls(*tool_calls: dict[str, Any], finish: str = "tool_calls") -> Reply:
    return Reply(completion({"content": None, "tool_calls": list(tool_calls)}, finish))


def envelope(message: str, kind: str = "invalid_request_error", param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": None}}


def refuse(message: str, status: int = 400) -> Reply:
    return Reply(envelope(message), status)


def chunk(choices: Any, **extra: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-crafted", "object": "chat.completion.chunk", "created": CREATED, "model": MODEL,
            "system_fingerprint": "fp_crafted", "choices": choices, **extra}


def piece(content: str | None = None, *, finish: str | None = None, index: int = 0, **delta: Any) -> dict[str, Any]:
    """One choice of a chunk: a delta (with ``content`` if given) and its finish_reason."""
    body = {**delta, **({"content": content} if content is not None else {})}
    return {"index": index, "delta": body, "finish_reason": finish}


def text_chunks(text: str, finish: str | None = "stop", *, index: int = 0) -> list[dict[str, Any]]:
    """A streamed text: a role chunk, one chunk per word (with its trailing space), a finish chunk."""
    words = re.findall(r"\S+\s*", text)
    out = [chunk([piece("", role="assistant", index=index)])]
    out += [chunk([piece(word, index=index)]) for word in words]
    if finish is not None:
        out.append(chunk([piece(finish=finish, index=index)]))
    return out


def sse_text(*documents: Any, done: bool = True) -> str:
    events = [f"data: {d if isinstance(d, str) else json.dumps(d)}\n\n" for d in documents]
    return "".join(events) + ("data: [DONE]\n\n" if done else "")


def sse(*documents: Any, done: bool = True) -> Reply:
    return Reply(sse_text(*documents, done=done), content_type="text/event-stream")


def paced(documents: list[Any], pause_s: float, *, done: bool = True) -> Reply:
    """Each event its own HTTP chunk, written ``pause_s`` after the one before."""
    events = [sse_text(d, done=False) for d in documents] + (["data: [DONE]\n\n"] if done else [])
    return Reply(chunks=events, chunk_pause_s=pause_s, content_type="text/event-stream")


ChatAnswer = Callable[[Any], Reply]


def route(*, chat: ChatAnswer | None = None, responses: ChatAnswer | None = None, get: Callable[[str], Reply | None] | None = None) -> Handler:
    """A provider at /v1: POST chat completions and responses answered by ``chat(body)`` and
    ``responses(body)``, GET by ``get(path)``; anything else is a 404 with the envelope."""

    def handle(request: Request) -> Reply:
        if request.method == "POST" and request.path == "/v1/chat/completions" and chat is not None:
            return chat(request.body)
        if request.method == "POST" and request.path == "/v1/responses" and responses is not None:
            return responses(request.body)
        if request.method == "GET" and get is not None and (reply := get(request.path)) is not None:
            return reply
        return Reply(envelope(f"Invalid URL ({request.method} {request.path})"), 404)

    return handle


def plain_or_stream(plain: Reply | ChatAnswer, stream: Reply | ChatAnswer) -> ChatAnswer:
    """Answer ``stream: true`` with ``stream``, anything else with ``plain`` (each a Reply or a function of the body)."""

    def chat(body: Any) -> Reply:
        chosen = stream if isinstance(body, dict) and body.get("stream") else plain
        return chosen if isinstance(chosen, Reply) else chosen(body)

    return chat


def prompt_of(body: Any) -> str:
    """The text of the last user message."""
    content = body["messages"][-1]["content"]
    return content if isinstance(content, str) else " ".join(p.get("text", "") for p in content if isinstance(p, dict))


def counted_to(body: Any) -> int:
    return int(re.search(r"from 1 to (\d+)", prompt_of(body)).group(1))  # type: ignore[union-attr]


def named(summary: str) -> list[str]:
    """The field names a params.optional_fields verdict blames ("... HTTP 400 for a, b (message) ...")."""
    match = re.search(r"HTTP \d+ for (.*?) \(", summary)
    assert match, summary
    return match.group(1).split(", ")


def is_stream(body: Any) -> bool:
    return isinstance(body, dict) and bool(body.get("stream"))


# =================================================================================================
# 1. Cross-cutting rules
# =================================================================================================

# --- a stream that carries an error event is judged as one, everywhere --------------------------
STREAM_READERS = (
    "streaming.sse", "streaming.done", "streaming.content", "streaming.usage", "tokens.max_tokens", "tokens.max_completion_tokens",
    "tools.streaming", "streaming.incremental",
)
ERROR_EVENT = {"error": {"message": ERROR_TEXT, "type": "server_error", "param": None, "code": 502}}
OPENROUTER_ERROR = chunk([piece("", finish="error")], error={"code": 502, "message": ERROR_TEXT})
"""OpenRouter's mid-stream error: a chunk with finish_reason "error" beside an `error` object."""
BARE_FINISH_ERROR = chunk([piece("", finish="error")])
USAGE_CHUNK = chunk([], usage={"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14})


def sound_opening(check_id: str) -> list[dict[str, Any]]:
    """What the stream says before it breaks: a tool call's first fragment, or the text "1 2"."""
    if check_id == "tools.streaming":
        start = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": '}}
        return [chunk([piece(role="assistant", content=None, tool_calls=[start])])]
    return [chunk([piece("", role="assistant")])] + [chunk([piece(w)]) for w in ("1 ", "2 ", "3 ", "4 ", "5 ", "6")]


def sound_ending(check_id: str) -> list[dict[str, Any]]:
    """How a sound stream of the same request ends (the control row: no error, no stream_error)."""
    if check_id == "tools.streaming":
        return [chunk([piece(tool_calls=[{"index": 0, "function": {"arguments": '"Paris"}'}}])]), chunk([piece(finish="tool_calls")]), USAGE_CHUNK]
    return [chunk([piece(finish="length")]), USAGE_CHUNK]


ERROR_ENDINGS: dict[str, tuple[list[Any], bool, str]] = {
    # id: (events after the sound opening, [DONE] after them, what the summary must quote)
    "error event then [DONE]": ([ERROR_EVENT], True, ERROR_TEXT),
    "error event, stream closed": ([ERROR_EVENT], False, ERROR_TEXT),
    "OpenRouter finish_reason error with error object": ([OPENROUTER_ERROR], True, ERROR_TEXT),
    "finish_reason error alone": ([BARE_FINISH_ERROR], True, 'finish_reason "error"'),
    "error object beside a length finish": ([chunk([piece(finish="length")], error=ERROR_EVENT["error"])], True, ERROR_TEXT),
}


@pytest.mark.parametrize("ending", sorted(ERROR_ENDINGS))
@pytest.mark.parametrize("check_id", STREAM_READERS)
def test_a_stream_ending_in_an_error_is_a_stream_error_for_every_reader(judge: Judge, check_id: str, ending: str) -> None:
    events, done, quoted = ERROR_ENDINGS[ending]
    stream = sound_opening(check_id) + events
    outcome = judge(check_id, route(chat=plain_or_stream(says("1 2"), sse(*stream, done=done)))).outcome
    assert outcome.code == "fail/stream_error", outcome
    assert quoted in outcome.summary, outcome.summary
    assert "stopped by itself" not in outcome.summary


@pytest.mark.parametrize("check_id", STREAM_READERS)
def test_an_error_event_before_any_content_is_a_stream_error(judge: Judge, check_id: str) -> None:
    outcome = judge(check_id, route(chat=plain_or_stream(says("1 2"), sse(ERROR_EVENT)))).outcome
    assert outcome.code == "fail/stream_error" and ERROR_TEXT in outcome.summary, outcome


SOUND_CODES = {
    "streaming.sse": "pass/well_framed", "streaming.done": "pass/done", "streaming.content": "pass/joined",
    "streaming.usage": "pass/final_usage_chunk", "tokens.max_tokens": "pass/enforced", "tokens.max_completion_tokens": "pass/enforced",
    "tools.streaming": "pass/assembled", "streaming.incremental": "pass/too_fast_to_matter",
}


@pytest.mark.parametrize(("check_id", "expected"), sorted(SOUND_CODES.items()))
def test_control_the_same_stream_without_the_error_is_judged_on_its_merits(judge: Judge, check_id: str, expected: str) -> None:
    """The control row of the table above: the same opening ended soundly. 6 words over a limit of 5
    would be `fail/ignored` for the token checks, so their sound stream says "1 2" only."""
    opening = sound_opening(check_id)
    if check_id.startswith("tokens."):
        opening = opening[:3]
    outcome = judge(check_id, route(chat=plain_or_stream(says("1 2"), sse(*opening, *sound_ending(check_id))))).outcome
    assert outcome.code == expected, outcome


# --- a field clients can do without is judged once; a wrong type fails everywhere ---------------
def drop(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return mutate


def put(value: Any, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


ABSENT: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    # id: (mutation, the field the note names)
    "no created": (drop("created"), "$.created"),
    "no id": (drop("id"), "$.id"),
    "no model": (drop("model"), "$.model"),
    "no object": (drop("object"), "$.object"),
    "no choices[0].index": (drop("choices", 0, "index"), "$.choices[0].index"),
}
WRONG_TYPE: dict[str, Callable[[dict[str, Any]], None]] = {
    "created as a string": put(str(CREATED), "created"),
    "id as a number": put(12345, "id"),
    "choices[0].index as a string": put("0", "choices", 0, "index"),
}
CAPABILITIES = {
    "system.role": "pass/followed", "tools.named": "pass/called", "vision.image_input": "pass/recognised",
    "structured.json_object": "pass/json_object",
}


def capable(check_id: str, mutate: Callable[[dict[str, Any]], None] = lambda document: None) -> Handler:
    """A provider that does what ``check_id`` asks, every completion passed through ``mutate``."""

    def chat(body: Any) -> Reply:
        if check_id == "system.role":
            system = body["messages"][0]
            word = re.search(r"code word (\S+)\.", system["content"]) if system["role"] == "system" else None
            document = completion({"content": f"{word.group(1)} Hello!" if word else "Hello!"})
        elif check_id == "tools.named":
            document = completion({"content": None, "tool_calls": [tool_call()]}, "tool_calls")
        elif check_id == "vision.image_input":
            document = completion({"content": "Red."})
        elif check_id == "structured.json_object":
            document = completion({"content": '{"city": "Paris", "country": "France"}'})
        else:
            document = completion({"content": "Hello there."})
        mutate(document)
        return Reply(document)

    return route(chat=chat)


@pytest.fixture
def red(monkeypatch: pytest.MonkeyPatch) -> None:
    """vision.image_input draws a red square (its colour is random otherwise)."""
    monkeypatch.setattr("conformance.probes.vision.image_input.random.choice", lambda options: "red")


@pytest.mark.parametrize("absent", sorted(ABSENT))
def test_chat_basic_owns_the_schema_an_absent_field_fails_it(judge: Judge, absent: str) -> None:
    mutate, field = ABSENT[absent]
    outcome = judge("chat.basic", capable("chat.basic", mutate)).outcome
    assert outcome.code == "fail/schema", outcome
    assert f"'{field.rsplit('.', 1)[-1]}' is a required property" in outcome.summary, outcome.summary


@pytest.mark.usefixtures("red")
@pytest.mark.parametrize("absent", sorted(ABSENT))
@pytest.mark.parametrize("check_id", sorted(CAPABILITIES))
def test_a_capability_check_notes_an_absent_field_and_judges_the_capability(judge: Judge, check_id: str, absent: str) -> None:
    mutate, field = ABSENT[absent]
    judged = judge(check_id, capable(check_id, mutate), models=VISION)
    assert judged.code == CAPABILITIES[check_id], judged.outcome
    assert f"the completion lacks {field}" in judged.notes, judged.notes


@pytest.mark.usefixtures("red")
@pytest.mark.parametrize("wrong", sorted(WRONG_TYPE))
@pytest.mark.parametrize("check_id", ["chat.basic", *sorted(CAPABILITIES)])
def test_a_field_of_the_wrong_type_fails_every_check_that_reads_the_completion(judge: Judge, check_id: str, wrong: str) -> None:
    outcome = judge(check_id, capable(check_id, WRONG_TYPE[wrong]), models=VISION).outcome
    assert outcome.code == "fail/schema", outcome


@pytest.mark.usefixtures("red")
@pytest.mark.parametrize("check_id", ["chat.basic", *sorted(CAPABILITIES)])
def test_control_the_complete_completion_passes_them_all(judge: Judge, check_id: str) -> None:
    judged = judge(check_id, capable(check_id), models=VISION)
    assert judged.code == CAPABILITIES.get(check_id, "pass/valid"), judged.outcome
    assert "lacks" not in judged.notes


CHUNK_ABSENT: dict[str, tuple[Callable[[dict[str, Any]], None], str, str, str]] = {
    # id: (mutation of every chunk, streaming.sse's code, streaming.content's code, the note streaming.content keeps)
    "no created": (drop("created"), "fail/bad_chunk", "pass/joined", "$.created"),
    "no id": (drop("id"), "fail/bad_chunk", "pass/joined", "$.id"),
    "no model": (drop("model"), "fail/bad_chunk", "pass/joined", "$.model"),
    "no object": (drop("object"), "fail/bad_chunk", "pass/joined", "$.object"),
    "created as a string": (put(str(CREATED), "created"), "fail/bad_chunk", "fail/bad_chunk", ""),
    # A chunk's choice index is how a client assembles a stream: not tolerated anywhere.
    "no choices[0].index": (drop("choices", 0, "index"), "fail/bad_chunk", "fail/bad_chunk", ""),
    "nothing wrong": (lambda document: None, "pass/well_framed", "pass/joined", ""),
}


@pytest.mark.parametrize("check_id", ["streaming.sse", "streaming.content"])
@pytest.mark.parametrize("case", sorted(CHUNK_ABSENT))
def test_a_chunk_lacking_a_field_fails_only_streaming_sse(judge: Judge, case: str, check_id: str) -> None:
    mutate, sse_code, content_code, note = CHUNK_ABSENT[case]
    stream = text_chunks("1 2 3 4 5 6 7 8")
    for document in stream:
        mutate(document)
    judged = judge(check_id, route(chat=plain_or_stream(says("1 2"), sse(*stream))))
    assert judged.code == (sse_code if check_id == "streaming.sse" else content_code), judged.outcome
    if check_id == "streaming.content" and note:
        assert f"chunks lack {note}" in judged.notes, judged.notes


# --- implausible values: strict-level, judged by the owners only ----------------------------------
PLAUSIBILITY: list[Any] = [
    # (id, mutation, chat.basic's code, what the summary must say)
    pytest.param(put(CREATED * 1000, "created"), "warn/strict_schema", "milliseconds", id="created in milliseconds"),
    pytest.param(put(0, "created"), "warn/strict_schema", "$.created", id="created 0"),
    pytest.param(put(1, "created"), "warn/strict_schema", "$.created", id="created 1 (1970)"),
    pytest.param(put(int(time.time()) + 30 * 86_400, "created"), "warn/strict_schema", "$.created", id="created a month ahead"),
    pytest.param(put("", "id"), "warn/strict_schema", "$.id", id="empty id"),
    pytest.param(put("", "model"), "warn/strict_schema", "$.model", id="empty model"),
    pytest.param(put(int(time.time()), "created"), "pass/valid", "", id="created now"),
    pytest.param(put(CREATED, "created"), "pass/valid", "", id="created in 2023"),
    pytest.param(put(CREATED + 0.5, "created"), "fail/schema", "", id="created a float"),
]


@pytest.mark.parametrize(("mutate", "expected", "said"), PLAUSIBILITY)
def test_chat_basic_judges_implausible_values_at_strict_level(
    judge: Judge, mutate: Callable[[dict[str, Any]], None], expected: str, said: str,
) -> None:
    outcome = judge("chat.basic", capable("chat.basic", mutate)).outcome
    assert outcome.code == expected, outcome
    assert said in outcome.summary, outcome.summary


@pytest.mark.parametrize(("check_id", "expected"), [("system.role", "pass/followed"), ("structured.json_object", "pass/json_object")])
def test_a_capability_check_does_not_judge_implausible_values(judge: Judge, check_id: str, expected: str) -> None:
    outcome = judge(check_id, capable(check_id, put(CREATED * 1000, "created"))).outcome
    assert outcome.code == expected, outcome


@pytest.mark.parametrize(("check_id", "expected"), [("streaming.sse", "warn/strict_schema"), ("streaming.content", "pass/joined")])
def test_a_chunk_created_in_milliseconds_warns_only_streaming_sse(judge: Judge, check_id: str, expected: str) -> None:
    stream = [dict(c, created=CREATED * 1000) for c in text_chunks("1 2 3")]
    outcome = judge(check_id, route(chat=plain_or_stream(says("1 2"), sse(*stream)))).outcome
    assert outcome.code == expected, outcome
    if expected.startswith("warn"):
        assert "milliseconds" in outcome.summary, outcome.summary


# =================================================================================================
# 2. Parameter checks
# =================================================================================================

# --- params.stop ---------------------------------------------------------------------------------
STRIPPED = " ".join(str(i) for i in range(1, 21)).replace("7", "")
"""A server that implements stop by deleting the stop string from the text: '1 2 3 4 5 6  8 9 ... 16 1 18 19 20'."""
STOP_CASES: list[Any] = [
    # (plain reply, its finish_reason, streamed reply, its finish_reason, code)
    pytest.param("1 2 3 4 5 6", "stop", "1 2 3 4 5 6", "stop", "pass/honoured", id="stops before 7 both ways"),
    pytest.param("1, 2, 3, 4, 5, 6,", "stop", "1, 2, 3, 4, 5, 6, ", "stop", "pass/honoured", id="comma separated, cut at the stop word"),
    pytest.param("1 2 3 4 5 6 7 8 9 10", "stop", "1 2 3 4 5 6", "stop", "fail/ignored", id="reply contains the stop word"),
    pytest.param("1 2 3 4 5 6", "length", "1 2 3 4 5 6", "stop", "fail/wrong_finish_reason", id="stops before it, finish_reason length"),
    pytest.param("1 2 3 4 5 6", "stop", "1 2 3 4 5 6", "length", "fail/wrong_finish_reason", id="streamed finish_reason length"),
    pytest.param("Sure! Counting is fun.", "stop", "Sure! Counting is fun.", "stop", "warn/did_not_count", id="model does not count"),
    pytest.param("1 2 3", "length", "1 2 3", "length", "warn/did_not_count", id="cut by the reply limit before 5"),
    pytest.param("I cannot count.", "stop", "1 2 3 4 5 6", "stop", "warn/did_not_count", id="only the stream counts"),
    pytest.param("1 2 3 4 5 6", "stop", "1 2 3 4 5 6 7", "stop", "fail/ignored_in_stream", id="stream sends the stop word in a delta"),
    pytest.param("1 2 3 4 5 6", "stop", "1 2 3 4 5 6 7 8 9", "length", "fail/ignored_in_stream", id="stream goes on past it"),
    # A stop sequence is a string: the "7" of "17" is it, so a reply holding "17" went past it.
    pytest.param("1 2 3 4 5 6 17", "stop", "1 2 3 4 5 6", "stop", "fail/ignored", id="17 carries the stop string 7"),
    pytest.param(
        "1 2 3 4 5 6 7.", "stop", "1 2 3 4 5 6", "stop", "fail/ignored", id="stop word ending a sentence '7.'",
    ),
    pytest.param(
        STRIPPED, "stop", "1 2 3 4 5 6", "stop", "fail/ignored", id="stop string stripped out, the reply goes on past it",
    ),
]


@pytest.mark.parametrize(("plain", "plain_finish", "streamed", "stream_finish", "expected"), STOP_CASES)
def test_params_stop(judge: Judge, plain: str, plain_finish: str, streamed: str, stream_finish: str, expected: str) -> None:
    def chat(body: Any) -> Reply:
        assert body["stop"] == ["7"]
        return sse(*text_chunks(streamed, stream_finish)) if is_stream(body) else says(plain, plain_finish)

    outcome = judge("params.stop", route(chat=chat)).outcome
    assert outcome.code == expected, outcome


def test_params_stop_leaves_a_broken_stream_to_the_streaming_checks(judge: Judge) -> None:
    """The plain half honours stop; the stream ends in an error event: noted, not judged here."""
    handler = route(chat=plain_or_stream(says("1 2 3 4 5 6"), sse(*text_chunks("1 2", None), ERROR_EVENT)))
    judged = judge("params.stop", handler)
    assert judged.code == "pass/honoured", judged.outcome
    assert "streaming checks judge streams" in judged.notes and ERROR_TEXT in judged.notes, judged.notes


# --- params.n ------------------------------------------------------------------------------------
def choices_of(*texts_and_indexes: tuple[str, Any]) -> dict[str, Any]:
    document = completion({"content": "x"})
    template = document["choices"][0]
    document["choices"] = []
    for text, index in texts_and_indexes:
        choice = {**template, "message": {**template["message"], "content": text}, "index": index}
        if index is None:
            del choice["index"]
        document["choices"].append(choice)
    return document


def two_streamed(*, speakers: tuple[int, ...] = (0, 1), finishers: tuple[int, ...] = (0, 1)) -> Reply:
    chunks = [chunk([piece("", role="assistant", index=i)]) for i in (0, 1)]
    chunks += [chunk([piece(f"Hello {i}.", index=i)]) for i in speakers]
    chunks += [chunk([piece(finish="stop", index=i)]) for i in finishers]
    return sse(*chunks)


TWO = choices_of(("Hello.", 0), ("Hi there.", 1))
N_CASES: list[Any] = [
    pytest.param(TWO, two_streamed(), "pass/two_choices", id="two choices, both streamed"),
    pytest.param(choices_of(("Hi there.", 1), ("Hello.", 0)), two_streamed(), "pass/two_choices", id="indexes in reverse order"),
    pytest.param(choices_of(("Hello.", 0)), two_streamed(), "fail/ignored", id="one choice"),
    pytest.param(choices_of(("Hello.", 0), ("Hi.", 0)), two_streamed(), "fail/bad_indexes", id="indexes [0, 0]"),
    pytest.param(choices_of(("Hello.", 1), ("Hi.", 2)), two_streamed(), "fail/bad_indexes", id="indexes [1, 2]"),
    pytest.param(choices_of(("Hello.", None), ("Hi.", None)), two_streamed(), "fail/bad_indexes", id="indexes absent"),
    pytest.param(choices_of(("a", 0), ("b", 1), ("c", 2)), two_streamed(), "fail/bad_indexes", id="three choices"),
    pytest.param(TWO, two_streamed(speakers=(0,), finishers=(0,)), "fail/ignored_in_stream", id="streamed deltas only for index 0"),
    pytest.param(TWO, two_streamed(finishers=(0,)), "fail/ignored_in_stream", id="streamed finish_reason only for index 0"),
    pytest.param(TWO, sse(*text_chunks("Hello.")), "fail/ignored_in_stream", id="streamed as one choice"),
    pytest.param(TWO, sse(ERROR_EVENT), "pass/two_choices", id="stream is an error event: not judged here"),
]


@pytest.mark.parametrize(("plain", "stream", "expected"), N_CASES)
def test_params_n(judge: Judge, plain: dict[str, Any], stream: Reply, expected: str) -> None:
    def chat(body: Any) -> Reply:
        assert body["n"] == 2
        return stream if is_stream(body) else Reply(plain)

    outcome = judge("params.n", route(chat=chat)).outcome
    assert outcome.code == expected, outcome


# --- params.logprobs ------------------------------------------------------------------------------
def entry(token: str = "Hello", logprob: Any = -0.01, raw: Any = "bytes", top: Any = "top") -> dict[str, Any]:
    out: dict[str, Any] = {"token": token, "logprob": logprob, "bytes": list(token.encode()) if raw == "bytes" else raw}
    if top == "top":
        out["top_logprobs"] = [
            {"token": token, "logprob": logprob, "bytes": list(token.encode())},
            {"token": "Hi", "logprob": -4.6, "bytes": [72, 105]},
        ]
    elif top is not None:
        out["top_logprobs"] = top
    return out


ALTERNATIVE = {"token": "Hey", "logprob": -5.0, "bytes": [72, 101, 121]}
LOGPROBS_CASES: list[Any] = [
    # (choices[0].logprobs, code, what the summary names)
    pytest.param({"content": [entry(), entry(" there", -0.2)], "refusal": None}, "pass/present", "2 token(s)", id="well formed"),
    pytest.param({"content": [entry(raw=None)]}, "pass/present", "", id="bytes null"),
    pytest.param({"content": [entry(logprob=0)]}, "pass/present", "", id="logprob exactly 0"),
    pytest.param({"content": [entry(logprob=-9999.0)]}, "pass/present", "", id="logprob -9999 (OpenAI's floor)"),
    pytest.param(None, "fail/ignored", "null", id="null"),
    pytest.param({"content": []}, "fail/ignored", "empty", id="content empty beside a text reply"),
    pytest.param({"content": "Hello"}, "fail/malformed", "not a list", id="content a string"),
    pytest.param({"content": None}, "fail/malformed", "not a list", id="content null"),
    pytest.param({"tokens": ["Hello"], "token_logprobs": [-0.01]}, "fail/malformed", "not a list", id="legacy completions shape"),
    pytest.param({"content": [entry(logprob=0.5)]}, "fail/malformed", "content[0].logprob", id="logprob > 0"),
    pytest.param({"content": [entry(logprob="-0.1")]}, "fail/malformed", "content[0].logprob", id="logprob a string"),
    pytest.param({"content": [entry(logprob=True)]}, "fail/malformed", "content[0].logprob", id="logprob true"),
    pytest.param({"content": [{**entry(), "token": None}]}, "fail/malformed", "content[0].token", id="token null"),
    pytest.param({"content": [entry(top=[ALTERNATIVE])]}, "fail/malformed", "1 entries, 2 were asked", id="1 top_logprob"),
    pytest.param({"content": [entry(top=[ALTERNATIVE] * 3)]}, "fail/malformed", "3 entries, 2 were asked", id="3 top_logprobs"),
    pytest.param({"content": [entry(top=None)]}, "fail/malformed", "top_logprobs is None", id="top_logprobs absent"),
    pytest.param({"content": [entry(top=[ALTERNATIVE, {**ALTERNATIVE, "logprob": 1.5}])]}, "fail/malformed", "top_logprobs[1].logprob",
                 id="an alternative's logprob > 0"),
    pytest.param({"content": [entry(raw="Hello")]}, "fail/malformed", "content[0].bytes", id="bytes a string"),
    pytest.param({"content": [entry(raw=[72, 256])]}, "fail/malformed", "content[0].bytes", id="bytes above 255"),
    pytest.param({"content": [entry(raw=[True, 1])]}, "fail/malformed", "content[0].bytes", id="bytes booleans"),
    pytest.param({"content": [entry(raw=[-1])]}, "fail/malformed", "content[0].bytes", id="bytes negative"),
    pytest.param({"content": [entry(), "Hello"]}, "fail/malformed", "content[1] is not an object", id="an entry a string"),
]


@pytest.mark.parametrize(("logprobs", "expected", "said"), LOGPROBS_CASES)
def test_params_logprobs(judge: Judge, logprobs: Any, expected: str, said: str) -> None:
    def chat(body: Any) -> Reply:
        assert body["logprobs"] is True and body["top_logprobs"] == 2
        document = completion({"content": "Hello there."})
        document["choices"][0]["logprobs"] = logprobs
        return Reply(document)

    outcome = judge("params.logprobs", route(chat=chat)).outcome
    assert outcome.code == expected, outcome
    assert said in outcome.summary, outcome.summary


def test_params_logprobs_absent_key_is_ignored(judge: Judge) -> None:
    def chat(body: Any) -> Reply:
        document = completion({"content": "Hello there."})
        del document["choices"][0]["logprobs"]
        return Reply(document)

    assert judge("params.logprobs", route(chat=chat)).code == "fail/ignored"


# --- params.optional_fields ------------------------------------------------------------------------
def carries(body: Any, field: str) -> bool:
    if field == MESSAGE_NAME:
        return "name" in body["messages"][0]
    return field in body


def refusing(*groups: tuple[str, ...], status: int = 400, message: str = "Unrecognized request argument supplied") -> Handler:
    """Refuses a request that carries every field of any one of ``groups``."""

    def chat(body: Any) -> Reply:
        if any(all(carries(body, f) for f in group) for group in groups):
            if status == 422:  # FastAPI's validation error: no OpenAI envelope
                return Reply({"detail": [{"loc": ["body"], "msg": message, "type": "extra_forbidden"}]}, 422)
            return Reply(envelope(message), status)
        return says("Hello there.")

    return route(chat=chat)


BISECTION_ROUNDS = (len(FIELDS) - 1).bit_length()
"""How many times 14 fields can be halved before one is left: 4."""
OPTIONAL_CASES: list[Any] = [
    # (groups refused, status, code, fields named, bound on requests sent)
    pytest.param((), 400, "pass/accepted", [], 1, id="everything accepted"),
    pytest.param((("logit_bias",),), 400, "fail/core_fields_refused", ["logit_bias"], 1 + 2 * BISECTION_ROUNDS, id="refuses exactly logit_bias"),
    pytest.param(((MESSAGE_NAME,),), 400, "fail/core_fields_refused", [MESSAGE_NAME], 1 + 2 * BISECTION_ROUNDS, id="refuses a message name"),
    pytest.param((("top_p",),), 400, "fail/core_fields_refused", ["top_p"], 1 + 2 * BISECTION_ROUNDS, id="refuses the first field"),
    pytest.param((("service_tier",),), 400, "warn/newer_fields_refused", ["service_tier"], 1 + 2 * BISECTION_ROUNDS, id="refuses the last field"),
    pytest.param((("store",), ("service_tier",)), 400, "warn/newer_fields_refused", ["store", "service_tier"], 1 + 4 * BISECTION_ROUNDS,
                 id="refuses store and service_tier"),
    pytest.param((("metadata",), ("store",), ("service_tier",)), 400, "warn/newer_fields_refused", list(NEWER), 1 + 6 * BISECTION_ROUNDS,
                 id="refuses every newer field"),
    pytest.param((("store", "service_tier"),), 400, "warn/newer_fields_refused", ["store", "service_tier"], 1 + 4 * BISECTION_ROUNDS,
                 id="refuses only the combination store + service_tier"),
    pytest.param((("logit_bias",), ("metadata",)), 400, "fail/core_fields_refused", ["logit_bias", "metadata"], 1 + 4 * BISECTION_ROUNDS,
                 id="refuses a core and a newer field"),
    pytest.param((("metadata",),), 422, "warn/newer_fields_refused", ["metadata"], 1 + 2 * BISECTION_ROUNDS, id="FastAPI 422 for metadata"),
    pytest.param(
        (("logit_bias", "metadata"),), 400, "fail/core_fields_refused", ["logit_bias", "metadata"], 1 + 4 * BISECTION_ROUNDS,
        id="refuses only the combination logit_bias + metadata",
    ),
]


@pytest.mark.parametrize(("groups", "status", "expected", "blamed", "bound"), OPTIONAL_CASES)
def test_params_optional_fields(judge: Judge, groups: tuple[tuple[str, ...], ...], status: int, expected: str, blamed: list[str], bound: int) -> None:
    judged = judge("params.optional_fields", refusing(*groups, status=status))
    assert judged.code == expected, judged.outcome
    if blamed:
        assert named(judged.summary) == blamed, judged.summary
    assert len(judged.server.requests) <= bound, [r.body for r in judged.server.requests]


def test_params_optional_fields_a_one_off_500_while_bisecting_blames_no_innocent_field(judge: Judge) -> None:
    """Refuses logit_bias; the third request (the first halving's second half) meets a one-off 500
    (max_retries 0, as a user may set it). Only logit_bias was ever refused."""
    refuses_logit_bias = refusing(("logit_bias",))

    def handle(request: Request) -> Reply:
        return Reply(envelope("temporary failure", "server_error"), 500) if request.number == 3 else refuses_logit_bias(request)

    judged = judge("params.optional_fields", handle)
    assert named(judged.summary) == ["logit_bias"], judged.summary


def test_params_optional_fields_sends_each_field_at_its_neutral_value(judge: Judge) -> None:
    judged = judge("params.optional_fields", refusing())
    body = judged.server.requests[0].body
    assert {f: body[f] for f in FIELDS if f != MESSAGE_NAME} == {f: v for f, v in FIELDS.items() if f != MESSAGE_NAME}
    assert body["stop"] is None and body["messages"][0]["name"] == CORE[MESSAGE_NAME]


def test_params_optional_fields_a_server_error_is_not_bisected(judge: Judge) -> None:
    judged = judge("params.optional_fields", route(chat=lambda body: Reply(envelope("boom", "server_error"), 500)))
    assert judged.code == "fail/server_error" and len(judged.server.requests) == 1, judged.outcome


# --- params.temperature --------------------------------------------------------------------------
ANIMALS = ("Cat.", "Dog.", "Owl.", "Fox.")


def by_temperature(*, out_of_range: Reply, zero: tuple[str, ...] = ("Cat.",), high: tuple[str, ...] = ANIMALS) -> Handler:
    """Answers temperature 0 from ``zero`` and 1.5 from ``high`` in turn, and 2.5 with ``out_of_range``."""
    turns: dict[float, Iterator[str]] = {0: itertools.cycle(zero), 1.5: itertools.cycle(high)}

    def chat(body: Any) -> Reply:
        temperature = body["temperature"]
        if temperature == 2.5:
            return out_of_range
        return says(next(turns[temperature]), "length")

    return route(chat=chat)


TEMPERATURE_CASES: list[Any] = [
    pytest.param(by_temperature(out_of_range=refuse("temperature must be <= 2")), "pass/honoured", id="2.5 refused with a 400 envelope"),
    pytest.param(by_temperature(out_of_range=says("Cat.")), "warn/out_of_range_accepted", id="2.5 answered 200"),
    pytest.param(by_temperature(out_of_range=Reply(envelope("boom", "server_error"), 500)), "fail/out_of_range_server_error", id="2.5 answered 500"),
    pytest.param(by_temperature(out_of_range=Reply({"detail": "temperature out of range"}, 422)), "warn/out_of_range_refused_oddly",
                 id="2.5 refused with a 422 without envelope"),
    pytest.param(by_temperature(out_of_range=refuse("temperature must be <= 2", 422)), "warn/out_of_range_refused_oddly",
                 id="2.5 refused with a 422 envelope"),
    pytest.param(by_temperature(out_of_range=Reply(envelope("temperature must be <= 2"))), "warn/out_of_range_refused_oddly",
                 id="2.5 refused with an error body under 200"),
    pytest.param(by_temperature(out_of_range=refuse("no"), zero=("Cat.", "Dog.")), "warn/zero_varies", id="temperature 0 replies differ"),
    pytest.param(by_temperature(out_of_range=says("Cat."), zero=("Cat.", "Dog.")), "warn/zero_varies", id="0 varies and 2.5 accepted"),
    pytest.param(by_temperature(out_of_range=refuse("no"), high=("Cat.",)), "warn/high_repeats", id="1.5 repeats itself"),
    pytest.param(by_temperature(out_of_range=refuse("no"), high=("Cat.", "Cat.", "Dog.")), "pass/honoured", id="1.5 varies once in three"),
    pytest.param(by_temperature(out_of_range=Reply(envelope("boom", "server_error"), 500), zero=("Cat.", "Dog.")),
                 "fail/out_of_range_server_error", id="0 varies and 2.5 answered 500"),
]


@pytest.mark.parametrize(("handler", "expected"), TEMPERATURE_CASES)
def test_params_temperature(judge: Judge, handler: Handler, expected: str) -> None:
    outcome = judge("params.temperature", handler).outcome
    assert outcome.code == expected, outcome


# --- params.seed ---------------------------------------------------------------------------------
SEED_CASES: list[Any] = [
    pytest.param(("Cat.", "Cat."), "pass/reproducible", id="same reply twice"),
    pytest.param(("Cat.", "Cat.\n"), "pass/reproducible", id="same reply, trailing newline"),
    pytest.param(("Cat.", "Dog."), "warn/not_reproducible", id="different replies"),
    pytest.param(("Cat.", "cat."), "warn/not_reproducible", id="differ in case"),
    pytest.param(("", "Dog."), "warn/not_reproducible", id="an empty reply then a word"),
]


@pytest.mark.parametrize(("replies", "expected"), SEED_CASES)
def test_params_seed_is_best_effort_never_a_failure(judge: Judge, replies: tuple[str, str], expected: str) -> None:
    turns = itertools.cycle(replies)

    def chat(body: Any) -> Reply:
        assert body["seed"] == 421 and body["temperature"] == 1
        return says(next(turns))

    outcome = judge("params.seed", route(chat=chat)).outcome
    assert outcome.code == expected, outcome


# =================================================================================================
# 3. Structured outputs
# =================================================================================================
OBJECT = '{"city": "Paris", "country": "France"}'
JSON_OBJECT_CASES: list[Any] = [
    pytest.param(OBJECT, "pass/json_object", id="a JSON object"),
    pytest.param(f"  {OBJECT}\n", "pass/json_object", id="an object with surrounding whitespace"),
    pytest.param(f"```json\n{OBJECT}\n```", "warn/fenced", id="inside a json fence"),
    pytest.param(f"```\n{OBJECT}\n```", "warn/fenced", id="inside a bare fence"),
    pytest.param(f"Here is the JSON:\n```json\n{OBJECT}\n```", "fail/not_json", id="a fence after prose"),
    pytest.param("Paris is in France.", "fail/not_json", id="free text"),
    pytest.param(f"{OBJECT} Hope this helps!", "fail/not_json", id="an object then prose"),
    pytest.param("{'city': 'Paris'}", "fail/not_json", id="Python dict syntax"),
    pytest.param('{"city": "Paris", "population": NaN}', "fail/not_json", id="NaN inside"),
    pytest.param('["Paris", "France"]', "fail/not_object", id="a JSON array"),
    pytest.param('"Paris"', "fail/not_object", id="a JSON string"),
    pytest.param("```json\n[1, 2]\n```", "fail/not_object", id="a fenced array"),
    pytest.param("", "fail/not_json", id="empty content"),
]


@pytest.mark.parametrize(("content", "expected"), JSON_OBJECT_CASES)
def test_structured_json_object(judge: Judge, content: str, expected: str) -> None:
    def chat(body: Any) -> Reply:
        assert body["response_format"] == {"type": "json_object"}
        return says(content)

    outcome = judge("structured.json_object", route(chat=chat)).outcome
    assert outcome.code == expected, outcome


PROFILE = {"city": "Paris", "country": "France", "population_millions": 2.1, "landmarks": ["Eiffel Tower", "Louvre"], "climate": "oceanic"}
VALID = json.dumps(PROFILE)


def profile(**changes: Any) -> str:
    document = {**PROFILE, **changes}
    return json.dumps({k: v for k, v in document.items() if v is not None})


JSON_SCHEMA_CASES: list[Any] = [
    # (plain content, streamed content, code, what the summary names)
    pytest.param(VALID, VALID, "pass/valid", "", id="valid both ways"),
    pytest.param(f"```json\n{VALID}\n```", VALID, "warn/fenced", "not streamed", id="plain fenced"),
    pytest.param(VALID, f"```json\n{VALID}\n```", "warn/fenced", "streamed", id="streamed fenced"),
    pytest.param("Paris is lovely.", VALID, "fail/not_json", "not streamed", id="plain free text"),
    pytest.param(VALID, "Paris is lovely.", "fail/not_json", "streamed", id="streamed free text"),
    pytest.param(profile(landmarks=[1, "Louvre"]), VALID, "fail/schema_violation", "$.landmarks[0]", id="a landmark that is a number"),
    pytest.param(profile(climate="rainy"), VALID, "fail/schema_violation", "$.climate", id="climate outside the enum"),
    pytest.param(profile(population_millions="2.1"), VALID, "fail/schema_violation", "$.population_millions", id="population a string"),
    pytest.param(profile(climate=None), VALID, "fail/schema_violation", "'climate' is a required property", id="climate missing"),
    pytest.param(profile(mayor="Anne"), VALID, "fail/schema_violation", "'mayor' was unexpected", id="an extra property"),
    pytest.param('["Paris"]', VALID, "fail/schema_violation", "is not of type 'object'", id="a JSON array"),
    pytest.param(VALID, profile(landmarks="Eiffel Tower"), "fail/schema_violation", "streamed", id="streamed half breaks the schema"),
    pytest.param(VALID, profile(landmarks=["Eiffel Tower", 2]), "fail/schema_violation", "$.landmarks[1]", id="streamed landmark a number"),
    pytest.param(f"```json\n{VALID}\n```", profile(climate="rainy"), "fail/schema_violation", "$.climate", id="plain fenced, stream breaks it"),
]


@pytest.mark.parametrize(("plain", "streamed", "expected", "said"), JSON_SCHEMA_CASES)
def test_structured_json_schema(judge: Judge, plain: str, streamed: str, expected: str, said: str) -> None:
    def chat(body: Any) -> Reply:
        assert body["response_format"]["type"] == "json_schema" and body["response_format"]["json_schema"]["strict"] is True
        if is_stream(body):
            # Deltas cut at arbitrary places, as a tokenizer does: they must be joined before parsing.
            pieces = [streamed[i : i + 7] for i in range(0, len(streamed), 7)]
            return sse(chunk([piece("", role="assistant")]), *(chunk([piece(p)]) for p in pieces), chunk([piece(finish="stop")]))
        return says(plain)

    outcome = judge("structured.json_schema", route(chat=chat)).outcome
    assert outcome.code == expected, outcome
    assert said in outcome.summary, outcome.summary


def test_structured_json_schema_leaves_a_broken_stream_to_the_streaming_checks(judge: Judge) -> None:
    judged = judge("structured.json_schema", route(chat=plain_or_stream(says(VALID), sse(ERROR_EVENT))))
    assert judged.code == "pass/valid" and "the streaming checks judge streams" in judged.notes, judged.outcome


# =================================================================================================
# 4. Tools, models.retrieve, streaming.errors
# =================================================================================================
TRIP = {"traveller": {"name": "Ada", "age": 36}, "cities": ["Paris", "Tokyo"], "travel_class": "economy"}
ADDITIONAL_PROPERTIES_400 = "Invalid schema for function 'book_trip': 'additionalProperties' is not supported in strict mode"


def trip(**changes: Any) -> dict[str, Any]:
    return {k: v for k, v in {**TRIP, **changes}.items() if v is not None}


STRICT_CASES: list[Any] = [
    # (reply, code, what the summary names)
    pytest.param(calls(tool_call("book_trip", TRIP)), "pass/valid_arguments", "", id="valid arguments"),
    pytest.param(calls(tool_call("book_trip", TRIP), finish="stop"), "pass/valid_arguments", "", id="finish_reason stop (named choice)"),
    pytest.param(calls(tool_call("book_trip", trip(traveller={"name": "Ada"}))), "fail/bad_arguments", "$.traveller: 'age' is a required",
                 id="nested required field missing"),
    pytest.param(calls(tool_call("book_trip", trip(traveller={"name": "Ada", "age": 36, "nick": "A"}))), "fail/bad_arguments",
                 "$.traveller: Additional properties", id="nested additional property"),
    pytest.param(calls(tool_call("book_trip", trip(travel_class="first"))), "fail/bad_arguments", "$.travel_class", id="enum broken"),
    pytest.param(calls(tool_call("book_trip", trip(cities=["Paris", 3]))), "fail/bad_arguments", "$.cities[1]", id="array item of the wrong type"),
    pytest.param(calls(tool_call("book_trip", trip(travel_class=None))), "fail/bad_arguments", "'travel_class' is a required",
                 id="top-level required field missing"),
    pytest.param(calls(tool_call("book_trip", '{"traveller": {"name": "Ada"')), "fail/bad_arguments", "not valid JSON", id="truncated JSON"),
    pytest.param(calls(tool_call("book_trip", TRIP), finish="length"), "fail/wrong_finish_reason", "'length'", id="finish_reason length"),
    pytest.param(says("Booked!"), "fail/not_called", "Booked!", id="text reply"),
    pytest.param(says("Booked!", "tool_calls"), "fail/finish_without_calls", "", id="finish tool_calls, no calls"),
    pytest.param(refuse(ADDITIONAL_PROPERTIES_400), "unsupported/clean_4xx", "'additionalProperties' is not supported", id="clean 400 naming the feature"),
    pytest.param(Reply({"detail": ADDITIONAL_PROPERTIES_400}, 400), "fail/refused_without_envelope", "additionalProperties",
                 id="400 without the envelope"),
    pytest.param(Reply(envelope("boom", "server_error"), 500), "fail/server_error", "HTTP 500", id="500"),
]


@pytest.mark.parametrize(("reply", "expected", "said"), STRICT_CASES)
def test_tools_strict(judge: Judge, reply: Reply, expected: str, said: str) -> None:
    def chat(body: Any) -> Reply:
        assert body["tools"][0]["function"]["strict"] is True and body["tool_choice"]["function"]["name"] == "book_trip"
        return reply

    outcome = judge("tools.strict", route(chat=chat)).outcome
    assert outcome.code == expected, outcome
    assert said in outcome.summary, outcome.summary


def legacy(call: dict[str, Any] | None, finish: str = "function_call", content: str | None = None) -> Reply:
    return Reply(completion({"content": content, "function_call": call}, finish))


LEGACY_CASES: list[Any] = [
    pytest.param(legacy({"name": "get_weather", "arguments": '{"city": "Paris"}'}), "pass/function_call", id="function_call"),
    pytest.param(calls(tool_call()), "warn/answered_as_tool_calls", id="tool_calls instead of function_call"),
    pytest.param(legacy({"name": "get_weather", "arguments": '{"city": "Paris"}'}, "stop"), "warn/wrong_finish_reason", id="finish_reason stop"),
    pytest.param(legacy({"name": "get_weather", "arguments": '{"town": "Paris"}'}), "warn/bad_arguments", id="arguments miss city"),
    pytest.param(legacy({"name": "get_weather", "arguments": "{city: Paris}"}), "warn/bad_arguments", id="arguments not JSON"),
    pytest.param(legacy(None, "stop", "It is sunny in Paris."), "warn/ignored", id="text reply"),
    pytest.param(Reply(envelope("boom", "server_error"), 500), "warn/refused_badly", id="500"),
    pytest.param(Reply({"detail": "functions is not supported"}, 422), "warn/refused_badly", id="422 without envelope"),
    pytest.param(Reply("<html>Bad Gateway</html>", content_type="text/html"), "warn/bad_completion", id="200 HTML"),
    pytest.param(refuse("functions is deprecated; use tools"), "unsupported/clean_4xx", id="clean 400"),
    # The compat schema types function_call.arguments as a string, so this never reaches bad_arguments.
    pytest.param(legacy({"name": "get_weather", "arguments": {"city": "Paris"}}), "warn/bad_completion", id="arguments an object"),
]


@pytest.mark.parametrize(("reply", "expected"), LEGACY_CASES)
def test_tools_legacy_functions_is_informational_never_a_failure(judge: Judge, reply: Reply, expected: str) -> None:
    def chat(body: Any) -> Reply:
        assert body["function_call"] == {"name": "get_weather"} and body["functions"][0]["name"] == "get_weather"
        return reply

    outcome = judge("tools.legacy_functions", route(chat=chat)).outcome
    assert outcome.code == expected, outcome


def foreign_id_of(body: Any) -> str:
    return str(body["messages"][1]["tool_calls"][0]["id"])


FOREIGN_CASES: list[Any] = [
    pytest.param(lambda body: says("It is 17°C with light rain in Paris."), "pass/accepted", id="accepted and answered"),
    pytest.param(lambda body: says("I do not know."), "pass/accepted", id="accepted, result not used (model, noted)"),
    pytest.param(lambda body: refuse(f"Invalid 'messages[2].tool_call_id': '{foreign_id_of(body)}' does not match ^[a-z0-9]{{9}}$"),
                 "unsupported/clean_4xx", id="clean 400 naming the id"),
    pytest.param(lambda body: Reply({"detail": "bad tool call id"}, 422), "fail/refused_without_envelope", id="422 without envelope"),
    pytest.param(lambda body: Reply(envelope("boom", "server_error"), 500), "fail/server_error", id="500"),
]


@pytest.mark.parametrize(("answer", "expected"), FOREIGN_CASES)
def test_tools_foreign_call_ids(judge: Judge, answer: ChatAnswer, expected: str) -> None:
    judged = judge("tools.foreign_call_ids", route(chat=answer))
    assert judged.code == expected, judged.outcome
    sent = foreign_id_of(judged.server.requests[0].body)
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", sent) and judged.server.requests[0].body["messages"][2]["tool_call_id"] == sent
    if expected != "fail/server_error":
        assert sent in judged.summary, judged.summary


TIME_CALL = tool_call("get_time", {"zone": "Asia/Tokyo"})
SELECTION_CASES: list[Any] = [
    pytest.param(calls(TIME_CALL), "pass/right_tool", id="get_time"),
    pytest.param(calls(tool_call()), "warn/wrong_tool", id="get_weather"),
    pytest.param(calls(tool_call("get_stock_price", {"ticker": "TYO"})), "warn/wrong_tool", id="get_stock_price"),
    pytest.param(calls(TIME_CALL, tool_call("get_weather", {"city": "Tokyo"}, "call_2")), "warn/wrong_tool", id="get_time and get_weather"),
    pytest.param(says("It is 9 pm in Tokyo."), "warn/answered_in_text", id="text reply"),
    pytest.param(calls(tool_call("get_time", {"zone": 9})), "fail/bad_arguments", id="get_time with a number zone"),
    pytest.param(calls(tool_call("get_date", {"zone": "Asia/Tokyo"})), "fail/bad_arguments", id="a function never offered"),
    pytest.param(calls(TIME_CALL, finish="stop"), "fail/wrong_finish_reason", id="finish_reason stop under auto"),
    pytest.param(says("Let me check.", "tool_calls"), "fail/finish_without_calls", id="finish tool_calls, no calls"),
]


@pytest.mark.parametrize(("reply", "expected"), SELECTION_CASES)
def test_tools_selection(judge: Judge, reply: Reply, expected: str) -> None:
    def chat(body: Any) -> Reply:
        assert [t["function"]["name"] for t in body["tools"]] == ["get_weather", "get_stock_price", "get_time"] and body["tool_choice"] == "auto"
        return reply

    outcome = judge("tools.selection", route(chat=chat)).outcome
    assert outcome.code == expected, outcome


AUTO_NO_CALL_CASES: list[Any] = [
    pytest.param(says("Hello there!"), "pass/text_reply", id="text reply"),
    pytest.param(calls(tool_call()), "warn/called_anyway", id="calls get_weather anyway"),
    pytest.param(calls(tool_call(arguments={"town": "Paris"})), "fail/bad_arguments", id="calls it with bad arguments"),
    pytest.param(says("Hello there!", "tool_calls"), "fail/finish_without_calls", id="finish tool_calls, no calls"),
    pytest.param(calls(tool_call(), finish="stop"), "fail/wrong_finish_reason", id="a call with finish_reason stop"),
]


@pytest.mark.parametrize(("reply", "expected"), AUTO_NO_CALL_CASES)
def test_tools_auto_no_call(judge: Judge, reply: Reply, expected: str) -> None:
    outcome = judge("tools.auto_no_call", route(chat=lambda body: reply)).outcome
    assert outcome.code == expected, outcome


# --- models.retrieve -------------------------------------------------------------------------------
MODEL_OBJECT = {"id": MODEL, "object": "model", "created": CREATED, "owned_by": "crafted"}
UNKNOWN_404 = Reply(envelope("The model does not exist", param="model"), 404)


def models_at(known: Reply, unknown: Reply = UNKNOWN_404) -> Handler:
    def get(path: str) -> Reply | None:
        if path == f"/v1/models/{MODEL}":
            return known
        if path.startswith("/v1/models/conformance-no-such-model-"):
            return unknown
        return None

    return route(get=get)


RETRIEVE_CASES: list[Any] = [
    pytest.param(models_at(Reply(MODEL_OBJECT)), "pass/retrieved", id="retrieved, unknown 404"),
    pytest.param(models_at(UNKNOWN_404), "fail/missing", id="404 for the configured id"),
    pytest.param(models_at(Reply(envelope("boom", "server_error"), 500)), "fail/server_error", id="500 for the configured id"),
    pytest.param(models_at(Reply(envelope("not allowed", "permission_error"), 403)), "unsupported/clean_4xx", id="403 for the configured id"),
    pytest.param(models_at(Reply(MODEL_OBJECT), Reply(MODEL_OBJECT)), "fail/unknown_served", id="200 for an unknown id"),
    pytest.param(models_at(Reply({**MODEL_OBJECT, "id": "crafted-chat-v2"})), "fail/not_model_object", id="id mismatch"),
    pytest.param(models_at(Reply({**MODEL_OBJECT, "object": "list"})), "fail/not_model_object", id="object list"),
    pytest.param(models_at(Reply({"object": "list", "data": [MODEL_OBJECT]})), "fail/not_model_object", id="the whole list"),
    pytest.param(models_at(Reply(MODEL_OBJECT, content_type="text/plain")), "fail/not_model_object", id="served as text/plain"),
    pytest.param(models_at(Reply(MODEL_OBJECT), Reply(envelope("no such model"), 400)), "warn/unknown_refused_oddly", id="400 for an unknown id"),
    pytest.param(models_at(Reply(MODEL_OBJECT), Reply({"detail": "Not Found"}, 404)), "warn/unknown_refused_oddly", id="404 without envelope"),
]


@pytest.mark.parametrize(("handler", "expected"), RETRIEVE_CASES)
def test_models_retrieve(judge: Judge, handler: Handler, expected: str) -> None:
    outcome = judge("models.retrieve", handler).outcome
    assert outcome.code == expected, outcome


# --- streaming.errors ------------------------------------------------------------------------------
MODEL_ERROR = "The model `conformance-no-such-model` does not exist"
STREAM_ERRORS_CASES: list[Any] = [
    # (reply to a streamed request for an unknown model, code, what the summary quotes)
    pytest.param(Reply(envelope(MODEL_ERROR, param="model"), 404), "pass/refused_before_stream", "HTTP 404", id="404 envelope before the stream"),
    pytest.param(Reply(envelope(MODEL_ERROR, param="model"), 400), "pass/refused_before_stream", "HTTP 400", id="400 envelope before the stream"),
    pytest.param(Reply({"detail": "Not Found"}, 404), "warn/no_envelope", "HTTP 404", id="404 without the envelope"),
    pytest.param(Reply("model not found", 404, "text/plain"), "warn/no_envelope", "text/plain", id="404 in plain text"),
    pytest.param(Reply(envelope("boom", "server_error"), 500), "fail/server_error", "HTTP 500", id="500"),
    pytest.param(sse(envelope(MODEL_ERROR)), "fail/error_in_stream", MODEL_ERROR, id="200 stream whose first event is an error"),
    pytest.param(sse(*text_chunks("Hello", None), envelope(MODEL_ERROR)), "fail/error_in_stream", MODEL_ERROR, id="200 stream ending in an error"),
    pytest.param(sse(chunk([piece("", finish="error")])), "fail/error_in_stream", 'finish_reason "error"', id="200 stream, finish_reason error"),
    pytest.param(Reply("", content_type="text/event-stream"), "fail/empty_stream", "empty stream", id="empty 200 stream"),
    pytest.param(sse(), "fail/empty_stream", "empty stream", id="200 stream of [DONE] only"),
    pytest.param(sse(*text_chunks("Hello")), "fail/served", "served as a stream", id="served"),
]


@pytest.mark.parametrize(("reply", "expected", "said"), STREAM_ERRORS_CASES)
def test_streaming_errors(judge: Judge, reply: Reply, expected: str, said: str) -> None:
    def chat(body: Any) -> Reply:
        assert body["stream"] is True and body["model"].startswith("conformance-no-such-model-")
        return reply

    outcome = judge("streaming.errors", route(chat=chat)).outcome
    assert outcome.code == expected, outcome
    assert said in outcome.summary, outcome.summary


# =================================================================================================
# 5. Timing checks (crafted pacing; margins far from every threshold, for a loaded 2-core machine)
# =================================================================================================
def counting(n: int, *, finish: str | None = "stop") -> list[dict[str, Any]]:
    """A stream that counts to ``n``: a role chunk, one chunk per number, a finish chunk."""
    return text_chunks(" ".join(str(i) for i in range(1, n + 1)), finish)


def in_one_write_after(pause_s: float, documents: list[Any]) -> Reply:
    """Headers at once, then nothing for ``pause_s``, then every event in one write (a buffering proxy)."""
    return Reply(chunks=["", sse_text(*documents)], chunk_pause_s=pause_s, content_type="text/event-stream")


INCREMENTAL_CASES: list[Any] = [
    # (reply, code) — streaming.incremental treats a reply whole within 500 ms of its headers as too fast to tell
    pytest.param(paced(counting(10), 0.12), "pass/incremental", id="10 chunks spread over 1.3 s"),
    # One write: first and last content arrive together, and any delay only pushes them further past 500 ms.
    pytest.param(in_one_write_after(0.8, counting(10)), "warn/one_burst", id="every chunk in one write after a 0.8 s pause"),
    pytest.param(Reply(chunks=[sse_text(*counting(10)[:3], done=False), "", sse_text(*counting(10)[3:])], chunk_pause_s=0.45,
                       content_type="text/event-stream"),
                 # A first piece let through, then the rest held back: the burst at the end is what a user waits for.
                 "warn/one_burst", id="two numbers at once, the other eight in one write 0.9 s later"),
    pytest.param(Reply(chunks=[sse_text(*counting(10)[:7], done=False), "", sse_text(*counting(10)[7:])], chunk_pause_s=0.45,
                       content_type="text/event-stream"),
                 "pass/incremental", id="seven numbers at once, the other three 0.9 s later"),
    pytest.param(sse(*counting(10)), "pass/too_fast_to_matter", id="the whole reply in one write at once"),
    pytest.param(paced(counting(10), 0.004), "pass/too_fast_to_matter", id="chunks 4 ms apart (within 50 ms)"),
    pytest.param(paced(counting(4), 0.05), "warn/too_short", id="4 content chunks"),
    pytest.param(paced(text_chunks("12345678910"), 0.05), "warn/too_short", id="one content chunk"),
    pytest.param(paced([*counting(10, finish=None), ERROR_EVENT], 0.01), "fail/stream_error", id="ends in an error event"),
]


@pytest.mark.parametrize(("reply", "expected"), INCREMENTAL_CASES)
def test_streaming_incremental(judge: Judge, reply: Reply, expected: str) -> None:
    outcome = judge("streaming.incremental", route(chat=lambda body: reply)).outcome
    assert outcome.code == expected, outcome


STREAM_S = 0.4
"""How long each concurrent stream lasts: far above limits.concurrency's 100 ms floor."""


def counting_paced(body: Any) -> list[str]:
    """Events of a stream that counts to what the prompt asks, in 6 pieces (so 5 pauses)."""
    n = counted_to(body)
    numbers = [str(i) for i in range(1, n + 1)]
    groups = [" ".join(numbers[i::6]) for i in range(6)]  # content differs from the count but keeps its numbers
    documents = [chunk([piece("", role="assistant")])] + [chunk([piece(g + " ")]) for g in groups] + [chunk([piece(finish="stop")])]
    return [sse_text(d, done=False) for d in documents] + ["data: [DONE]\n\n"]


def side_by_side() -> Handler:
    return route(chat=lambda body: Reply(chunks=counting_paced(body), chunk_pause_s=STREAM_S / 6, content_type="text/event-stream"))


def one_at_a_time(order: tuple[int, ...] = COUNTS) -> Handler:
    """Serves one stream at a time, in ``order`` of the counts they ask for (the check sends COUNTS
    in that order): the next stream's headers wait until the one before has ended, and 150 ms more,
    so the order is plain on the client's clock whichever socket it reads first. The order is fixed
    rather than by arrival: a lock would serve whichever request its threads happen to see first."""
    turn = threading.Condition()
    finished: list[int] = []

    def chat(body: Any) -> Reply:
        n = counted_to(body)
        with turn:
            assert turn.wait_for(lambda: order[len(finished)] == n, timeout=10)
        events = counting_paced(body)

        def held() -> Iterator[str]:
            try:
                yield from events
                time.sleep(0.15)
            finally:
                with turn:
                    finished.append(n)
                    turn.notify_all()

        return Reply(chunks=held(), chunk_pause_s=STREAM_S / 6, content_type="text/event-stream")

    return route(chat=chat)


def cut_by_newcomers(*, abrupt: bool) -> Handler:
    """llama.cpp's server: a running stream ends when a newer request arrives, cleanly (the body
    ends without a finish_reason or [DONE]) or abruptly (the connection drops mid-body)."""
    arrivals: list[int] = []
    lock = threading.Lock()

    def chat(body: Any) -> Reply:
        with lock:
            mine = len(arrivals)
            arrivals.append(mine)
        events = counting_paced(body)

        def cut() -> Iterator[str]:
            yield events[0]
            for event in events[1:]:
                if len(arrivals) > mine + 1:
                    if abrupt:
                        raise ConnectionResetError("cut by a newer request")
                    return
                yield event

        return Reply(chunks=cut(), chunk_pause_s=STREAM_S / 6, content_type="text/event-stream")

    return route(chat=chat)


def crossed() -> Handler:
    """Every stream counts past the highest count the check asks for: another request's content."""
    beyond = {"messages": [{"content": f"from 1 to {max(COUNTS) + 2}"}]}
    return route(chat=lambda body: Reply(chunks=counting_paced(beyond), chunk_pause_s=0.01,
                                         content_type="text/event-stream"))


EVERY = -1
"""In the table below: as many streams as the check sends (``limits.concurrency.COUNTS``, capped by max_concurrency)."""
CONCURRENCY_CASES: list[Any] = [
    # (handler, max_concurrency, code, streams the provider must have seen)
    pytest.param(side_by_side(), 4, "pass/side_by_side", EVERY, id="streams side by side"),
    pytest.param(side_by_side(), 2, "pass/side_by_side", EVERY, id="max_concurrency 2"),
    pytest.param(one_at_a_time(), 4, "warn/one_at_a_time", EVERY, id="one at a time in the order sent, holding the others' headers"),
    pytest.param(
        one_at_a_time(order=COUNTS[::-1]), 4, "warn/one_at_a_time", EVERY, id="one at a time, the last sent served first",
    ),
    pytest.param(cut_by_newcomers(abrupt=False), 4, "fail/stream_cut", EVERY, id="a newer request ends the running stream"),
    pytest.param(cut_by_newcomers(abrupt=True), 4, "fail/stream_cut", EVERY, id="a newer request drops the running connection"),
    pytest.param(crossed(), 4, "fail/crossed", EVERY, id="a stream carries another's numbers"),
    pytest.param(route(chat=lambda body: sse(*counting(counted_to(body)))), 4, "pass/too_fast_to_tell", EVERY, id="all over within milliseconds"),
    pytest.param(side_by_side(), 1, "skip/single_slot", 0, id="max_concurrency 1"),
    pytest.param(route(chat=lambda body: refuse("streaming is not enabled")), 4, "unsupported/clean_4xx", EVERY, id="streams refused cleanly"),
]


@pytest.mark.parametrize(("handler", "slots", "expected", "sent"), CONCURRENCY_CASES)
def test_limits_concurrency(judge: Judge, handler: Handler, slots: int, expected: str, sent: int) -> None:
    judged = judge("limits.concurrency", handler, settings=dataclasses.replace(FAST, max_concurrency=slots))
    assert judged.code == expected, judged.outcome
    assert len(judged.server.requests) == (min(len(COUNTS), slots) if sent == EVERY else sent)
    assert judged.server.max_in_flight <= max(slots, 1)


# =================================================================================================
# 6. The Responses API
# =================================================================================================
RESPONSE_TEXT = "1 2 3 4 5 6 7 8"


def response_document(text: str = RESPONSE_TEXT, *, status: str = "completed", reason: str | None = None, output_tokens: int = 8) -> dict[str, Any]:
    return {
        "id": "resp_crafted", "object": "response", "created_at": CREATED, "status": status, "background": False,
        "completed_at": CREATED if status == "completed" else None, "error": None,
        "incomplete_details": {"reason": reason} if reason else None, "instructions": None, "max_output_tokens": 64, "max_tool_calls": None,
        "model": MODEL, "parallel_tool_calls": True, "previous_response_id": None, "reasoning": {"effort": None, "summary": None},
        "service_tier": "default", "store": True, "temperature": 0.0, "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto", "tools": [], "top_logprobs": 0, "top_p": 1.0, "truncation": "disabled", "metadata": {},
        "output": [{"id": "msg_crafted", "type": "message", "status": "completed" if status == "completed" else "incomplete",
                    "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]}],
        "usage": {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0}, "output_tokens": output_tokens,
                  "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 12 + output_tokens},
    }


def response_events(text: str = RESPONSE_TEXT, *, final_text: str | None = None) -> list[dict[str, Any]]:
    """The event stream of a one-message response, in the documented order, numbered from 0."""
    final = response_document(text if final_text is None else final_text)
    opening = {**{k: v for k, v in final.items() if k != "usage"}, "status": "in_progress", "completed_at": None, "output": []}
    item = final["output"][0]
    where = {"item_id": item["id"], "output_index": 0, "content_index": 0}
    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": opening},
        {"type": "response.in_progress", "response": opening},
        {"type": "response.output_item.added", "output_index": 0, "item": {**item, "status": "in_progress", "content": []}},
        {"type": "response.content_part.added", **where, "part": part},
        *({"type": "response.output_text.delta", **where, "delta": word, "logprobs": []} for word in re.findall(r"\S+\s*", text)),
        {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": {**part, "text": text}},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": final},
    ]
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def named_events(events: list[dict[str, Any]], *, names: Callable[[dict[str, Any]], str | None] = lambda e: e.get("type"),
                 done: bool = False) -> Reply:
    frames = []
    for event in events:
        name = names(event)
        frames.append((f"event: {name}\n" if name is not None else "") + f"data: {json.dumps(event)}\n\n")
    return Reply("".join(frames) + ("data: [DONE]\n\n" if done else ""), content_type="text/event-stream")


def kinds_moved(kind: str, before: str) -> list[dict[str, Any]]:
    """The events with every ``kind`` event moved just before the first ``before`` event (numbers kept in order)."""
    events = [{k: v for k, v in e.items() if k != "sequence_number"} for e in response_events()]
    moved = [e for e in events if e["type"] == kind]
    rest = [e for e in events if e["type"] != kind]
    at = next(i for i, e in enumerate(rest) if e["type"] == before)
    return [{**e, "sequence_number": n} for n, e in enumerate(rest[:at] + moved + rest[at:])]


def numbered(numbers: list[int]) -> list[dict[str, Any]]:
    return [{**e, "sequence_number": n} for e, n in zip(response_events(), numbers, strict=True)]


def without(*kinds: str) -> list[dict[str, Any]]:
    return [e for e in response_events() if e["type"] not in kinds]


def ended_incomplete(reason: str) -> list[dict[str, Any]]:
    """The documented events, ending in response.incomplete (``reason``) instead of response.completed."""
    events = response_events()
    document = response_document(status="incomplete", reason=reason, output_tokens=64)
    return [*events[:-1], {**events[-1], "type": "response.incomplete", "response": document}]


EVENT_COUNT = len(response_events())
RESPONSES_STREAMING_CASES: list[Any] = [
    pytest.param(named_events(response_events()), "pass/ordered", id="documented order"),
    pytest.param(named_events(kinds_moved("response.output_text.delta", "response.output_item.added")), "fail/wrong_order",
                 id="text deltas before output_item.added"),
    pytest.param(named_events(kinds_moved("response.output_text.delta", "response.content_part.added")), "fail/wrong_order",
                 id="text deltas before content_part.added"),
    pytest.param(named_events(without("response.created")), "fail/wrong_order", id="no response.created first"),
    pytest.param(named_events(numbered([0, 1, 2, 3, 4, 5, 3, *range(7, EVENT_COUNT)])), "fail/sequence_not_increasing",
                 id="sequence_number goes down"),
    pytest.param(named_events(numbered([0, 1, 2, 2, *range(4, EVENT_COUNT)])), "fail/sequence_not_increasing", id="sequence_number repeats"),
    pytest.param(named_events(numbered([0, 1, 2, *range(10, EVENT_COUNT + 7)])), "pass/ordered", id="sequence_number skips ahead"),
    pytest.param(named_events(response_events(final_text="1 2 3 4 5 6 7 8 9")), "fail/deltas_mismatch", id="deltas do not join into the text"),
    pytest.param(named_events(response_events("1 2 3 4 5 6 7 8 ", final_text=RESPONSE_TEXT)), "fail/deltas_mismatch", id="a trailing space more"),
    pytest.param(named_events(response_events(), done=True), "warn/done_sentinel", id="data: [DONE] after response.completed"),
    pytest.param(named_events(response_events(), names=lambda e: "message" if e["type"].endswith("delta") else e["type"]),
                 "warn/event_name_mismatch", id="event name differs from type"),
    pytest.param(named_events(response_events(), names=lambda e: None), "warn/no_event_lines", id="no event: lines"),
    pytest.param(named_events(response_events()[:-1]), "fail/no_completed", id="ends before response.completed"),
    pytest.param(named_events(ended_incomplete("max_output_tokens")), "pass/ordered", id="response.incomplete at the request's max_output_tokens"),
    pytest.param(named_events(ended_incomplete("content_filter")), "fail/no_completed", id="response.incomplete, content_filter"),
    pytest.param(named_events([*response_events()[:-1], {**response_events()[-1], "type": "response.failed"}]), "fail/no_completed",
                 id="response.failed at the end"),
    pytest.param(named_events([*response_events(), {"type": "response.output_text.delta", "item_id": "msg_crafted", "output_index": 0,
                                                    "content_index": 0, "delta": "9", "sequence_number": EVENT_COUNT}]),
                 "fail/events_after_completed", id="a delta after response.completed"),
    pytest.param(named_events([*response_events()[:5], {"type": "error", "code": "server_error", "message": ERROR_TEXT, "sequence_number": 5}]),
                 "fail/error_event", id="an error event"),
    pytest.param(sse(*response_events()[:5], ERROR_EVENT, done=False), "fail/stream_error", id="a chat-style error event"),
    pytest.param(Reply("event: response.created\ndata: {not json}\n\n", content_type="text/event-stream"), "fail/bad_event", id="data not JSON"),
    pytest.param(named_events([{**e, "response": {"id": 1}} if e["type"] == "response.created" else e for e in response_events()]),
                 "fail/bad_event", id="response.created with a broken snapshot"),
]


@pytest.mark.parametrize(("reply", "expected"), RESPONSES_STREAMING_CASES)
def test_responses_streaming(judge: Judge, reply: Reply, expected: str) -> None:
    def responses(body: Any) -> Reply:
        assert body["stream"] is True and body["model"] == MODEL and isinstance(body["input"], str)
        return reply

    outcome = judge("responses.streaming", route(responses=responses)).outcome
    assert outcome.code == expected, outcome


RESPONSES_BASIC_CASES: list[Any] = [
    pytest.param(response_document(), "pass/completed", id="completed"),
    # Every request caps its reply: a model that talks past it is cut, and OpenAI says so this way.
    pytest.param(response_document(status="incomplete", reason="max_output_tokens", output_tokens=64), "pass/at_cap",
                 id="incomplete at the request's max_output_tokens"),
    pytest.param(response_document(status="incomplete", reason="content_filter", output_tokens=8), "fail/not_completed",
                 id="incomplete, content_filter"),
    pytest.param(response_document(status="incomplete", output_tokens=8), "fail/not_completed", id="incomplete without a reason"),
    pytest.param(response_document(status="failed"), "fail/not_completed", id="failed"),
]


@pytest.mark.parametrize(("document", "expected"), RESPONSES_BASIC_CASES)
def test_responses_basic(judge: Judge, document: dict[str, Any], expected: str) -> None:
    outcome = judge("responses.basic", route(responses=lambda body: Reply(document))).outcome
    assert outcome.code == expected, outcome
    if expected == "pass/at_cap":
        assert "max_output_tokens" in outcome.summary, outcome


MAX_OUTPUT_CASES: list[Any] = [
    # (response, code)
    pytest.param(response_document("1 2 3 4 5 6", status="incomplete", reason="max_output_tokens", output_tokens=16), "pass/enforced",
                 id="incomplete, max_output_tokens"),
    pytest.param(response_document("1 2 3 4 5 6", status="incomplete", reason="content_filter", output_tokens=16), "fail/wrong_reason",
                 id="incomplete, reason content_filter"),
    pytest.param(response_document("1 2 3 4 5 6", status="incomplete", output_tokens=16), "fail/wrong_reason", id="incomplete without details"),
    pytest.param(response_document("1 2 3 4 5 6", status="failed", output_tokens=16), "fail/wrong_reason", id="status failed"),
    pytest.param(response_document("1 2 3 4 5 6", output_tokens=6), "warn/stopped_by_itself", id="completed by itself"),
    pytest.param(response_document(" ".join(map(str, range(1, 61))), output_tokens=120), "fail/ignored", id="60 numbers"),
    pytest.param(response_document("1 2 3 4 5 6", status="incomplete", reason="max_output_tokens", output_tokens=40), "fail/not_enforced",
                 id="output_tokens above the limit"),
    pytest.param({**response_document(), "created_at": "now"}, "fail/schema", id="created_at a string"),
    pytest.param(envelope("max_output_tokens is not supported"), "fail/error_body", id="error body under 200"),
]


@pytest.mark.parametrize(("document", "expected"), MAX_OUTPUT_CASES)
def test_responses_max_output_tokens(judge: Judge, document: dict[str, Any], expected: str) -> None:
    def responses(body: Any) -> Reply:
        assert body["max_output_tokens"] == 16
        return Reply(document)

    outcome = judge("responses.max_output_tokens", route(responses=responses)).outcome
    assert outcome.code == expected, outcome


# =================================================================================================
# 7. The official SDK
# =================================================================================================
SDK_FRAME = re.compile(r"openai/\S+\.py:\d+ in \w+")


def tool_stream(*, with_index: bool = True) -> Reply:
    def call(**fields: Any) -> dict[str, Any]:
        return {**({"index": 0} if with_index else {}), **fields}

    return sse(
        chunk([piece(role="assistant", content=None, tool_calls=[call(id="call_1", type="function", function={"name": "get_weather", "arguments": ""})])]),
        chunk([piece(tool_calls=[call(function={"arguments": '{"city": '})])]),
        chunk([piece(tool_calls=[call(function={"arguments": '"Paris"}'})])]),
        chunk([piece(finish="tool_calls")]),
    )


def sdk_tools_provider(stream: Reply | ChatAnswer, answer: str = "It is 17°C with light rain in Paris.") -> Handler:
    """A named tool call, its round trip answered with ``answer``, and ``stream`` for the streamed call."""

    def plain(body: Any) -> Reply:
        return says(answer) if any(m.get("role") == "tool" for m in body["messages"]) else calls(tool_call())

    return route(chat=plain_or_stream(plain, stream))


SDK_SOUND = sdk_tools_provider(tool_stream())
SDK_TOOLS_CASES: list[Any] = [
    # (provider, code, the exception type the notes name)
    pytest.param(SDK_SOUND, "pass/round_trip", "", id="sound"),
    pytest.param(sdk_tools_provider(tool_stream(with_index=False)), "fail/sdk_raised", "TypeError", id="streamed tool-call delta without index"),
    pytest.param(sdk_tools_provider(sse(chunk([piece(role="assistant", content=None)]), ERROR_EVENT)), "fail/stream_error", "APIError",
                 id="stream carries an error event"),
    pytest.param(route(chat=lambda body: says("I will not call it.")), "fail/no_call", "", id="no tool call"),
    pytest.param(route(chat=lambda body: calls(tool_call(arguments={"town": "Paris"}))), "fail/bad_arguments", "", id="arguments miss city"),
    pytest.param(sdk_tools_provider(tool_stream(), "No idea, sorry."), "warn/result_not_used", "", id="round trip ignores the result"),
    pytest.param(route(chat=lambda body: refuse("tools are not supported")), "unsupported/refused", "BadRequestError", id="clean 400"),
    pytest.param(route(chat=lambda body: Reply(envelope("boom", "server_error"), 500)), "fail/server_error", "InternalServerError", id="500"),
]


@pytest.mark.parametrize(("handler", "expected", "raised"), SDK_TOOLS_CASES)
def test_sdk_tools(judge: Judge, handler: Handler, expected: str, raised: str) -> None:
    judged = judge("sdk.tools", handler)
    assert judged.code == expected, judged.outcome
    if expected == "fail/sdk_raised":
        assert f"the SDK raised {raised}" in judged.summary, judged.summary
        assert f"the SDK raised builtins.{raised}" in judged.notes or f"the SDK raised openai.{raised}" in judged.notes, judged.notes
        assert SDK_FRAME.search(judged.notes), judged.notes
        assert "Traceback" in judged.notes or "File \"openai/" in judged.notes, judged.notes
    elif raised:
        assert raised in judged.notes, judged.notes


def test_sdk_tools_names_the_line_of_the_sdk_that_raised(judge: Judge) -> None:
    """The frame is the SDK's stream accumulator indexing its tool calls by the delta's index."""
    judged = judge("sdk.tools", sdk_tools_provider(tool_stream(with_index=False)))
    frame = SDK_FRAME.search(judged.summary)
    assert frame and frame.group(0).startswith("openai/lib/streaming/chat/"), judged.summary
    assert frame.group(0) in judged.notes and "tool_call_delta.index" in judged.notes, judged.notes


def endless_stream() -> Iterator[str]:
    """A stream that never ends (the crafted server gives up after 30 s on its own)."""
    yield sse_text(chunk([piece("", role="assistant")]), done=False)
    for number in itertools.count(1):
        yield sse_text(chunk([piece(f"{number} ")]), done=False)


def endless_json() -> Iterator[str]:
    """A completion whose content never ends."""
    yield '{"id": "chatcmpl-crafted", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "'
    while True:
        yield "la " * 500


def endless(kind: str) -> Reply:
    if kind == "stream":
        return Reply(chunks=endless_stream(), content_type="text/event-stream")
    return Reply(chunks=endless_json())


ENDLESS_PROVIDERS: dict[str, Callable[[], Handler]] = {
    "sdk.streaming": lambda: route(chat=lambda body: endless("stream")),
    "sdk.tools": lambda: sdk_tools_provider(lambda body: endless("stream")),
    "sdk.chat": lambda: route(chat=lambda body: endless("json")),
}
CAPPED = dataclasses.replace(FAST, max_body_bytes=20_000)


@pytest.mark.parametrize("check_id", sorted(ENDLESS_PROVIDERS))
def test_an_endless_body_through_the_sdk_ends_in_bounded_time(judge: Judge, check_id: str) -> None:
    judged = judge(check_id, ENDLESS_PROVIDERS[check_id](), settings=CAPPED)
    assert judged.seconds < 8, judged.seconds  # the crafted server would go on for 30 s
    assert "20000 bytes" in judged.summary and "stopped reading" in judged.summary, judged.summary
    assert judged.outcome.status in ("fail", "error"), judged.outcome


@pytest.mark.parametrize("check_id", sorted(ENDLESS_PROVIDERS))
def test_an_endless_body_through_the_sdk_is_too_long(judge: Judge, check_id: str) -> None:
    judged = judge(check_id, ENDLESS_PROVIDERS[check_id](), settings=CAPPED)
    assert judged.code == "fail/too_long", judged.outcome


SDK_STREAMING_CASES: list[Any] = [
    pytest.param(sse(*text_chunks("1 2 3"), USAGE_CHUNK), "pass/assembled", id="sound, with usage"),
    pytest.param(sse(*text_chunks("1 2 3")), "warn/no_usage", id="include_usage ignored"),
    pytest.param(sse(*text_chunks("1 2 3", None), ERROR_EVENT), "fail/stream_error", id="ends in an error event"),
    pytest.param(sse(chunk([piece("", role="assistant")]), chunk([piece(finish="stop")])), "fail/missing_fields", id="no content"),
    # The SDK's helper raises LengthFinishReasonError on finish_reason length, whoever serves it: the
    # suite caps every reply, so a model that talks to the cap is judged on what the SDK assembled.
    pytest.param(sse(*text_chunks("1 2 3", "length"), USAGE_CHUNK), "pass/assembled", id="reply reached the token cap"),
    pytest.param(sse(*text_chunks("1 2 3", "length")), "warn/no_usage", id="reply reached the token cap, no usage"),
]


@pytest.mark.parametrize(("reply", "expected"), SDK_STREAMING_CASES)
def test_sdk_streaming(judge: Judge, reply: Reply, expected: str) -> None:
    def chat(body: Any) -> Reply:
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        return reply

    judged = judge("sdk.streaming", route(chat=chat))
    assert judged.code == expected, judged.outcome
    capped = isinstance(reply.body, str) and '"finish_reason": "length"' in reply.body
    assert ("LengthFinishReasonError" in judged.notes) == capped, judged.notes
    if expected in ("fail/sdk_raised", "fail/stream_error"):
        assert ERROR_TEXT in judged.summary and SDK_FRAME.search(judged.notes), judged


SDK_RESPONSES_CASES: list[Any] = [
    pytest.param(response_document(), response_events(), "pass/typed_reply", id="completed"),
    # responses.stream's helper raises RuntimeError when no response.completed came, whoever serves it:
    # a reply cut at the request's own max_output_tokens is judged on the incomplete response instead.
    pytest.param(response_document(status="incomplete", reason="max_output_tokens", output_tokens=64), ended_incomplete("max_output_tokens"),
                 "pass/typed_reply", id="incomplete at the request's max_output_tokens"),
    pytest.param(response_document(), ended_incomplete("content_filter"), "fail/sdk_raised", id="stream ends incomplete, content_filter"),
    pytest.param(response_document(), response_events()[:-1], "fail/sdk_raised", id="stream ends without a terminal event"),
]


@pytest.mark.parametrize(("document", "events", "expected"), SDK_RESPONSES_CASES)
def test_sdk_responses(judge: Judge, document: dict[str, Any], events: list[dict[str, Any]], expected: str) -> None:
    def responses(body: Any) -> Reply:
        return named_events(events) if body.get("stream") else Reply(document)

    judged = judge("sdk.responses", route(responses=responses))
    assert judged.code == expected, judged.outcome
    assert ("RuntimeError" in judged.notes) == (expected == "fail/sdk_raised" or events[-1]["type"] == "response.incomplete"), judged.notes


def counted_prompt(parts_tokens: int | None, string_tokens: int | None) -> ChatAnswer:
    """A model that never repeats the canary, reporting ``parts_tokens`` of prompt for content given as
    parts and ``string_tokens`` for a string (None: no usage reported)."""

    def chat(body: Any) -> Reply:
        content = body["messages"][0]["content"]
        tokens = parts_tokens if isinstance(content, list) else string_tokens
        usage = {"usage": None} if tokens is None else {"usage": {"prompt_tokens": tokens, "completion_tokens": 2, "total_tokens": tokens + 2}}
        return says("Understood.", **usage)

    return chat


CONTENT_PARTS_CASES: list[Any] = [
    # llama-cpp-python's gemma format keeps only string content: both parts gone, fewer tokens than the first alone.
    pytest.param(7, 24, "fail/parts_dropped", id="the array dropped whole"),
    pytest.param(24, 24, "fail/second_part_dropped", id="only the first part read"),
    pytest.param(32, 24, "warn/not_followed", id="both parts read, canary not repeated"),
    pytest.param(None, None, "warn/not_followed", id="no usage: cannot tell"),
]


@pytest.mark.parametrize(("parts_tokens", "string_tokens", "expected"), CONTENT_PARTS_CASES)
def test_chat_content_parts_tells_which_parts_were_dropped(judge: Judge, parts_tokens: int | None, string_tokens: int | None, expected: str) -> None:
    outcome = judge("chat.content_parts", route(chat=counted_prompt(parts_tokens, string_tokens))).outcome
    assert outcome.code == expected, outcome
    if parts_tokens is None:
        assert "cannot tell" in outcome.summary and "did reach" not in outcome.summary, outcome


def test_chat_content_parts_passes_when_the_canary_is_answered(judge: Judge) -> None:
    def chat(body: Any) -> Reply:
        word = re.search(r"The code word is (\S+)\.", body["messages"][0]["content"][1]["text"])
        assert word is not None
        return says(word.group(1))

    assert judge("chat.content_parts", route(chat=chat)).code == "pass/read_whole"


def never_follows(input_tokens: Callable[[Any], int | None]) -> ChatAnswer:
    """A Responses API whose model repeats no canary, reporting ``input_tokens(body)`` (None: no usage)."""

    def responses(body: Any) -> Reply:
        document = response_document("Hello there.")
        tokens = input_tokens(body)
        document["usage"] = None if tokens is None else {**document["usage"], "input_tokens": tokens, "total_tokens": tokens + 8}
        return Reply(document)

    return responses


def more_with(field: str) -> Callable[[Any], int]:
    return lambda body: 30 if body.get(field) else 12


@pytest.mark.parametrize(("check_id", "field"), [
    ("responses.instructions", "instructions"), ("responses.previous_response_id", "previous_response_id"),
])
@pytest.mark.parametrize(("counts", "said"), [
    (lambda field: more_with(field), "reached the model"),
    (lambda field: lambda body: None, "cannot tell"),
])
def test_a_model_that_ignores_what_reached_it_warns_and_says_whether_tokens_show_it(
    judge: Judge, check_id: str, field: str, counts: Callable[[str], Callable[[Any], int | None]], said: str,
) -> None:
    outcome = judge(check_id, route(responses=never_follows(counts(field)))).outcome
    assert outcome.status == "warn", outcome
    assert said in outcome.summary.replace("did reach it", "reached the model"), outcome
    if said == "cannot tell":
        assert "did reach" not in outcome.summary and "reached the model" not in outcome.summary, outcome

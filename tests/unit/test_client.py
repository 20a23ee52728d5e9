"""conformance.client.ProviderClient against real loopback HTTP servers (no mocks).

Two kinds of server, both on 127.0.0.1 and stopped after each test: the crafted provider
(tests/support/crafted.py: well-formed JSON, SSE and error responses that echo the key back)
and the raw-bytes server (tests/support/rawserver.py: CRLF framing split across TCP writes,
stalls, oversized and broken bodies, invalid UTF-8).

Covered: the request on the wire (Bearer key, extra headers, JSON body); evidence recorded
with the Authorization header and every echo of the key redacted, in every field of the
Exchange; body cap (truncated, not parsed, error says so) and evidence cap; non-JSON bodies;
stalls after headers and before headers ending within ~timeout_s; connection refused and
broken connections as errors, not exceptions; stream(): non-2xx gives error_body with parsed
JSON, CRLF framing split across writes, [DONE] detection and events after it, non-JSON
chunks, missing [DONE], unterminated last event fault, stop_when closing early, stream
size cap, invalid UTF-8, stalled stream keeping the events already read; token and request
counting from usage.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conformance.client import Auth, HTTPResult, ProviderClient, StreamResult, recording_transport
from conformance.redact import MASK, Redactor
from conformance.settings import Settings
from tests.support.crafted import CraftedProvider, Handler, Reply, Request
from tests.support.keys import assert_no_key_slice
from tests.support.rawserver import RawHandler, RawRequest, RawServer, head

KEY = "sk-test-9fQ2xL7mN4pR8sT1vW6yZ3bC5dE0gH"
# One request per call here: retries of 429/5xx have their own tests (tests/unit/test_retry.py).
SMALL = dataclasses.replace(Settings(), timeout_s=5.0, max_body_bytes=4096, evidence_body_chars=512, max_retries=0)
STALL_TIMEOUT_S = 0.5
"""timeout_s for the tests of a provider that stops answering: they last about this long."""
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}

RawServers = Callable[[RawHandler], RawServer]


def assert_no_key(value: Any) -> None:
    """Neither the key nor any 8-character slice of it appears anywhere in ``value``."""
    document = dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value
    assert_no_key_slice(json.dumps(document, default=str), KEY)


def run_client(
    base_url: str,
    action: Callable[[ProviderClient], Awaitable[Any]],
    *,
    settings: Settings = SMALL,
    api_key: str | None = KEY,
    headers: dict[str, str] | None = None,
) -> tuple[Any, ProviderClient]:
    """Build a client inside a fresh event loop, run ``action`` on it, close it."""

    async def main() -> tuple[Any, ProviderClient]:
        client = ProviderClient(
            base_url=base_url,
            api_key=api_key,
            headers=headers or {},
            settings=settings,
            redactor=Redactor([api_key] if api_key else []),
        )
        try:
            return await action(client), client
        finally:
            await client.aclose()

    return asyncio.run(main())


@contextmanager
def refused_url() -> Iterator[str]:
    """A /v1 URL on a port bound but not listening: connecting is refused."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{holder.getsockname()[1]}/v1"
    finally:
        holder.close()


def chat_completion(content: str = "hello", total_tokens: int = 7) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 2, "completion_tokens": total_tokens - 2, "total_tokens": total_tokens},
    }


def chunk(content: str = "", usage: dict[str, int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}] if usage is None else [],
    }
    if usage is not None:
        body["usage"] = usage
    return body


def sse(document: Any) -> bytes:
    return f"data: {json.dumps(document)}\n\n".encode()


# --- a well-formed provider that echoes the key --------------------------------------------------


def compact(document: Any) -> str:
    """JSON as web frameworks write it (no spaces), so the evidence shows ``"auth":"..."``."""
    return json.dumps(document, separators=(",", ":"))


def careless_provider(request: Request) -> Reply:
    """Chat completions (plain and streamed) that echo the credential back; an endless stream; a 502."""
    if request.path == "/v1/chat/completions" and request.method == "POST":
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {KEY}":
            presented = auth.removeprefix("Bearer ")
            error = {"error": {"message": f"Incorrect API key provided: {presented[:12]}***{presented[-4:]}",
                               "type": "invalid_request_error", "code": "invalid_api_key"}}
            return Reply(compact(error), 401)
        if not request.body.get("stream"):
            # A careless provider echoing the credential back in a header and the body.
            echoed = {**chat_completion(), "debug": {"auth": auth, "key_tail": KEY[-10:]}}
            return Reply(compact(echoed), headers={"x-echo-auth": auth, "set-cookie": f"session={KEY}"})
        events = [sse(chunk(f"echo {KEY}")), *(sse(chunk(word)) for word in ("a", "b", "c"))]
        events += [sse(chunk(usage={"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6})), b"data: [DONE]\n\n"]
        return Reply(chunks=events, content_type="text/event-stream")
    if request.path == "/v1/endless" and request.method == "POST":
        return Reply(chunks=(sse(chunk(str(n))) for n in itertools.count(1)), chunk_pause_s=0.01, content_type="text/event-stream")
    if request.path == "/v1/broken":
        return Reply("<html>Bad Gateway</html>", 502, "text/html")
    return Reply({"error": {"message": f"Invalid URL ({request.method} {request.path})"}}, 404)


@pytest.fixture
def app(crafted: Callable[[Handler], CraftedProvider]) -> CraftedProvider:
    return crafted(careless_provider)


async def write_chunked(writer: asyncio.StreamWriter, pieces: list[bytes], *, pause: float = 0.02,
                        finish: bool = True) -> None:
    """Send ``pieces`` as separate HTTP chunks (and separate TCP writes), then the last chunk."""
    for piece in pieces:
        writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        await writer.drain()
        await asyncio.sleep(pause)
    if finish:
        writer.write(b"0\r\n\r\n")
        await writer.drain()


# --- send(): JSON, evidence, redaction ---------------------------------------------------------------


def test_send_parses_json_and_counts_tokens(app: CraftedProvider) -> None:
    result, client = run_client(app.base_url, lambda c: c.send("chat", "POST", "/chat/completions", json_body=CHAT))
    assert result.error is None
    assert result.status == 200 and result.ok
    assert result.content_type == "application/json"
    assert result.json["choices"][0]["message"]["content"] == "hello"
    assert result.json_error is None and not result.truncated
    assert client.stats.requests == 1
    assert client.stats.tokens == 7


def test_send_puts_key_and_headers_on_the_wire(app: CraftedProvider) -> None:
    run_client(app.base_url, lambda c: c.send("chat", "POST", "/chat/completions", json_body=CHAT),
               headers={"X-Team": "platform"})
    assert len(app.requests) == 1
    sent = app.requests[0]
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.headers["x-team"] == "platform"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"].startswith("conformance/")
    assert sent.body == CHAT


def test_send_evidence_is_redacted_everywhere(app: CraftedProvider) -> None:
    body = {**CHAT, "messages": [{"role": "user", "content": f"my key is {KEY}"}]}
    result, _ = run_client(app.base_url, lambda c: c.send("chat", "POST", "/chat/completions", json_body=body))
    exchange = result.exchange
    assert exchange.label == "chat"
    assert exchange.request.method == "POST"
    assert exchange.request.url == f"{app.base_url}/chat/completions"
    assert exchange.request.headers["authorization"] == f"Bearer {MASK}"
    assert exchange.request.body["messages"][0]["content"] == f"my key is {MASK}"
    assert exchange.response is not None
    assert exchange.response.status == 200
    assert exchange.response.headers["x-echo-auth"] == f"Bearer {MASK}"
    assert exchange.response.headers["set-cookie"] == MASK
    assert '"auth":"Bearer [REDACTED]"' in exchange.response.body
    assert exchange.response.size_bytes == len(result.text.encode())
    assert exchange.elapsed_ms > 0
    assert_no_key(exchange)


def test_send_with_wrong_key_and_no_key(app: CraftedProvider) -> None:

    async def both(client: ProviderClient) -> tuple[HTTPResult, HTTPResult]:
        wrong = await client.send("wrong", "POST", "/chat/completions", json_body=CHAT, auth=Auth.WRONG)
        none = await client.send("none", "POST", "/chat/completions", json_body=CHAT, auth=Auth.NONE)
        return wrong, none

    (wrong, none), client = run_client(app.base_url, both)
    assert wrong.status == 401 and none.status == 401
    assert app.requests[0].headers["authorization"] == f"Bearer {client.wrong_key}"
    assert "authorization" not in app.requests[1].headers
    assert wrong.json["error"]["code"] == "invalid_api_key"
    assert wrong.exchange.request.headers["authorization"] == f"Bearer {MASK}"
    assert client.stats.requests == 2 and client.stats.tokens == 0


def test_send_non_json_body(app: CraftedProvider) -> None:
    result, _ = run_client(app.base_url, lambda c: c.send("bad", "GET", "/broken"))
    assert result.status == 502 and not result.ok
    assert result.json is None
    assert result.json_error is not None and result.json_error.startswith("body is not JSON")
    assert result.text == "<html>Bad Gateway</html>"
    # A 502 is no answer about the request: the status and body are kept, and the error says so.
    assert result.error == "provider unavailable: HTTP 502 after 1 attempt"


def test_send_raw_body_is_sent_verbatim_and_recorded(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head("400 Bad Request", "application/json", content_length="2") + b"{}")
        await writer.drain()

    server = raw_server(handler)
    raw = '{"model": "m", "messages": [}'
    result, _ = run_client(server.base_url, lambda c: c.send("raw", "POST", "/chat/completions", raw_body=raw))
    assert server.requests[0].body == raw.encode()
    assert result.exchange.request.body == raw
    assert result.status == 400 and result.json == {}


def test_body_over_the_cap_is_cut_and_not_parsed(raw_server: RawServers) -> None:
    payload = json.dumps({"pad": "x" * 10_000}).encode()

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="application/json", content_length=str(len(payload))) + payload)
        await writer.drain()

    server = raw_server(handler)
    settings = dataclasses.replace(SMALL, max_body_bytes=2048)
    result, _ = run_client(server.base_url, lambda c: c.send("big", "GET", "/models"), settings=settings)
    assert result.status == 200
    assert result.truncated is True
    assert result.json is None
    assert result.json_error == "body larger than 2048 bytes; not parsed"
    assert len(result.text.encode()) == 2048
    assert result.exchange.error == "body cut off at 2048 bytes"
    assert result.exchange.response is not None and result.exchange.response.truncated


def test_body_at_the_cap_is_not_truncated(raw_server: RawServers) -> None:
    payload = json.dumps({"pad": "x" * (2048 - 11)}).encode()
    assert len(payload) == 2048

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="application/json", content_length=str(len(payload))) + payload)
        await writer.drain()

    server = raw_server(handler)
    settings = dataclasses.replace(SMALL, max_body_bytes=2048, evidence_body_chars=4096)
    result, _ = run_client(server.base_url, lambda c: c.send("exact", "GET", "/models"), settings=settings)
    assert not result.truncated
    assert result.json == {"pad": "x" * 2037}
    assert result.exchange.response is not None and not result.exchange.response.truncated


def test_evidence_body_is_capped_separately(app: CraftedProvider) -> None:
    settings = dataclasses.replace(SMALL, evidence_body_chars=100)
    result, _ = run_client(app.base_url, lambda c: c.send("chat", "POST", "/chat/completions", json_body=CHAT),
                           settings=settings)
    assert result.json is not None and not result.truncated  # the result itself is whole
    response = result.exchange.response
    assert response is not None
    assert response.truncated is True
    assert len(response.body) <= 100 + len(MASK)


# --- send(): transport failures --------------------------------------------------------------------


def test_stall_after_headers_ends_within_the_timeout(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="application/json", content_length="100") + b'{"partial":')
        await writer.drain()
        await asyncio.sleep(30)

    server = raw_server(handler)
    settings = dataclasses.replace(SMALL, timeout_s=STALL_TIMEOUT_S)
    started = time.monotonic()
    result, _ = run_client(server.base_url, lambda c: c.send("stall", "GET", "/models"), settings=settings)
    elapsed = time.monotonic() - started
    assert 0.9 * STALL_TIMEOUT_S <= elapsed < STALL_TIMEOUT_S + 2.0
    assert result.status is None
    assert result.error is not None and (f"{STALL_TIMEOUT_S:g} s" in result.error or "timed out" in result.error)
    assert result.exchange.error == result.error
    assert result.exchange.response is None


def test_no_response_at_all_ends_within_the_timeout(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = raw_server(handler)
    settings = dataclasses.replace(SMALL, timeout_s=STALL_TIMEOUT_S)
    started = time.monotonic()
    result, _ = run_client(server.base_url, lambda c: c.send("silent", "GET", "/models"), settings=settings)
    assert time.monotonic() - started < STALL_TIMEOUT_S + 2.0
    assert result.status is None and result.error is not None


def test_connection_refused_is_an_error_not_an_exception() -> None:
    with refused_url() as url:
        result, client = run_client(url, lambda c: c.send("x", "GET", "/models"))
    assert result.status is None
    assert result.error is not None and result.error.startswith("cannot connect")
    assert result.exchange.error == result.error
    assert client.stats.requests == 1


def test_connection_closed_without_response(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        return  # close without a byte

    server = raw_server(handler)
    result, _ = run_client(server.base_url, lambda c: c.send("x", "GET", "/models"))
    assert result.status is None
    assert result.error is not None and "connection broken by the server" in result.error
    assert 1 <= len(server.requests) <= 2  # one retry of a dropped connection is allowed


def test_garbage_instead_of_http(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.0\r\n\r\n")
        await writer.drain()

    server = raw_server(handler)
    result, _ = run_client(server.base_url, lambda c: c.send("x", "GET", "/models"))
    assert result.status is None
    assert result.error is not None


def test_body_cut_short_by_the_server(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="application/json", content_length="500") + b'{"a": 1')
        await writer.drain()

    server = raw_server(handler)
    result, _ = run_client(server.base_url, lambda c: c.send("x", "GET", "/models"))
    assert result.status is None
    assert result.error is not None and "connection broken by the server" in result.error


# --- stream() ------------------------------------------------------------------------------------------


def test_stream_reads_chunks_done_and_usage(app: CraftedProvider) -> None:
    result, client = run_client(app.base_url, lambda c: c.stream("s", "/chat/completions", {**CHAT, "stream": True}))
    assert result.error is None
    assert result.status == 200 and result.content_type == "text/event-stream"
    assert result.done is True and result.events_after_done == 0
    assert [c.number for c in result.chunks] == [1, 2, 3, 4, 5]
    assert [c.json["choices"][0]["delta"]["content"] for c in result.chunks[1:4]] == ["a", "b", "c"]
    assert all(c.error is None for c in result.chunks)
    assert len(result.events) == 6 and result.events[-1].data == "[DONE]"
    assert result.faults == [] and not result.truncated and not result.stopped_early
    assert client.stats.tokens == 6 and client.stats.requests == 1


def test_stream_evidence_is_redacted(app: CraftedProvider) -> None:
    result, _ = run_client(app.base_url, lambda c: c.stream("s", "/chat/completions", {**CHAT, "stream": True}))
    response = result.exchange.response
    assert response is not None and response.sse_lines is not None
    assert response.sse_lines[-2:] == ["data: [DONE]", ""]
    assert any(MASK in line for line in response.sse_lines)  # the echoed key was there
    assert response.size_bytes > 0
    assert result.exchange.request.headers["authorization"] == f"Bearer {MASK}"
    assert result.exchange.request.headers["accept"] == "text/event-stream"
    assert_no_key(result.exchange)


def test_stream_non_2xx_gives_error_body(app: CraftedProvider) -> None:
    settings = dataclasses.replace(SMALL)
    result, _ = run_client(app.base_url, lambda c: c.stream("s", "/chat/completions", {**CHAT, "stream": True}),
                           api_key="sk-not-the-right-key-000000", settings=settings)
    assert result.status == 401
    assert result.error is None
    assert result.chunks == [] and not result.done
    assert result.error_body is not None
    assert result.error_body.status == 401
    assert result.error_body.json["error"]["code"] == "invalid_api_key"
    assert result.error_body.json_error is None
    assert result.exchange.response is not None and result.exchange.response.status == 401
    # The provider echoed part of the (wrong) key; the evidence must not keep it.
    assert "sk-not-the-r" not in result.exchange.response.body


def test_stream_non_2xx_non_json(app: CraftedProvider) -> None:
    result, _ = run_client(app.base_url, lambda c: c.stream("s", "/broken", CHAT))
    assert result.status == 502
    assert result.error_body is not None and result.error_body.json is None
    assert result.error_body.json_error is not None and result.error_body.json_error.startswith("body is not JSON")


def test_stream_non_2xx_oversized_body_is_marked_truncated(raw_server: RawServers) -> None:
    payload = json.dumps({"error": {"message": "x" * 5000}}).encode()

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head("500 Internal Server Error", "application/json", content_length=str(len(payload))) + payload)
        await writer.drain()

    server = raw_server(handler)
    settings = dataclasses.replace(SMALL, max_body_bytes=1024)
    result, _ = run_client(server.base_url, lambda c: c.stream("s", "/chat/completions", CHAT), settings=settings)
    assert result.status == 500
    assert result.error_body is not None
    assert result.error_body.truncated is True
    assert result.error_body.json is None
    assert result.error_body.json_error == "body larger than 1024 bytes; not parsed"


def test_stream_crlf_framing_split_across_writes(raw_server: RawServers) -> None:
    one, two = json.dumps(chunk("one")).encode(), json.dumps(chunk("two")).encode()

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(transfer_encoding="chunked"))
        pieces = [b"data: " + one + b"\r", b"\n\r", b"\ndata:" + two[:10], two[10:] + b"\r\n", b"\r\n",
                  b"data: [DONE]\r\n\r\n"]
        await write_chunked(writer, pieces)

    server = raw_server(handler)
    result, _ = run_client(server.base_url, lambda c: c.stream("s", "/chat/completions", CHAT))
    assert result.error is None
    assert [c.json["choices"][0]["delta"]["content"] for c in result.chunks] == ["one", "two"]
    assert result.done and result.faults == []
    assert result.exchange.response is not None
    assert result.exchange.response.sse_lines == [f"data: {one.decode()}", "", f"data:{two.decode()}", "",
                                                  "data: [DONE]", ""]


def test_stream_events_after_done_and_bad_chunks(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(transfer_encoding="chunked"))
        await write_chunked(writer, [sse(chunk("a")), b"data: not json\n\n", b"data: [DONE]\n\n", sse(chunk("late")),
                                     b"data: [DONE]\n\n"])

    server = raw_server(handler)
    result, _ = run_client(server.base_url, lambda c: c.stream("s", "/chat/completions", CHAT))
    assert result.done is True
    assert result.events_after_done == 2
    assert len(result.chunks) == 2
    assert result.chunks[1].json is None
    assert result.chunks[1].error is not None and result.chunks[1].error.startswith("data is not JSON")
    assert result.chunks[1].raw == "not json"
    assert len(result.events) == 5


def test_stream_without_done_and_unterminated_last_event(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(transfer_encoding="chunked"))
        await write_chunked(writer, [sse(chunk("a")), b"data: [DONE]\n"])

    server = raw_server(handler)
    result, _ = run_client(server.base_url, lambda c: c.stream("s", "/chat/completions", CHAT))
    assert result.error is None
    assert result.done is False
    assert len(result.chunks) == 1
    assert len(result.faults) == 1 and "blank line" in result.faults[0].message


def test_stream_stop_when_closes_early(app: CraftedProvider) -> None:
    settings = dataclasses.replace(SMALL, timeout_s=5.0)
    started = time.monotonic()
    result, _ = run_client(
        app.base_url,
        lambda c: c.stream("s", "/endless", CHAT, stop_when=lambda r: len(r.chunks) >= 3),
        settings=settings,
    )
    assert time.monotonic() - started < 3.0
    assert result.stopped_early is True
    assert result.error is None
    assert 3 <= len(result.chunks) < 10
    assert result.exchange.error == "client closed the stream early (enough evidence)"


def test_stream_over_the_cap_stops_reading(app: CraftedProvider) -> None:
    settings = dataclasses.replace(SMALL, max_body_bytes=1024, timeout_s=5.0)
    result, _ = run_client(app.base_url, lambda c: c.stream("s", "/endless", CHAT), settings=settings)
    assert result.truncated is True
    assert result.error == "stream exceeded 1024 bytes; stopped reading"
    assert 0 < len(result.chunks) < 20
    assert result.exchange.response is not None and result.exchange.response.truncated


def test_stream_invalid_utf8_is_an_error(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(transfer_encoding="chunked"))
        await write_chunked(writer, [sse(chunk("ok")), b"data: \xff\xfe\n\n"])

    server = raw_server(handler)
    result, _ = run_client(server.base_url, lambda c: c.stream("s", "/chat/completions", CHAT))
    assert result.error is not None and "UTF-8" in result.error
    assert len(result.chunks) == 1  # what arrived before is kept
    assert result.exchange.error == result.error


def test_stream_stall_keeps_events_and_ends_within_timeout(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(transfer_encoding="chunked"))
        await write_chunked(writer, [sse(chunk("first"))], finish=False)
        await asyncio.sleep(30)

    server = raw_server(handler)
    settings = dataclasses.replace(SMALL, timeout_s=STALL_TIMEOUT_S)
    started = time.monotonic()
    result, _ = run_client(server.base_url, lambda c: c.stream("s", "/chat/completions", CHAT), settings=settings)
    elapsed = time.monotonic() - started
    assert 0.9 * STALL_TIMEOUT_S <= elapsed < STALL_TIMEOUT_S + 2.0
    assert result.status == 200
    assert result.error is not None and (f"{STALL_TIMEOUT_S:g} s" in result.error or "timed out" in result.error)
    assert [c.json["choices"][0]["delta"]["content"] for c in result.chunks] == ["first"]
    assert result.exchange.response is not None  # the status and lines so far are evidence


def test_stream_broken_mid_way(raw_server: RawServers) -> None:
    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(transfer_encoding="chunked"))
        await write_chunked(writer, [sse(chunk("first"))], finish=False)
        writer.write(b"ff\r\ndata: trunc")  # a chunk cut short, then the connection closes
        await writer.drain()

    server = raw_server(handler)
    result, _ = run_client(server.base_url, lambda c: c.stream("s", "/chat/completions", CHAT))
    assert result.error is not None and "connection broken by the server" in result.error
    assert len(result.chunks) == 1
    assert len(server.requests) == 1  # a drop after the response began is not retried


def test_stream_connection_refused() -> None:
    with refused_url() as url:
        result, _ = run_client(url, lambda c: c.stream("s", "/chat/completions", CHAT))
    assert isinstance(result, StreamResult)
    assert result.status is None and result.exchange.response is None
    assert result.error is not None and result.error.startswith("cannot connect")


def test_tokens_accumulate_across_requests(app: CraftedProvider) -> None:
    async def three(client: ProviderClient) -> None:
        await client.send("a", "POST", "/chat/completions", json_body=CHAT)
        await client.stream("b", "/chat/completions", {**CHAT, "stream": True})
        await client.send("c", "POST", "/chat/completions", json_body=CHAT, auth=Auth.NONE)  # 401: no usage

    _, client = run_client(app.base_url, three)
    assert client.stats.requests == 3
    assert client.stats.tokens == 7 + 6


def test_usage_without_integer_total_is_not_counted(raw_server: RawServers) -> None:
    payload = json.dumps({"usage": {"total_tokens": "12"}, "choices": []}).encode()

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(content_type="application/json", content_length=str(len(payload))) + payload)
        await writer.drain()

    server = raw_server(handler)
    result, client = run_client(server.base_url, lambda c: c.send("x", "GET", "/models"))
    assert result.json == {"usage": {"total_tokens": "12"}, "choices": []}
    assert client.stats.tokens == 0


def test_concurrency_is_bounded(raw_server: RawServers) -> None:
    active = 0
    peak = 0

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.1)
        active -= 1
        writer.write(head(content_type="application/json", content_length="2") + b"{}")
        await writer.drain()

    server = raw_server(handler)
    settings = dataclasses.replace(SMALL, max_concurrency=2)

    async def many(client: ProviderClient) -> list[HTTPResult]:
        return await asyncio.gather(*(client.send(str(i), "GET", "/models") for i in range(6)))

    results, client = run_client(server.base_url, many, settings=settings)
    assert [r.status for r in results] == [200] * 6
    assert peak == 2
    assert client.stats.requests == 6


def test_a_running_usage_total_in_every_chunk_is_counted_once(raw_server: RawServers) -> None:
    """vLLM's continuous usage stats repeat the running total in every chunk; a negative total is no count."""
    totals = [3, 5, 7]

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(head(transfer_encoding="chunked"))
        pieces = [sse(chunk("x", usage={"prompt_tokens": 2, "completion_tokens": t - 2, "total_tokens": t})) for t in totals]
        pieces.append(sse(chunk("", usage={"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": -100})))
        await write_chunked(writer, [*pieces, b"data: [DONE]\n\n"])

    server = raw_server(handler)
    result, client = run_client(server.base_url, lambda c: c.stream("s", "/chat/completions", CHAT))
    assert result.done and len(result.chunks) == 4
    assert client.stats.tokens == 7 and result.tokens_counted == 7


# --- the recording transport (the SDK's requests) -------------------------------------------------


def test_recording_transport_holds_the_slot_until_the_body_is_closed(raw_server: RawServers) -> None:
    """With max_concurrency 1, a request sent while a stream read through the SDK's transport is still
    open waits for it to close: that stream is a request in flight (llama.cpp cuts one when another arrives)."""
    import httpx

    arrived: list[float] = []

    async def handler(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        arrived.append(time.monotonic())
        if request.wants_stream:
            writer.write(head("200 OK", "text/event-stream", transfer_encoding="chunked"))
            await write_chunked(writer, [sse(chunk("a")), sse(chunk("b")), b"data: [DONE]\n\n"], pause=0.3)
        else:
            body = json.dumps(chat_completion()).encode()
            writer.write(head("200 OK", "application/json", content_length=str(len(body))) + body)
            await writer.drain()

    server = raw_server(handler)
    one = dataclasses.replace(SMALL, max_concurrency=1)

    async def action(client: ProviderClient) -> float:
        http = httpx.AsyncClient(transport=recording_transport(httpx, client, "sdk", []))
        try:
            async with http.stream("POST", f"{server.base_url}/chat/completions", json={**CHAT, "stream": True}) as response:
                second = asyncio.create_task(client.send("second", "POST", "/chat/completions", json_body=CHAT))
                async for _ in response.aiter_bytes():
                    pass
                closed = time.monotonic()
            await second
            return closed
        finally:
            await http.aclose()

    closed, client = run_client(server.base_url, action, settings=one)
    assert len(arrived) == 2 and client.stats.requests == 2
    # The stream takes ~0.9 s (three 0.3 s pauses); the second request reached the server only after it.
    assert arrived[1] >= closed - 0.05, (arrived, closed)
    assert arrived[1] - arrived[0] >= 0.8, arrived


def test_recording_transport_gives_the_slot_back_when_the_request_fails() -> None:
    """A refused connection through the SDK's transport leaves the provider's slot free for the next request."""
    import httpx

    one = dataclasses.replace(SMALL, max_concurrency=1)
    with refused_url() as url:

        async def action(client: ProviderClient) -> HTTPResult:
            http = httpx.AsyncClient(transport=recording_transport(httpx, client, "sdk", []))
            try:
                with pytest.raises(httpx.ConnectError):
                    await http.post(f"{url}/chat/completions", json=CHAT)
            finally:
                await http.aclose()
            return await asyncio.wait_for(client.send("after", "POST", "/chat/completions", json_body=CHAT), 5)

        result, _ = run_client(url, action, settings=one)
    assert result.status is None

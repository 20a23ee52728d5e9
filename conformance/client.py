"""The only place that talks HTTP: sends requests to one provider, bounds them (time, bytes,
concurrency), parses JSON and SSE, counts requests and tokens, and records redacted evidence.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from . import __version__
from .budget import TokenBudget
from .errors import SSEError
from .redact import Redactor
from .retry import UNAVAILABLE_STATUSES, gave_up, should_retry, wait_before_retry
from .settings import Settings
from .slots import Slots
from .sse import SSEEvent, SSEFault, SSEReader
from .verdict import Exchange, RequestRecord, ResponseRecord

_NOT_JSON = object()
STOPPED_READING = "the suite stopped reading"
"""Ends the message of the error that stops a third-party client's endless read (see recording_transport)."""
_R = TypeVar("_R", "HTTPResult", "StreamResult")


class Auth:
    """How a request authenticates. Any other value names the header that carries the key as it is."""

    CONFIGURED = "configured"
    """The key as providers.yaml says (``auth:``), or as auth.bearer found that it works."""
    BEARER = "bearer"
    """The key as ``Authorization: Bearer``, whatever is configured: what OpenAI clients send."""
    NONE = "none"
    WRONG = "wrong"
    """A deliberately wrong key, sent the configured way."""
    API_KEY_HEADER = "api-key"
    """The key in an ``api-key:`` header (Azure style), to diagnose a Bearer refusal."""
    X_API_KEY_HEADER = "x-api-key"


@dataclass
class HTTPResult:
    """A plain (non-streamed) response, or the failure to get one."""

    exchange: Exchange
    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    text: str = ""
    json: Any = None
    """Parsed body; None when the body is not JSON (see ``json_error``)."""
    json_error: str | None = None
    truncated: bool = False
    error: str | None = None
    """Transport failure (timeout, connection refused/closed); no status then. Also set, with the
    status and body kept, when a 429/502/503/504 persisted after the retries: no real answer came."""
    retried: list[Exchange] = field(default_factory=list)
    """Earlier attempts that were answered 429/5xx and sent again; ``exchange`` is the last one."""
    retry_note: str | None = None
    """One line saying what was retried and why, for the verdict's notes."""

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", "")).split(";")[0].strip().lower()

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class StreamChunk:
    """One ``data:`` event of a chat stream."""

    number: int
    raw: str
    json: Any = None
    error: str | None = None
    at_s: float = 0.0
    """When it arrived, in seconds after the request was sent (events of one network read share it)."""
    event: str | None = None
    """The SSE ``event:`` field, when the server named the event (the Responses API does)."""


@dataclass
class StreamResult:
    exchange: Exchange
    status: int | None = None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    events: list[SSEEvent] = field(default_factory=list)
    chunks: list[StreamChunk] = field(default_factory=list)
    """Every event except the ``[DONE]`` sentinel, in order."""
    done: bool = False
    """``data: [DONE]`` was received."""
    events_after_done: int = 0
    faults: list[SSEFault] = field(default_factory=list)
    stopped_early: bool = False
    """The caller's ``stop_when`` ended the read before the stream did."""
    truncated: bool = False
    timed_out: bool = False
    """``timeout_s`` ran out while the stream was still open: our limit ended it, not the provider."""
    error: str | None = None
    """Transport or decoding failure; events before it are kept. Also set when a 429/502/503/504
    persisted after the retries (see ``HTTPResult.error``)."""
    error_body: HTTPResult | None = None
    """When the server answered with a non-2xx status instead of a stream."""
    tokens_counted: int = 0
    """The highest ``usage.total_tokens`` seen in this stream, already added to the provider's count."""
    retried: list[Exchange] = field(default_factory=list)
    retry_note: str | None = None
    sent_at: float = 0.0
    """``time.perf_counter()`` when the request was sent: lines several streams up on one clock."""
    first_byte_s: float | None = None
    """Seconds from sending to the response headers."""
    ended_s: float | None = None
    """Seconds from sending to the end of the read (the stream's end, a break, or our stop)."""

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", "")).split(";")[0].strip().lower()


@dataclass(frozen=True)
class RateLimitAnswer:
    """A 429 the provider sent, with the headers that tell a client when to come back."""

    label: str
    headers: dict[str, str]
    """Only ``retry-after``, ``retry-after-ms`` and ``x-ratelimit-reset-*``, as sent."""
    exchange: Exchange
    """The 429 itself, as evidence."""


@dataclass(frozen=True)
class StreamTiming:
    """When a streamed answer's parts arrived, in seconds after its request was sent."""

    first_byte_s: float
    first_token_s: float
    total_s: float
    output_tokens: int | None
    """As the stream's usage reported them, if it did."""


@dataclass
class ProviderStats:
    requests: int = 0
    tokens: int = 0
    rate_limited: list[RateLimitAnswer] = field(default_factory=list)
    """Every 429 met in the run, so limits.retry_after judges them without sending anything."""
    timings: list[StreamTiming] = field(default_factory=list)
    """Every stream that ran its course with content: the run's latency figures come from them."""


class ProviderClient:
    """Talks to one provider. ``base_url`` may be corrected by the base_url check."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        headers: dict[str, str],
        settings: Settings,
        redactor: Redactor,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: TokenBudget | None = None,
        auth: str = Auth.BEARER,
        query: dict[str, str] | None = None,
        request_defaults: dict[str, Any] | None = None,
        slots: Slots | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.settings = settings
        self.redactor = redactor
        self.stats = ProviderStats()
        self.budget = budget if budget is not None else TokenBudget()
        """Shared by every provider of a run; checked before each request is sent."""
        self.wrong_key = "sk-conformance-wrong-" + secrets.token_hex(12)
        self.key_scheme = auth
        """How requests made "with the key" send it (providers.yaml's ``auth:``: bearer, none or a header
        name); the auth check may switch it to a header that works when Bearer is refused."""
        self.query = dict(query or {})
        """Added to every URL (Azure's api-version)."""
        self.request_defaults = dict(request_defaults or {})
        """Merged under every JSON body the suite sends."""
        self._extra_headers = headers
        self.slots = slots or Slots(settings.max_concurrency)
        """Requests in flight; shared by the columns of a model sweep, and bounded across the run."""
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_s),
            follow_redirects=False,
            # Shorter than common server keep-alive timeouts (uvicorn and Node.js: 5 s), so an idle
            # connection is dropped by us before the server closes it under a new request.
            limits=httpx.Limits(keepalive_expiry=2.0),
            transport=transport,
            trust_env=False,
            verify=tls_context(),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def url(self, path: str, base_url: str | None = None) -> str:
        url = (base_url or self.base_url).rstrip("/") + path
        return f"{url}?{urlencode(self.query)}" if self.query else url

    def with_defaults(self, body: Any) -> Any:
        """A JSON object body with the configured request_defaults under it (the body's own fields win)."""
        return {**self.request_defaults, **body} if self.request_defaults and isinstance(body, dict) else body

    def _headers(self, auth: str, has_body: bool, accept: str) -> dict[str, str]:
        headers = {"accept": accept, "user-agent": f"conformance/{__version__}"}
        if has_body:
            headers["content-type"] = "application/json"
        headers.update(self._extra_headers)
        if auth == Auth.CONFIGURED:
            auth = self.key_scheme
        key = self.api_key
        if auth == Auth.WRONG:
            auth, key = (self.key_scheme if self.key_scheme not in (Auth.NONE, Auth.BEARER) else Auth.BEARER), self.wrong_key
        if auth == Auth.NONE or not key:
            return headers
        if auth == Auth.BEARER:
            headers["authorization"] = f"Bearer {key}"
        else:
            headers[auth] = key
        return headers

    def _record_request(self, label: str, method: str, url: str, headers: dict[str, str], body: Any) -> Exchange:
        return Exchange(
            label=label,
            request=RequestRecord(
                method=method,
                url=self.redactor.text(url),
                headers=self.redactor.headers(headers.items()),
                body=self.redactor.data(body),
            ),
        )

    def _record_response(self, exchange: Exchange, response: httpx.Response, body: bytes, truncated: bool, size: int) -> str:
        text = body.decode("utf-8", errors="replace")
        cap = self.settings.evidence_body_chars
        exchange.response = ResponseRecord(
            status=response.status_code,
            headers=self.redactor.headers(response.headers.multi_items()),
            body=self.redactor.text(text[:cap]),
            truncated=truncated or len(text) > cap,
            size_bytes=size,
        )
        return text

    async def send(
        self,
        label: str,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw_body: str | None = None,
        auth: str = Auth.CONFIGURED,
        base_url: str | None = None,
    ) -> HTTPResult:
        """One request, sent again on 429/5xx; the body is read up to ``max_body_bytes``."""
        return await self._with_retries(
            label,
            lambda attempt_label: self._send_once(
                attempt_label, method, path, json_body=json_body, raw_body=raw_body, auth=auth, base_url=base_url
            ),
        )

    async def stream(
        self, label: str, path: str, json_body: dict[str, Any], *, stop_when: Callable[[StreamResult], bool] | None = None
    ) -> StreamResult:
        """A streamed request (see :meth:`_stream_once`), sent again when the provider answers
        429/5xx instead of a stream. A stream that breaks after it began is not retried."""
        return await self._with_retries(label, lambda attempt_label: self._stream_once(attempt_label, path, json_body, stop_when=stop_when))

    async def _with_retries(self, label: str, attempt: Callable[[str], Awaitable[_R]]) -> _R:
        """Send, and send again while the answer is 429/5xx, up to ``max_retries`` times.

        The verdict is judged on the last answer; every attempt stays in the evidence. The pause
        is taken outside the concurrency semaphore, so a waiting retry holds no slot, and each
        attempt takes a slot like any request: never more than ``max_concurrency`` in flight."""
        earlier: list[Exchange] = []
        attempts = 1 + max(0, self.settings.max_retries)
        waits: list[str] = []
        for number in range(1, attempts + 1):
            result = await attempt(label)
            answer = result.error_body if isinstance(result, StreamResult) else result
            status = answer.status if answer is not None else None
            if status == 429 and answer is not None:
                self._note_rate_limit(label, answer.headers, result.exchange)
            if not should_retry(status):
                break
            assert answer is not None and status is not None
            if number == attempts:
                if status in UNAVAILABLE_STATUSES:
                    answer.error = result.error = result.exchange.error = gave_up(status, number)
                break
            wait = wait_before_retry(number, answer.headers, self.settings)
            if status == 429:
                self.slots.pause(wait.seconds)
            result.exchange.error = f"HTTP {status}: sent again after {wait.seconds:g} s ({wait.reason})"
            waits.append(f"HTTP {status} (waited {wait.seconds:g} s, {wait.reason})")
            earlier.append(result.exchange)
            await asyncio.sleep(wait.seconds)
        if earlier:
            total = len(earlier) + 1
            for index, exchange in enumerate([*earlier, result.exchange], start=1):
                exchange.label = f"{label} (attempt {index} of {total})"
            result.retried = earlier
            ending = result.error if result.error and status in UNAVAILABLE_STATUSES else f"judged on attempt {total}"
            result.retry_note = f"{label}: retried after " + "; ".join(waits) + f"; {ending}"
        return result

    async def _send_once(
        self,
        label: str,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        raw_body: str | None = None,
        auth: str = Auth.CONFIGURED,
        base_url: str | None = None,
    ) -> HTTPResult:
        """One request; the body is read up to ``max_body_bytes``."""
        url = self.url(path, base_url)
        json_body = self.with_defaults(json_body)
        has_body = json_body is not None or raw_body is not None
        headers = self._headers(auth, has_body, "application/json")
        content = raw_body.encode() if raw_body is not None else (json.dumps(json_body).encode() if json_body is not None else None)
        exchange = self._record_request(label, method, url, headers, raw_body if raw_body is not None else json_body)
        result = HTTPResult(exchange=exchange)
        async with self.slots:
            started = time.perf_counter()  # after the queue: elapsed_ms is the exchange itself, not the wait for a slot
            self.budget.check()
            self.stats.requests += 1
            try:
                async with asyncio.timeout(self.settings.timeout_s):
                    async with self._open(method, url, headers, content) as response:
                        body, truncated, size = await self._read_capped(response)
            except TimeoutError:
                result.error = f"no complete response within {self.settings.timeout_s:g} s"
            except httpx.HTTPError as exc:
                result.error = _describe_transport_error(exc)
        exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        if result.error:
            exchange.error = self.redactor.text(result.error)
            return result
        result.status = response.status_code
        result.headers = response.headers
        result.truncated = truncated
        result.text = self._record_response(exchange, response, body, truncated, size)
        if truncated:
            exchange.error = f"body cut off at {self.settings.max_body_bytes} bytes"
        if truncated:
            result.json_error = f"body larger than {self.settings.max_body_bytes} bytes; not parsed"
        else:
            result.json, result.json_error = parse_json(body)
        self._count_tokens(result.json)
        return result

    async def _stream_once(
        self,
        label: str,
        path: str,
        json_body: dict[str, Any],
        *,
        stop_when: Callable[[StreamResult], bool] | None = None,
    ) -> StreamResult:
        """POST and read an SSE response incrementally with the strict reader.

        ``stop_when`` is asked after each event; returning True closes the connection early
        (how an ignored token limit is caught in seconds instead of minutes)."""
        url = self.url(path)
        headers = self._headers(Auth.CONFIGURED, True, "text/event-stream")
        json_body = self.with_defaults(json_body)
        exchange = self._record_request(label, "POST", url, headers, json_body)
        result = StreamResult(exchange=exchange)
        reader = SSEReader(keep_lines=2_000)
        received = 0
        async with self.slots:
            started = time.perf_counter()  # after the queue: elapsed_ms is the exchange itself, not the wait for a slot
            result.sent_at = started
            self.budget.check()
            self.stats.requests += 1
            try:
                async with asyncio.timeout(self.settings.timeout_s):
                    async with self._open("POST", url, headers, json.dumps(json_body).encode()) as response:
                        result.first_byte_s = time.perf_counter() - started
                        result.status = response.status_code
                        result.headers = response.headers
                        if not 200 <= response.status_code < 300:
                            body, truncated, size = await self._read_capped(response)
                            error = HTTPResult(exchange=exchange, status=response.status_code, headers=response.headers)
                            error.text = self._record_response(exchange, response, body, truncated, size)
                            error.truncated = truncated
                            if truncated:
                                error.json_error = f"body larger than {self.settings.max_body_bytes} bytes; not parsed"
                                exchange.error = f"body cut off at {self.settings.max_body_bytes} bytes"
                            else:
                                error.json, error.json_error = parse_json(body)
                            result.error_body = error
                            exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
                            return result
                        async for piece in response.aiter_bytes():
                            received += len(piece)
                            if received > self.settings.max_body_bytes:
                                result.truncated = True
                                result.error = f"stream exceeded {self.settings.max_body_bytes} bytes; stopped reading"
                                break
                            for event in reader.feed(piece):
                                self._take_event(result, event)
                            if len(result.events) > self.settings.max_stream_events:
                                # Each event costs parsing, memory and later validation: bound the count, not only the bytes.
                                result.truncated = True
                                result.error = f"stream exceeded {self.settings.max_stream_events} events; stopped reading"
                                break
                            if stop_when is not None and stop_when(result):
                                result.stopped_early = True
                                break
                        else:
                            for event in reader.close():
                                self._take_event(result, event)
            except TimeoutError:
                result.error = f"stream not finished within {self.settings.timeout_s:g} s"
                result.timed_out = True
            except SSEError as exc:
                result.error = str(exc)
            except httpx.HTTPError as exc:
                result.error = _describe_transport_error(exc)
        result.ended_s = time.perf_counter() - started
        exchange.elapsed_ms = round(result.ended_s * 1000, 1)
        result.faults = list(reader.faults)
        if result.status is not None:
            exchange.response = ResponseRecord(
                status=result.status,
                headers=self.redactor.headers(result.headers.multi_items()),
                body="",
                truncated=result.truncated or reader.lines_seen > len(reader.lines),
                size_bytes=received,
                sse_lines=self.redactor.lines([line[: self.settings.evidence_body_chars] for line in reader.lines]),
            )
        if result.error:
            exchange.error = self.redactor.text(result.error)
        if result.stopped_early:
            exchange.error = "client closed the stream early (enough evidence)"
        elif timing := _timing(result):
            self.stats.timings.append(timing)
        return result

    @contextlib.asynccontextmanager
    async def _open(self, method: str, url: str, headers: dict[str, str], content: bytes | None) -> AsyncIterator[httpx.Response]:
        """Send and yield the response with its body unread.

        A connection that drops before any response arrives is tried once more: it is usually a
        pooled keep-alive connection the server closed while idle, which says nothing about the
        provider (the official SDKs retry it too). A drop after the response began is not retried."""
        request = self._http.build_request(method, url, headers=headers, content=content)
        try:
            response = await self._http.send(request, stream=True)
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
            response = await self._http.send(request, stream=True)
        try:
            yield response
        finally:
            await response.aclose()

    def _note_rate_limit(self, label: str, headers: httpx.Headers, exchange: Exchange) -> None:
        timing = {k: v for k, v in headers.items() if k in ("retry-after", "retry-after-ms") or k.startswith("x-ratelimit-reset")}
        self.stats.rate_limited.append(RateLimitAnswer(label, self.redactor.headers(timing.items()), exchange))

    def _take_event(self, result: StreamResult, event: SSEEvent) -> None:
        result.events.append(event)
        if result.done:
            result.events_after_done += 1
            return
        if event.data == "[DONE]":
            result.done = True
            return
        chunk = StreamChunk(number=len(result.chunks) + 1, raw=event.data, at_s=time.perf_counter() - result.sent_at, event=event.event)
        try:
            chunk.json = loads_strict(event.data)
        except ValueError as exc:
            chunk.error = f"data is not JSON: {exc}"
        except RecursionError:
            chunk.error = "data is JSON nested too deeply to parse"
        result.chunks.append(chunk)
        # Some servers repeat a running total in every chunk (vLLM's continuous usage stats):
        # count only what a chunk adds to the highest total seen in this stream.
        total = _total_tokens(chunk.json)
        if total is not None and total > result.tokens_counted:
            self._spend(total - result.tokens_counted)
            result.tokens_counted = total

    async def _read_capped(self, response: httpx.Response) -> tuple[bytes, bool, int]:
        cap = self.settings.max_body_bytes
        parts: list[bytes] = []
        size = 0
        async for piece in response.aiter_bytes():
            size += len(piece)
            if size > cap:
                parts.append(piece[: max(0, cap - (size - len(piece)))])
                return b"".join(parts), True, size
            parts.append(piece)
        return b"".join(parts), False, size

    def _count_tokens(self, document: Any) -> None:
        total = _total_tokens(document)
        if total is not None:
            self._spend(total)

    def _spend(self, tokens: int) -> None:
        self.stats.tokens += tokens
        self.budget.spend(tokens)


def _timing(result: StreamResult) -> StreamTiming | None:
    """The timing of a stream that ran its course and carried content; None otherwise."""
    if result.error or result.error_body is not None or result.first_byte_s is None or result.ended_s is None:
        return None
    first = next((c.at_s for c in result.chunks if _carries_content(c.json)), None)
    if first is None:
        return None
    tokens = next((n for c in reversed(result.chunks) if (n := _output_tokens(c.json)) is not None), None)
    return StreamTiming(result.first_byte_s, first, result.ended_s, tokens)


def _carries_content(document: Any) -> bool:
    """A chat chunk with delta content, or a Responses text delta."""
    if not isinstance(document, dict):
        return False
    if document.get("type") == "response.output_text.delta":
        return bool(document.get("delta"))
    choices = document.get("choices")
    return any(
        isinstance(c, dict) and isinstance(c.get("delta"), dict) and bool(c["delta"].get("content"))
        for c in (choices if isinstance(choices, list) else [])
    )


def _output_tokens(document: Any) -> int | None:
    if not isinstance(document, dict):
        return None
    response = document.get("response")
    usage = (response if isinstance(response, dict) else document).get("usage")
    count = usage.get("completion_tokens", usage.get("output_tokens")) if isinstance(usage, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else None


def _total_tokens(document: Any) -> int | None:
    """``usage.total_tokens`` when it is a usable count (a non-negative integer, not a bool)."""
    usage = document.get("usage") if isinstance(document, dict) else None
    total = usage.get("total_tokens") if isinstance(usage, dict) else None
    if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
        return total
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value (RFC 8259): JavaScript's JSON.parse and Go reject the body; only Python accepts it")


def loads_strict(text: str) -> Any:
    """json.loads without Python's extensions: NaN, Infinity and -Infinity (what json.dumps writes
    for a float gone wrong) raise ValueError, as they do in the official Node SDK's JSON.parse."""
    return json.loads(text, parse_constant=_reject_constant)


def parse_json(body: bytes) -> tuple[Any, str | None]:
    """(document, None), or (None, why not). JSON on the wire must be UTF-8 (RFC 8259), and the
    official SDKs decode it strictly, so invalid bytes are a fault, not something to paper over;
    nesting deeper than the parser can follow (a JSON bomb) is reported instead of crashing."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"body is not valid UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start}; JSON must be UTF-8)"
    try:
        return loads_strict(text), None
    except ValueError as exc:
        return None, f"body is not JSON: {exc}"
    except RecursionError:
        return None, "body is JSON nested too deeply to parse"


def _describe_transport_error(exc: httpx.HTTPError) -> str:
    kind = type(exc).__name__
    detail = str(exc) or "no detail"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({kind}): {detail}"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {detail}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection broken by the server: {detail}"
    return f"{kind}: {detail}"


@cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every client of the run. Building one reads the whole CA
    bundle (~20 ms of CPU); a client each (a provider's, and one per SDK check) cost a second of
    CPU per ten providers. SSL_CERT_FILE / SSL_CERT_DIR are honoured, as httpx does by default."""
    return httpx.create_ssl_context(trust_env=True)


def recording_transport(http: ModuleType, client: ProviderClient, label: str, sink: list[Exchange]) -> Any:
    """A transport for a third-party HTTP client (the official SDK) to send through: each exchange
    it makes is recorded, redacted and capped like the suite's own, and counted, so its evidence
    shows exactly what the SDK sent and got. Bodies are recorded as the client reads them.

    ``http`` is the client's own httpx-like module: the SDK has moved to a fork of httpx with the
    same API (httpx2), and a transport must subclass that module's classes to be accepted."""
    classes = _transport_classes(http)
    return classes[0](http, client, label, sink)


@cache
def _transport_classes(http: ModuleType) -> tuple[type, type]:
    class Tee(http.AsyncByteStream):  # type: ignore[name-defined,misc]
        """Passes a response body through unchanged and hands a capped copy to ``done`` at its end."""

        def __init__(self, inner: Any, done: Callable[[bytes, int, bool], None], cap: int, closed: Callable[[], None]) -> None:
            self._inner, self._done, self._cap, self._closed = inner, done, cap, closed
            self._kept: list[bytes] = []
            self._size = 0
            self._finished = False

        async def __aiter__(self) -> AsyncIterator[bytes]:
            try:
                async for piece in self._inner:
                    if self._size < self._cap:
                        self._kept.append(piece[: self._cap - self._size])
                    self._size += len(piece)
                    if self._size > self._cap:
                        # Bounded like the suite's own reads: an endless body must not hold the client forever.
                        self._finish()
                        raise http.ReadError(f"response exceeded {self._cap} bytes; {STOPPED_READING}")
                    yield piece
            finally:
                self._finish()

        async def aclose(self) -> None:
            self._finish()
            await self._inner.aclose()
            self._closed()

        def _finish(self) -> None:
            if not self._finished:
                self._finished = True
                self._done(b"".join(self._kept), self._size, self._size > self._cap)

    class Recording(http.AsyncBaseTransport):  # type: ignore[name-defined,misc]
        def __init__(self, module: ModuleType, client: ProviderClient, label: str, sink: list[Exchange]) -> None:
            self._http, self._client, self._label, self._sink = module, client, label, sink
            self._inner = module.AsyncHTTPTransport(retries=0, verify=tls_context())
            self._held: list[_HeldSlot] = []

        async def handle_async_request(self, request: Any) -> Any:
            client = self._client
            body = request.content.decode("utf-8", errors="replace") if request.content else None
            try:
                parsed: Any = loads_strict(body) if body else None
            except (ValueError, RecursionError):
                parsed = body
            if client.request_defaults and isinstance(parsed, dict):
                # providers.yaml's request_defaults reach the SDK's requests too, as every other request.
                parsed = client.with_defaults(parsed)
                headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
                request = self._http.Request(request.method, request.url, headers=headers, content=json.dumps(parsed).encode())
            label = f"{self._label} (SDK request {len(self._sink) + 1})"
            exchange = client._record_request(label, request.method, str(request.url), dict(request.headers), parsed)
            self._sink.append(exchange)
            started = time.perf_counter()
            # The slot is held until the body is closed, not only until the headers: a stream still
            # being read is a request in flight (with max_concurrency 1, llama.cpp cuts a stream
            # when a second request arrives).
            await client.slots.acquire()
            slot = _HeldSlot(client.slots)
            self._held.append(slot)
            try:
                # Checked once a slot is free, as for the suite's own requests: the budget may have run out meanwhile.
                client.budget.check()
                client.stats.requests += 1
                started = time.perf_counter()
                response = await self._inner.handle_async_request(request)
            except BaseException as exc:
                slot.release()
                if isinstance(exc, self._http.HTTPError):
                    exchange.error = client.redactor.text(f"{type(exc).__name__}: {exc}")
                raise
            finally:
                exchange.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)

            def done(data: bytes, size: int, cut: bool) -> None:
                self._finish(exchange, response, data, size, cut)

            tee = Tee(response.stream, done, client.settings.max_body_bytes, slot.release)
            return self._http.Response(response.status_code, headers=response.headers, stream=tee, extensions=response.extensions)

        def _finish(self, exchange: Exchange, response: Any, data: bytes, size: int, cut: bool) -> None:
            text = data.decode("utf-8", errors="replace")
            cap = self._client.settings.evidence_body_chars
            redact = self._client.redactor
            record = ResponseRecord(
                status=response.status_code, headers=redact.headers(response.headers.multi_items()),
                body=redact.text(text[:cap]), truncated=cut or len(text) > cap, size_bytes=size,
            )
            if str(response.headers.get("content-type", "")).startswith("text/event-stream"):
                # Shown as lines, like the suite's own streams.
                record.body, record.sse_lines = "", redact.lines([line[:cap] for line in text.splitlines()[:2_000]])
            elif not cut:
                document, _ = parse_json(data)
                self._client._count_tokens(document)
            exchange.response = record

        async def aclose(self) -> None:
            # A body the SDK never closed still gives its slot back when the SDK's client closes.
            for slot in self._held:
                slot.release()
            await self._inner.aclose()

    return Recording, Tee


class _HeldSlot:
    """A request slot taken for one SDK request, given back once: when its body is closed, when the
    request fails, or when the SDK's client closes, whichever comes first."""

    def __init__(self, slots: Slots) -> None:
        self._slots: Slots | None = slots

    def release(self) -> None:
        if self._slots is not None:
            self._slots.release()
            self._slots = None

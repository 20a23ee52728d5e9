"""Retries of 429/5xx: Retry-After honoured (measured on the server's clock) and capped, bounded
attempts, no retry of other 4xx, every attempt kept as evidence, the verdict judged on the final
answer, and never more than max_concurrency requests in flight.

The servers are crafted providers on 127.0.0.1 (tests/support/crafted.py) answering from a
script: each request takes the next scripted answer (the last one repeats) and its arrival time
is recorded server-side.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import ExitCode, main
from conformance.client import HTTPResult, ProviderClient
from conformance.redact import Redactor
from conformance.retry import gave_up, retry_after, wait_before_retry
from conformance.settings import Settings
from tests.support.crafted import CraftedProvider, Handler, Reply, scripted

COMPLETION = {
    "id": "chatcmpl-retry", "object": "chat.completion", "created": 1_700_000_000, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop", "logprobs": None}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}
CHUNK = {
    "id": "chatcmpl-retry", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "m",
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop", "logprobs": None}],
}
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
FAST = dataclasses.replace(Settings(), timeout_s=10.0, retry_backoff_s=0.01)


def answer(status: int, headers: dict[str, str] | None = None, *, delay_s: float = 0.0) -> Reply:
    """A completion for 200, an error envelope naming the status otherwise."""
    body = COMPLETION if status == 200 else {"error": {"message": f"status {status}", "type": "x", "param": None, "code": None}}
    return Reply(body, status, headers=headers or {}, delay_s=delay_s)


OK = answer(200)
OK_STREAM = Reply(f"data: {json.dumps(CHUNK)}\n\ndata: [DONE]\n\n", content_type="text/event-stream")

Script = Callable[..., CraftedProvider]


@pytest.fixture
def script(crafted: Callable[[Handler], CraftedProvider]) -> Script:
    """``script(*replies)``: a provider answering request n with replies[n - 1] (the last repeats)."""

    def start(*replies: Reply) -> CraftedProvider:
        return crafted(scripted(*replies))

    return start


def run_client(
    server: CraftedProvider, action: Callable[[ProviderClient], Awaitable[Any]], settings: Settings = FAST
) -> tuple[Any, ProviderClient]:
    async def go() -> tuple[Any, ProviderClient]:
        client = ProviderClient(base_url=server.base_url, api_key="sk-test-retry", headers={}, settings=settings, redactor=Redactor())
        try:
            return await action(client), client
        finally:
            await client.aclose()

    return asyncio.run(go())


def post(client: ProviderClient) -> Awaitable[HTTPResult]:
    return client.send("chat", "POST", "/chat/completions", json_body=CHAT)


# --- Retry-After, measured ------------------------------------------------------------------------
def test_retry_after_is_honoured_measured_on_the_server(script: Script) -> None:
    server = script(answer(429, {"Retry-After": "1"}), OK)
    result, client = run_client(server, post)
    assert len(server.requests) == 2
    gap = server.gaps[0]
    print(f"measured Retry-After gap: {gap:.3f} s")
    assert 0.9 <= gap < 5.0
    # Judged on the final answer; the 429 stays in the evidence with why it was sent again.
    assert result.status == 200 and result.error is None and result.json["choices"][0]["message"]["content"] == "Hello"
    assert [e.response.status for e in result.retried] == [429]
    assert result.retried[0].label == "chat (attempt 1 of 2)" and result.exchange.label == "chat (attempt 2 of 2)"
    assert result.retried[0].error == "HTTP 429: sent again after 1 s (Retry-After: 1)"
    assert result.retry_note == "chat: retried after HTTP 429 (waited 1 s, Retry-After: 1); judged on attempt 2"
    assert client.stats.requests == 2 and client.stats.tokens == 6


def test_retry_after_is_capped(script: Script) -> None:
    server = script(answer(503, {"Retry-After": "3600"}), OK)
    settings = dataclasses.replace(FAST, retry_after_max_s=0.3)
    result, _ = run_client(server, post, settings)
    assert result.status == 200
    assert 0.25 <= server.gaps[0] < 2.0
    assert result.retried[0].error == "HTTP 503: sent again after 0.3 s (Retry-After: 3600 capped at 0.3 s)"


def test_persistent_429_is_an_error_after_the_bound(script: Script) -> None:
    server = script(answer(429, {"Retry-After": "0"}))
    result, client = run_client(server, post)
    assert len(server.requests) == 3 == client.stats.requests  # 1 + max_retries (2)
    assert result.error == "rate limited: HTTP 429 after 3 attempts"
    assert result.status == 429  # the answer itself is kept
    assert [e.label for e in [*result.retried, result.exchange]] == [f"chat (attempt {i} of 3)" for i in (1, 2, 3)]
    assert result.exchange.error == "rate limited: HTTP 429 after 3 attempts"


def test_backoff_doubles_without_retry_after(script: Script) -> None:
    server = script(answer(502), answer(502), OK)
    settings = dataclasses.replace(FAST, retry_backoff_s=0.2)
    result, _ = run_client(server, post, settings)
    assert result.status == 200 and len(server.requests) == 3
    first, second = server.gaps
    assert 0.18 <= first < 1.0 and 0.38 <= second < 1.5


def test_a_persistent_500_is_judged_not_masked(script: Script) -> None:
    """500 is retried (often momentary) but, if it persists, it is the provider's answer to that
    request: no error is set, so the check judges it (a crash on a feature is a failure)."""
    server = script(answer(500))
    result, _ = run_client(server, post)
    assert len(server.requests) == 3
    assert result.status == 500 and result.error is None
    assert "judged on attempt 3" in (result.retry_note or "")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 408, 409, 422])
def test_other_4xx_are_never_retried(script: Script, status: int) -> None:
    server = script(answer(status, {"Retry-After": "0"}))
    result, client = run_client(server, post)
    assert len(server.requests) == 1 == client.stats.requests
    assert result.status == status and result.error is None and not result.retried


def test_max_retries_zero_sends_once(script: Script) -> None:
    server = script(answer(503))
    result, _ = run_client(server, post, dataclasses.replace(FAST, max_retries=0))
    assert len(server.requests) == 1
    assert result.error == "provider unavailable: HTTP 503 after 1 attempt"


def test_a_stream_refused_with_503_is_sent_again(script: Script) -> None:
    server = script(answer(503), OK_STREAM)
    result, _ = run_client(server, lambda c: c.stream("stream", "/chat/completions", {**CHAT, "stream": True}))
    assert len(server.requests) == 2
    assert result.status == 200 and result.done and len(result.chunks) == 1 and result.error_body is None
    assert [e.response.status for e in result.retried] == [503]


def test_retries_never_exceed_max_concurrency(script: Script) -> None:
    """Every attempt takes a slot like any request: 12 requests whose first 12 arrivals are
    answered 503 (so each is sent at least twice) never have more than max_concurrency in
    flight, and do use all of them."""
    server = script(*[answer(503, delay_s=0.05)] * 12, answer(200, delay_s=0.05))
    settings = dataclasses.replace(FAST, max_concurrency=3, max_retries=12)

    async def many(client: ProviderClient) -> list[Any]:
        return await asyncio.gather(*(post(client) for _ in range(12)))

    results, client = run_client(server, many, settings)
    assert server.max_in_flight == 3
    assert client.stats.requests == len(server.requests) >= 24
    assert all(r.status == 200 and r.retried for r in results)


# --- through the runner: the verdict and its evidence --------------------------------------------
def providers_file(tmp_path: Path, base_url: str, settings: str = "") -> Path:
    path = tmp_path / "providers.yaml"
    path.write_text(
        f"providers:\n  - name: remote\n    base_url: {base_url}\n    models: {{chat: m}}\n"
        + (f"    settings: {{{settings}}}\n" if settings else ""),
        encoding="utf-8",
    )
    return path


def verdict_of(out: Path, check_id: str) -> dict[str, Any]:
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return next(r for r in data["results"] if r["check_id"] == check_id)


def test_a_check_whose_request_succeeded_on_retry_is_judged_on_the_final_answer(script: Script, tmp_path: Path) -> None:
    server = script(answer(429, {"Retry-After": "0"}), OK)
    out = tmp_path / "out"
    code = main(["run", "--providers", str(providers_file(tmp_path, server.base_url)), "--check", "base_url.v1_path", "--out", str(out)])
    assert code == ExitCode.OK
    verdict = verdict_of(out, "base_url.v1_path")
    assert verdict["status"] == "pass" and "HTTP 200" in verdict["summary"]
    assert [(e["label"], e["response"]["status"]) for e in verdict["exchanges"]] == [
        ("minimal chat request (attempt 1 of 2)", 429),
        ("minimal chat request (attempt 2 of 2)", 200),
    ]
    assert any("retried after HTTP 429" in note for note in verdict["notes"])


def test_a_persistent_429_gives_error_not_fail(script: Script, tmp_path: Path) -> None:
    server = script(answer(429, {"Retry-After": "0"}))
    out = tmp_path / "out"
    path = providers_file(tmp_path, server.base_url)
    assert main(["run", "--providers", str(path), "--check", "base_url.v1_path", "--out", str(out)]) == ExitCode.OK
    verdict = verdict_of(out, "base_url.v1_path")
    assert verdict["status"] == "error"
    assert "rate limited: HTTP 429 after 3 attempts" in verdict["summary"]
    assert len(verdict["exchanges"]) == 3 == len(server.requests)


# --- units ---------------------------------------------------------------------------------------
NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, (2.0, "Retry-After: 2")),
        ({"retry-after": " 7 "}, (7.0, "Retry-After: 7")),
        ({"retry-after-ms": "250", "retry-after": "9"}, (0.25, "retry-after-ms: 250")),
        ({"retry-after": format_datetime(datetime.fromtimestamp(NOW, UTC) + timedelta(seconds=4), usegmt=True)}, (4.0, None)),
        ({"retry-after": format_datetime(datetime.fromtimestamp(NOW, UTC) - timedelta(seconds=60), usegmt=True)}, (0.0, None)),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "١"}, None),  # a non-ASCII digit is not delta-seconds
        ({}, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], expected: tuple[float, str | None] | None) -> None:
    got = retry_after(headers, now=NOW)
    if expected is None:
        assert got is None
    else:
        assert got is not None and got[0] == pytest.approx(expected[0], abs=1.0)
        if expected[1] is not None:
            assert got[1] == expected[1]


def test_wait_prefers_retry_after_and_caps_backoff() -> None:
    settings = dataclasses.replace(Settings(), retry_backoff_s=0.5, retry_after_max_s=3.0)
    assert wait_before_retry(1, {}, settings).seconds == 0.5
    assert wait_before_retry(2, {}, settings).seconds == 1.0
    assert wait_before_retry(5, {}, settings).seconds == 3.0
    assert wait_before_retry(1, {"retry-after": "2"}, settings).seconds == 2.0
    assert wait_before_retry(1, {"retry-after": "100"}, settings).reason == "Retry-After: 100 capped at 3 s"


def test_gave_up_messages() -> None:
    assert gave_up(429, 3) == "rate limited: HTTP 429 after 3 attempts"
    assert gave_up(503, 1) == "provider unavailable: HTTP 503 after 1 attempt"

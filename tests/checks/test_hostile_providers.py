"""Hostile providers: a run against servers that attack the client must still end in bounded
time, in bounded memory, with verdicts that name what happened, leak no key, and leave the
other providers' verdicts untouched.

One real run through the command line (a subprocess, so its memory and wall time are its own)
has every hostile provider (tests/checks/hostile.py) beside the embedded reference provider.
Each provider's wall time is taken when the CLI reports it done; the CLI process is killed by a
watchdog if the run itself ever hangs, so a regression fails this module instead of stalling CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from tests.checks.hostile import MODEL, HostileServer
from tests.support.keys import assert_no_key_slice, planted_key
from tests.support.reference import NOTHING_TO_JUDGE

TIMEOUT_S = 2
ENDLESS_TIMEOUT_S = 20
MAX_BODY_BYTES = 1_000_000
RUN_WATCHDOG_S = 180
"""Kill the CLI past this: only a hang gets near it (a healthy run takes ~10 s)."""
PROVIDER_BOUND_S = 60
"""Per provider: generous (CI machines are slow and shared), but finite — a hang never gets here."""
MAX_RSS_MB = 800
"""A 50 MB body read whole by each of ~20 requests would be over a gigabyte; capped it is 220-280 MB on a
quiet machine and reached ~600 MB on a loaded CI machine (endless streams arrive faster than a starved
reader parses them)."""


@dataclass(frozen=True)
class Expect:
    check_id: str
    status: str
    phrase: str
    """Must appear in the verdict's summary: the verdict names what happened."""


# For each hostile provider: the verdicts that show the run noticed the attack for what it is.
EXPECTED: dict[str, list[Expect]] = {
    "huge_body": [
        Expect("chat.basic", "fail", f"body larger than {MAX_BODY_BYTES} bytes"),
        Expect("streaming.sse", "error", f"stream exceeded {MAX_BODY_BYTES} bytes"),
    ],
    "endless_stream": [
        Expect("streaming.done", "fail", f"stream exceeded {MAX_BODY_BYTES} bytes"),
        Expect("tokens.max_tokens", "fail", "received > 28 words"),
        Expect("tokens.max_completion_tokens", "fail", "received > 28 words"),
    ],
    "event_flood": [
        Expect("streaming.done", "fail", "stream exceeded 10000 events"),
        Expect("tokens.max_tokens", "fail", "stream exceeded 10000 events"),
    ],
    "slowloris": [Expect("base_url.v1_path", "error", f"no complete response within {TIMEOUT_S} s")],
    "invalid_utf8": [
        Expect("chat.basic", "fail", "not valid UTF-8"),
        Expect("streaming.sse", "error", "not valid UTF-8"),
    ],
    "json_bomb": [
        Expect("chat.basic", "fail", "nested too deeply"),
        Expect("streaming.sse", "fail", "nested too deeply"),
        Expect("tokens.max_tokens", "fail", "nested too deeply"),
    ],
    "mid_chunk_close": [Expect("base_url.v1_path", "error", "incomplete chunked read")],
    "rate_limited": [Expect("base_url.v1_path", "error", "HTTP 429")],
    "redirect": [Expect("base_url.v1_path", "fail", "redirected (HTTP 302")],
    "echo_key": [
        Expect("auth.invalid_key_rejected", "pass", "HTTP 401"),
        Expect("errors.format", "pass", "error envelope"),
    ],
}


@dataclass
class HostileRun:
    results: dict[str, Any]
    outputs: dict[str, str]
    """Every report file, and the terminal's stdout and stderr."""
    provider_wall_s: dict[str, float]
    total_wall_s: float
    max_rss_mb: float
    key: str
    requests_seen: dict[str, int]
    trap_connections: int

    def verdict(self, provider: str, check_id: str) -> dict[str, Any]:
        return next(r for r in self.results["results"] if r["provider"] == provider and r["check_id"] == check_id)


def providers_yaml(server: HostileServer) -> str:
    lines = [
        f"settings: {{timeout_s: {TIMEOUT_S}, max_body_bytes: {MAX_BODY_BYTES}}}",
        "providers:",
        "  - name: reference",
        "    base_url: embedded:reference",
        "    models: {chat: reference-chat, vision: reference-vision}",
        # It never stalls: a short timeout would only fail it on a busy machine (the unaffected test).
        "    timeout_s: 30",
    ]
    for behaviour in server.behaviours:
        lines += [
            f"  - name: {behaviour}",
            f"    base_url: {server.base_url(behaviour)}",
            "    api_key: ${HOSTILE_KEY}",
            f"    models: {{chat: {MODEL}}}",
        ]
        if behaviour in ("endless_stream", "huge_body"):
            # The body cap, not the clock, must end these bodies: with dozens of requests sharing one
            # hostile server on a busy machine, reaching MAX_BODY_BYTES can take longer than TIMEOUT_S.
            lines.append(f"    timeout_s: {ENDLESS_TIMEOUT_S}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    tmp = tmp_path_factory.mktemp("hostile")
    # No recognisable prefix: an 8-character slice of the key must not occur by chance in a report.
    key = planted_key()
    server = HostileServer(key).start()
    try:
        providers = tmp / "providers.yaml"
        providers.write_text(providers_yaml(server), encoding="utf-8")
        out = tmp / "out"
        stdout_path = tmp / "stdout.txt"
        env = {**os.environ, "HOSTILE_KEY": key, "NO_COLOR": "1"}
        started = time.monotonic()
        walls: dict[str, float] = {}
        stderr_lines: list[str] = []
        with stdout_path.open("w", encoding="utf-8") as stdout:
            proc = subprocess.Popen(
                [sys.executable, "-m", "conformance", "run", "--providers", str(providers), "--out", str(out), "--no-color"],
                env=env, cwd=tmp, stdout=stdout, stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
            )
            watchdog = threading.Timer(RUN_WATCHDOG_S, proc.kill)
            watchdog.start()
            try:
                assert proc.stderr is not None
                for line in proc.stderr:  # "[n/N] provider NAME done" as each provider finishes
                    stderr_lines.append(line)
                    words = line.split()
                    if len(words) == 4 and words[1] == "provider" and words[3] == "done":
                        walls[words[2]] = time.monotonic() - started
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
            finally:
                watchdog.cancel()
        total = time.monotonic() - started
        assert proc.returncode == 0, "".join(stderr_lines)[-3000:]
        outputs = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
        outputs["stdout"] = stdout_path.read_text(encoding="utf-8")
        outputs["stderr"] = "".join(stderr_lines)
        return HostileRun(
            results=json.loads(outputs["results.json"]),
            outputs=outputs,
            provider_wall_s=walls,
            total_wall_s=total,
            # ru_maxrss is in KiB on Linux.
            max_rss_mb=usage.ru_maxrss / 1024 if sys.platform.startswith("linux") else usage.ru_maxrss / 2**20,
            key=key,
            requests_seen=dict(server.requests),
            trap_connections=server.trap_connections,
        )
    finally:
        server.stop()


@pytest.mark.parametrize("behaviour", sorted(EXPECTED))
def test_each_hostile_provider_is_reached_and_every_check_decided(hostile_run: HostileRun, behaviour: str) -> None:
    assert hostile_run.requests_seen.get(behaviour, 0) >= 1, "the run never reached this provider"
    # Every check of the provider was decided: nothing was left hanging or crashed the check.
    mine = [r for r in hostile_run.results["results"] if r["provider"] == behaviour]
    assert len(mine) == len(hostile_run.results["checks"])
    crashed = [r["summary"] for r in mine if "internal error" in r["summary"]]
    assert not crashed


@pytest.mark.parametrize(
    ("behaviour", "expect"),
    [pytest.param(behaviour, expect, id=f"{behaviour}-{expect.check_id}") for behaviour in sorted(EXPECTED) for expect in EXPECTED[behaviour]],
)
def test_each_hostile_provider_gets_verdicts_that_name_the_attack(hostile_run: HostileRun, behaviour: str, expect: Expect) -> None:
    verdict = hostile_run.verdict(behaviour, expect.check_id)
    assert (verdict["status"], expect.phrase in verdict["summary"]) == (expect.status, True), verdict["summary"]


@pytest.mark.parametrize("behaviour", sorted(EXPECTED))
def test_each_hostile_provider_ends_in_bounded_time(hostile_run: HostileRun, behaviour: str) -> None:
    assert behaviour in hostile_run.provider_wall_s, "the CLI never reported this provider done"
    assert hostile_run.provider_wall_s[behaviour] < PROVIDER_BOUND_S


def test_the_whole_run_stays_bounded_in_time_and_memory(hostile_run: HostileRun) -> None:
    assert hostile_run.total_wall_s < RUN_WATCHDOG_S
    assert 20 < hostile_run.max_rss_mb < MAX_RSS_MB


def test_the_reference_provider_is_unaffected(hostile_run: HostileRun) -> None:
    """Ten hostile providers in the same run (same event loop, same process) change nothing
    for a good one: every check still passes, none timed out waiting behind them."""
    mine = {r["check_id"]: r for r in hostile_run.results["results"] if r["provider"] == "reference"}
    assert len(mine) == len(hostile_run.results["checks"])
    not_passing = {c: r["summary"] for c, r in mine.items() if r["status"] != "pass" and f"{r['status']}/{r['reason']}" not in NOTHING_TO_JUDGE}
    assert not not_passing


def test_no_slice_of_the_key_leaks_anywhere(hostile_run: HostileRun) -> None:
    """echo_key quotes the key whole, partly and in a header; none of it may reach an output."""
    for name, text in hostile_run.outputs.items():
        assert_no_key_slice(text, hostile_run.key, name)
    # The echo really happened and was masked (not merely absent).
    echo = hostile_run.verdict("echo_key", "errors.format")
    bodies = " ".join((e.get("response") or {}).get("body", "") for e in echo["exchanges"])
    assert "You sent the key '[REDACTED]'" in bodies


def test_a_redirect_is_never_followed(hostile_run: HostileRun) -> None:
    assert hostile_run.requests_seen.get("redirect", 0) >= 1
    assert hostile_run.trap_connections == 0


def test_rate_limited_provider_is_not_retried_forever(hostile_run: HostileRun) -> None:
    """429 forever ends in an error, with few requests (no unbounded retry loop)."""
    provider = next(p for p in hostile_run.results["providers"] if p["name"] == "rate_limited")
    assert 1 <= provider["requests"] <= 50
    assert hostile_run.verdict("rate_limited", "auth.bearer")["status"] == "skip"


# --- units behind the verdicts above -------------------------------------------------------
def test_parse_json_names_invalid_utf8_and_deep_nesting() -> None:
    from conformance.client import parse_json

    assert parse_json(b'{"a": "caf\xc3\xa9"}') == ({"a": "café"}, None)
    document, error = parse_json(b'{"a": "caf\xe9"}')
    assert document is None and error is not None and "not valid UTF-8 (byte 0xe9 at offset 10" in error
    document, error = parse_json(b"[" * 100_000 + b"]" * 100_000)
    assert document is None and error == "body is JSON nested too deeply to parse"
    document, error = parse_json(b"<html>")
    assert document is None and error is not None and error.startswith("body is not JSON")


def test_word_counter_counts_words_split_across_deltas() -> None:
    from conformance.client import StreamChunk, StreamResult
    from conformance.probes.tokens.limit import WordCounter
    from conformance.verdict import Exchange, RequestRecord

    result = StreamResult(exchange=Exchange(label="t", request=RequestRecord("POST", "u", {}, None)))
    counter = WordCounter()
    seen = []
    for piece in ["He", "llo wor", "ld ", " 1 2", "3", "  ", "x"]:
        result.chunks.append(StreamChunk(len(result.chunks) + 1, "", {"choices": [{"index": 0, "delta": {"content": piece}}]}))
        seen.append(counter.take(result))
    assert seen == [1, 2, 2, 4, 4, 4, 5]  # "Hello world 1 23 x"

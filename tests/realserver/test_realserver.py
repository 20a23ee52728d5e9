"""Real servers (``pytest -m realserver``; .ci/run runs them after the fast tests).

llama-cpp-python serving the real Gemma 3 270M, and a LiteLLM proxy in front of it, are started
on loopback; the whole suite runs against each once (one CLI run per server, merged into one
two-column matrix), and each test below asserts what one verdict must be, given what these
servers are documented and were seen to do. The model is a 270M *base* model with no chat
template: its words are noise. So the verdicts pinned here are those the protocol decides;
where a check measures model behaviour, it is pinned only where the protocol evidence settles it
(prompt_tokens show a message never reached the model; no tool calling without a grammar).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.keys import assert_no_key_slice, planted_key

pytestmark = pytest.mark.realserver

LLAMA = "llama-cpp"
LITELLM = "litellm"
RUN_TIMEOUT_S = 10 * 60
"""Per server: an audit takes 40-100 s on 2 cores; only a hang gets near this."""


@dataclass
class Audit:
    results: dict[str, Any]
    summary_md: str
    out: Path
    wall_s: float
    logs: str
    """Masked tails of both servers' logs, for failure messages."""
    keys: tuple[str, ...]
    reports: tuple[Path, ...]
    """Every report directory the audit wrote (one per provider, and the merged one)."""

    def verdict(self, provider: str, check_id: str) -> dict[str, Any]:
        return next(r for r in self.results["results"] if r["provider"] == provider and r["check_id"] == check_id)

    def provider(self, name: str) -> dict[str, Any]:
        return next(p for p in self.results["providers"] if p["name"] == name)


def providers_yaml(llama_base: str, litellm_base: str) -> str:
    return (
        # One request at a time: llama.cpp serves one anyway and, by default (interrupt_requests),
        # a new request cuts off the stream in progress. 60 s is ample for 64-token replies.
        "settings: {timeout_s: 60, max_concurrency: 1}\n"
        "providers:\n"
        f"  - name: {LLAMA}\n"
        f"    base_url: {llama_base}\n"
        "    api_key: ${LLAMA_KEY}\n"
        "    models: {chat: gemma-3-270m, vision: gemma-3-270m}\n"
        f"  - name: {LITELLM}\n"
        f"    base_url: {litellm_base}\n"
        "    api_key: ${LITELLM_KEY}\n"
        "    models: {chat: gemma-3-270m, vision: gemma-3-270m}\n"
    )


def conformance(args: list[str], env: dict[str, str], cwd: Path, timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args, "--no-color"],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s,
    )


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Audit]:
    from tests.realserver.servers import assemble_model, start_litellm, start_llama_cpp

    work = tmp_path_factory.mktemp("realserver")
    llama_key, litellm_key = planted_key(), planted_key()
    model = assemble_model(work / "model")
    started = []
    try:
        llama, llama_base = start_llama_cpp(model, llama_key, work)
        started.append(llama)
        litellm, litellm_base = start_litellm(llama_base, llama_key, litellm_key, work)
        started.append(litellm)
        providers = work / "providers.yaml"
        providers.write_text(providers_yaml(llama_base, litellm_base), encoding="utf-8")
        env = {**os.environ, "LLAMA_KEY": llama_key, "LITELLM_KEY": litellm_key, "NO_COLOR": "1"}

        def logs() -> str:
            return "\n".join(f"--- {s.name} log ({s.log_path}) ---\n{s.log_tail(40)}" for s in started)

        # The two columns share one llama.cpp (LiteLLM forwards to it), so they are audited one
        # after the other, as a CI matrix would, and merged into one report.
        t0 = time.monotonic()
        for name in (LLAMA, LITELLM):
            proc = conformance(["run", "--providers", str(providers), "--provider", name, "--out", str(work / name)], env, work, RUN_TIMEOUT_S)
            assert proc.returncode == 0, f"{proc.stderr[-3000:]}\n{logs()}"
        wall = time.monotonic() - t0
        for server in started:
            assert server.running, f"{server.name} died during the audit\n{logs()}"
        merged = work / "out"
        proc = conformance(["report", str(work / LLAMA / "results.json"), str(work / LITELLM / "results.json"), "--out", str(merged)], env, work, 120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        results = json.loads((merged / "results.json").read_text(encoding="utf-8"))
        summary = (merged / "summary.md").read_text(encoding="utf-8")
        # Shown with -s, and kept in the pytest tmp dir: the matrix this run produced.
        print(f"\nreal-server audit: {wall:.0f} s, reports in {merged}\n{summary}")
        yield Audit(results, summary, merged, wall, logs(), (llama_key, litellm_key), (work / LLAMA, work / LITELLM, merged))
    finally:
        for server in reversed(started):
            server.stop()
        model.unlink(missing_ok=True)  # 250 MB; the chunks stay in site-packages


def test_audit_completes_every_check_for_both_servers(audit: Audit) -> None:
    checks = len(audit.results["checks"])
    for name in (LLAMA, LITELLM):
        mine = [r for r in audit.results["results"] if r["provider"] == name]
        assert len(mine) == checks, name
        crashed = [r["summary"] for r in mine if "internal error" in r["summary"]]
        assert not crashed, crashed


@dataclass(frozen=True)
class Expect:
    status: str
    phrase: str
    """Must appear in the summary: the verdict is right for the right reason."""
    why: str
    """What the server does that makes this the verdict (documented or seen by hand, and confirmed here)."""


# Every verdict of both columns, pinned. The protocol verdicts follow from what the servers do;
# the model-behaviour ones (system.role, vision, tools.auto, tools.parallel) are pinned where the
# protocol evidence decides them (prompt_tokens show the message never reached the model; the
# gemma chat format has no tool calling, so "auto" can only answer in text).
LLAMA_EXPECTED: dict[str, Expect] = {
    "base_url.v1_path": Expect("pass", "answers (HTTP 200)", "serves /v1/chat/completions"),
    "auth.bearer": Expect("pass", "accepted", "--api_key is checked as a Bearer token"),
    "auth.missing_key_rejected": Expect("warn", '{"detail":"Invalid API key"}', "401, but FastAPI's {\"detail\"} body, not the envelope"),
    "auth.invalid_key_rejected": Expect("warn", '{"detail":"Invalid API key"}', "same 401 {\"detail\"} body"),
    "models.list": Expect("warn", "'created' is a required property", "/v1/models answers; its items lack `created`"),
    "models.configured_present": Expect("pass", "gemma-3-270m", "--model_alias is listed"),
    "models.unknown_rejected": Expect("fail", "silent substitution", "any model id is served by the one loaded model"),
    "chat.basic": Expect("warn", "'refusal' is a required property", "valid completion; the message has no `refusal`"),
    "chat.usage": Expect("pass", "usage", "usage counts add up"),
    "chat.multi_turn": Expect("warn", "four-message history is accepted", "accepted; no `refusal`"),
    "system.role": Expect("fail", "system message appears dropped", "the gemma chat format drops system messages (same prompt_tokens)"),
    "vision.image_input": Expect("fail", "image part appears dropped", "the content array is dropped, text included (fewer prompt_tokens)"),
    "tools.auto": Expect("warn", "answered in text", "no tool calling without grammar: model behaviour"),
    "tools.none": Expect("warn", "no tool_calls", "text reply; no `refusal`"),
    "tools.required": Expect("fail", '"required" was not enforced', 'tool_choice "required" is ignored'),
    "tools.named": Expect("warn", "called get_weather", "a named tool_choice is grammar-forced; no `refusal`"),
    "tools.roundtrip": Expect("fail", "server error HTTP 500", "an assistant message with content null + tool_calls fails validation, as a 500"),
    "tools.parallel": Expect("warn", "0 tool call(s)", '"required" is ignored, so the model answers in text'),
    "tools.streaming": Expect("pass", "streamed call(s)", "grammar-forced call streamed with index and id"),
    "streaming.sse": Expect("pass", "well-framed chunks", "sound SSE"),
    "streaming.done": Expect("pass", "data: [DONE]", "ends with [DONE]"),
    "streaming.content": Expect("pass", "joined from deltas", "content deltas and a finish_reason"),
    "streaming.usage": Expect("fail", "include_usage was ignored", "stream_options.include_usage is ignored"),
    "tokens.max_completion_tokens": Expect("fail", "received > 28 words", "max_completion_tokens is ignored (it would run to the context limit)"),
    "tokens.max_tokens": Expect("pass", "is enforced", "max_tokens is honoured"),
    "errors.status_codes": Expect("fail", "missing `messages` → HTTP 200", "missing messages → 200; bad JSON and wrong types → 500"),
    "errors.format": Expect("fail", "text/plain", "bad JSON → 500 text/plain"),
    "limits.rate_limit_headers": Expect("warn", "no OpenAI x-ratelimit-* headers", "no rate limiting"),
}

# What LiteLLM in front changes, check by check; everything else is as for llama.cpp.
LITELLM_CHANGES: dict[str, Expect] = {
    "auth.missing_key_rejected": Expect("pass", "HTTP 401 and an error envelope", "the gateway's own auth: 401 with the envelope"),
    "auth.invalid_key_rejected": Expect("warn", "HTTP 400 instead of 401/403", "a wrong key → 400 no_db_connection (no database configured)"),
    "models.list": Expect("pass", "lists 1 model(s)", "the gateway's list has every field"),
    "models.unknown_rejected": Expect("warn", "HTTP 400 (OpenAI uses 404)", "the gateway refuses unknown ids (400), fixing the substitution"),
    "tools.roundtrip": Expect("fail", "server error HTTP 500", "the upstream's 500 is passed on"),
    "streaming.sse": Expect("warn", "'finish_reason' is a required property", "chunks omit finish_reason until the last (strict spec only)"),
    "streaming.content": Expect("warn", "'finish_reason' is a required property", "same strict-only deviation"),
    "streaming.usage": Expect("warn", "choices is not []", "the gateway adds the usage chunk, with choices [{index, delta: {}}]"),
    "errors.status_codes": Expect(
        "fail", "`temperature` as a string → HTTP 500", "bad JSON and missing messages now 400; a wrong type still reaches llama.cpp → 500"
    ),
    "errors.format": Expect("pass", "error envelope", "the gateway wraps every error in the envelope"),
}
LITELLM_EXPECTED = {**LLAMA_EXPECTED, **LITELLM_CHANGES}


def expectation_cases() -> list[tuple[str, str, Expect]]:
    cases = [(LLAMA, check_id, e) for check_id, e in LLAMA_EXPECTED.items()]
    return cases + [(LITELLM, check_id, e) for check_id, e in LITELLM_EXPECTED.items()]


@pytest.mark.parametrize(("provider", "check_id", "expect"), expectation_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_verdict(audit: Audit, provider: str, check_id: str, expect: Expect) -> None:
    verdict = audit.verdict(provider, check_id)
    got = (verdict["status"], expect.phrase in verdict["summary"])
    assert got == (expect.status, True), (
        f"{provider} {check_id}: expected {expect.status} ({expect.why}), got {verdict['status']}: {verdict['summary']}\n{audit.logs}"
    )


def test_every_check_is_pinned() -> None:
    from conformance.checklist import all_checks

    assert sorted(LLAMA_EXPECTED) == sorted(c.id for c in all_checks())


def test_what_the_gateway_fixes_and_breaks(audit: Audit) -> None:
    """The two columns differ exactly where LiteLLM changes the protocol, nowhere else."""
    differ = {
        check_id
        for check_id in LLAMA_EXPECTED
        if audit.verdict(LLAMA, check_id)["status"] != audit.verdict(LITELLM, check_id)["status"]
    }
    assert differ == {c for c, e in LITELLM_CHANGES.items() if e.status != LLAMA_EXPECTED[c].status}


def test_an_ignored_limit_is_found_in_seconds(audit: Audit) -> None:
    """llama.cpp ignores max_completion_tokens and would generate to the context limit (minutes);
    the streamed check closes the stream as soon as the reply clearly exceeds the limit."""
    for provider in (LLAMA, LITELLM):
        verdict = audit.verdict(provider, "tokens.max_completion_tokens")
        streamed = [e for e in verdict["exchanges"] if "(streamed)" in e["label"]]
        assert streamed and streamed[0]["error"] == "client closed the stream early (enough evidence)"
        assert streamed[0]["elapsed_ms"] < 20_000, streamed[0]["elapsed_ms"]


def test_a_full_run_stays_cheap_on_the_real_model(audit: Audit) -> None:
    """The default budget (short prompts, 64-token replies, temperature 0) on a real model:
    the README quotes these counters."""
    for provider in (LLAMA, LITELLM):
        run = audit.provider(provider)
        assert 25 <= run["requests"] <= 80, run
        assert 300 <= run["tokens"] <= 4_000, run
    assert audit.wall_s < 15 * 60


def test_no_key_reaches_any_report(audit: Audit) -> None:
    """Both keys (llama.cpp's, which LiteLLM also holds as its upstream key, and the master key)."""
    texts = {f"{d.name}/{p.name}": p.read_text(encoding="utf-8") for d in audit.reports for p in d.iterdir() if p.is_file()}
    assert len(texts) >= 12
    for key in audit.keys:
        for name, text in texts.items():
            assert_no_key_slice(text, key, name)

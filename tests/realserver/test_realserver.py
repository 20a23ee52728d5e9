"""Real servers (``pytest -m realserver``; .ci/run runs them after the fast tests).

llama-cpp-python serving the real Gemma 3 270M, and a LiteLLM proxy in front of it, are started
on loopback; the whole suite runs against each once (one CLI run per column, merged into one
matrix), and each test below asserts what one verdict must be, given what these servers are
documented and were seen to do. A third column audits only the Responses API, through a second
LiteLLM model name that bridges it to chat completions (``servers.BRIDGED_ALIAS``).

The model is a 270M *base* model with no chat template: its words are noise, and it never stops
by itself (every reply runs to the suite's 64-token cap). So the verdicts pinned here are those
the protocol decides; where a check measures model behaviour, it is pinned where the protocol
evidence settles it (prompt_tokens show a message never reached the model; no tool calling
without a grammar), and as the model's `warn` elsewhere.

Verdicts are pinned by their stable code (``status/reason``), as a correct suite would give them
for what these servers do. Where the suite says something else today, the pin also names that
wrong code (``Expect.wrong``): the test is then an expected failure (xfail) whose message says what
is wrong, and any third code still fails it. Once the check is fixed, the wrong code goes and the
pin holds as it is. No pin names a wrong code now: the ones found here (SDK streams cut by the
suite's own next request, replies cut at the suite's own cap read as failures, an array dropped
whole read as its second part dropped, a foreign call id blamed for a content-null refusal) were
fixed in the suite (cefc563, d582041).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.realserver.procs import ServerProcess
from tests.support.keys import assert_no_key_slice, planted_key

pytestmark = pytest.mark.realserver

LLAMA = "llama-cpp"
LITELLM = "litellm"
BRIDGED = "litellm-bridged"
"""The same proxy and upstream under the model name that bridges /v1/responses to chat completions."""
BRIDGED_CHECKS = ("responses.*", "sdk.responses")
"""What the bridged column runs: its chat completions are litellm's, request for request."""
RUN_TIMEOUT_S = 30 * 60
"""Per column: an audit takes 1-2 min on an idle 2-core machine, 5-14 min on one busy with other
work (seen); only a hang gets near this."""


@dataclass
class Servers:
    llama: ServerProcess
    litellm: ServerProcess
    llama_base: str
    litellm_base: str
    llama_key: str
    litellm_key: str
    work: Path
    started: list[ServerProcess]
    """Every server started so far, stopped by PID at the end of the module."""

    def logs(self) -> str:
        """Masked tails of every server's log, for failure messages."""
        return "\n".join(f"--- {s.name} log ({s.log_path}) ---\n{s.log_tail(40)}" for s in self.started)


@dataclass
class Audit:
    results: dict[str, Any]
    summary_md: str
    out: Path
    wall_s: dict[str, float]
    """Each column's `conformance run`, in seconds."""
    logs: str
    """Masked tails of the servers' logs, for failure messages."""
    keys: tuple[str, ...]
    reports: tuple[Path, ...]
    """Every report directory the audit wrote (one per column, and the merged one)."""
    upstream_responses: list[str]
    """llama.cpp's access-log lines for /v1/responses, taken right after the audit."""

    def verdict(self, provider: str, check_id: str) -> dict[str, Any]:
        return next(r for r in self.results["results"] if r["provider"] == provider and r["check_id"] == check_id)

    def provider(self, name: str) -> dict[str, Any]:
        return next(p for p in self.results["providers"] if p["name"] == name)


def providers_yaml(llama_base: str, litellm_base: str) -> str:
    from tests.realserver.servers import BRIDGED_ALIAS, MODEL_ALIAS

    return (
        # One request at a time: llama.cpp serves one anyway and, by default (interrupt_requests),
        # a new request cuts off the stream in progress. So each column is one queue, and the SDK
        # checks' bound (4 × timeout_s) runs from the check's start, through its wait behind every
        # other check's requests (reported): with timeout_s 60 that wait alone ran out on a busy
        # machine. 300 s is no cost when nothing hangs (every request is capped); it also leaves
        # room for params.logprobs, which llama-cpp-python answers at ~0.4 s a token (26 s for 64
        # tokens on an idle 2-core machine, over 60 s on a busy one).
        "settings: {timeout_s: 300, max_concurrency: 1}\n"
        "providers:\n"
        f"  - name: {LLAMA}\n"
        f"    base_url: {llama_base}\n"
        "    api_key: ${LLAMA_KEY}\n"
        f"    models: {{chat: {MODEL_ALIAS}, vision: {MODEL_ALIAS}}}\n"
        f"  - name: {LITELLM}\n"
        f"    base_url: {litellm_base}\n"
        "    api_key: ${LITELLM_KEY}\n"
        f"    models: {{chat: {MODEL_ALIAS}, vision: {MODEL_ALIAS}}}\n"
        f"  - name: {BRIDGED}\n"
        f"    base_url: {litellm_base}\n"
        "    api_key: ${LITELLM_KEY}\n"
        f"    models: {{chat: {BRIDGED_ALIAS}}}\n"
    )


def conformance(args: list[str], env: dict[str, str], cwd: Path, timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args, "--no-color"],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s,
    )


def responses_lines(log_path: Path) -> list[str]:
    """uvicorn's access-log lines for POST /v1/responses in llama.cpp's log."""
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return [line for line in text.splitlines() if '"POST /v1/responses ' in line]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    from tests.realserver.servers import assemble_model, start_litellm, start_llama_cpp

    work = tmp_path_factory.mktemp("realserver")
    llama_key, litellm_key = planted_key(), planted_key()
    model = assemble_model(work / "model")
    started: list[ServerProcess] = []
    try:
        llama, llama_base = start_llama_cpp(model, llama_key, work)
        started.append(llama)
        litellm, litellm_base = start_litellm(llama_base, llama_key, litellm_key, work)
        started.append(litellm)
        yield Servers(llama, litellm, llama_base, litellm_base, llama_key, litellm_key, work, started)
    finally:
        for server in reversed(started):
            server.stop()
        model.unlink(missing_ok=True)  # 250 MB; the chunks stay in site-packages


@pytest.fixture(scope="module")
def audit(servers: Servers) -> Audit:
    work = servers.work
    providers = work / "providers.yaml"
    providers.write_text(providers_yaml(servers.llama_base, servers.litellm_base), encoding="utf-8")
    env = {**os.environ, "LLAMA_KEY": servers.llama_key, "LITELLM_KEY": servers.litellm_key, "NO_COLOR": "1"}
    # The columns share one llama.cpp (LiteLLM forwards to it), so they are audited one after the
    # other, as a CI matrix would, and merged into one report.
    wall: dict[str, float] = {}
    for name, selection in ((LLAMA, ()), (LITELLM, ()), (BRIDGED, BRIDGED_CHECKS)):
        checks = [arg for pattern in selection for arg in ("--check", pattern)]
        t0 = time.monotonic()
        proc = conformance(["run", "--providers", str(providers), "--provider", name, "--out", str(work / name), *checks], env, work, RUN_TIMEOUT_S)
        wall[name] = time.monotonic() - t0
        assert proc.returncode == 0, f"{proc.stderr[-3000:]}\n{servers.logs()}"
    for server in servers.started:
        assert server.running, f"{server.name} died during the audit\n{servers.logs()}"
    merged = work / "out"
    columns = [str(work / name / "results.json") for name in (LLAMA, LITELLM, BRIDGED)]
    proc = conformance(["report", *columns, "--out", str(merged)], env, work, 120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((merged / "results.json").read_text(encoding="utf-8"))
    summary = (merged / "summary.md").read_text(encoding="utf-8")
    cost = "; ".join(f"{p['name']} {p['requests']} requests, {p['tokens']} tokens" for p in results["providers"])
    times = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in wall.items())
    # Shown with -s, and kept in the pytest tmp dir: the matrix this run produced.
    print(f"\nreal-server audit: {times}; {cost}; reports in {merged}\n{summary}")
    return Audit(
        results, summary, merged, wall, servers.logs(), (servers.llama_key, servers.litellm_key),
        (work / LLAMA, work / LITELLM, work / BRIDGED, merged), responses_lines(servers.llama.log_path),
    )


def test_audit_completes_every_check_for_every_column(audit: Audit) -> None:
    checks = len(audit.results["checks"])
    for name in (LLAMA, LITELLM, BRIDGED):
        mine = [r for r in audit.results["results"] if r["provider"] == name]
        assert len(mine) == (len(BRIDGED_EXPECTED) if name == BRIDGED else checks), name
        crashed = [f"{r['check_id']}: {r['summary']}" for r in mine if r["status"] == "error"]
        assert not crashed, crashed


@dataclass(frozen=True)
class Expect:
    code: str
    """The right verdict's stable code, ``status/reason``; a bare ``status`` where the right reason has
    no code yet (the suite names the wrong one today)."""
    why: str
    """What the server did that makes this the verdict (seen in results.json's exchanges)."""
    phrase: str = ""
    """Optional: must appear in the summary, where it proves the verdict is right for the right reason."""
    also: tuple[str, ...] = ()
    """Other codes as right as ``code``: for a model check whose outcome turns on the run's randomness
    (the why gives the odds measured), or where a fixed check may rightly say either (the why says
    which); never to absorb a protocol verdict that moves."""
    wrong: tuple[str, ...] = ()
    """What the suite says today instead, reported as wrong (the why says what the server really did):
    the test is an xfail while the verdict is one of these."""

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.code, *self.also)

    def right(self, code: str) -> bool:
        return any(code == c or code.split("/", 1)[0] == c for c in self.codes)

    @property
    def decided(self) -> bool:
        """One right code, and the suite gives it: a verdict two columns can be compared on."""
        return not self.also and not self.wrong and "/" in self.code


# Every verdict of the llama.cpp column, pinned.
LLAMA_EXPECTED: dict[str, Expect] = {
    "base_url.v1_path": Expect("pass/answers", "serves /v1/chat/completions"),
    "auth.bearer": Expect("pass/accepted", "--api_key is checked as a Bearer token"),
    "auth.missing_key_rejected": Expect("warn/no_envelope", "401, but FastAPI's {\"detail\"} body, not the envelope", '{"detail":"Invalid API key"}'),
    "auth.invalid_key_rejected": Expect("warn/no_envelope", "the same 401 {\"detail\"} body", '{"detail":"Invalid API key"}'),
    "models.list": Expect("warn/strict_schema", "/v1/models answers; its items lack `created`", "'created' is a required property"),
    "models.configured_present": Expect("pass/listed", "--model_alias is listed"),
    "models.retrieve": Expect("fail/missing", "there is no GET /v1/models/{id} route: 404 {\"detail\":\"Not Found\"} for the served model"),
    "models.unknown_rejected": Expect("fail/served", "any model id is served by the one loaded model, with 200"),
    "chat.basic": Expect("warn/strict_schema", "a valid completion; the message has no `refusal`"),
    "chat.usage": Expect("pass/consistent", "usage counts add up"),
    "chat.multi_turn": Expect("warn/strict_schema", "the history is accepted; no `refusal`"),
    "chat.content_parts": Expect(
        "fail/parts_dropped",
        "the gemma format drops an array content whole (llama_chat_format._map_roles keeps string content only): prompt_tokens 7 with "
        "both parts, fewer than the 24 of the first part alone, so neither part reached the model",
        "the text parts do not reach the model",
    ),
    "chat.history_recall": Expect(
        "warn/not_recalled",
        "the earlier turns reach the model (more prompt_tokens than the last turn alone); whether the base model's rambling echoes "
        "'My code word is X' turns on the random code word: 2 of 16 words measured by hand at temperature 0, so pass/recalled too",
        also=("pass/recalled",),
    ),
    "system.role": Expect("fail/dropped", "the gemma chat format drops system messages: the same prompt_tokens with and without it"),
    "system.developer_role": Expect("fail/server_error", "role developer fails request validation, answered 500, not 400"),
    "vision.image_input": Expect("fail/image_and_text_dropped", "the content array is dropped, text included (fewer prompt_tokens than the text alone)"),
    "tools.auto": Expect("warn/answered_in_text", "no tool calling without a grammar: model behaviour"),
    "tools.none": Expect("warn/strict_schema", "a text reply; no `refusal`"),
    "tools.required": Expect("fail/not_enforced", 'tool_choice "required" is ignored: a text reply'),
    "tools.named": Expect("warn/strict_schema", "a named tool_choice is grammar-forced; no `refusal`", "called get_weather"),
    "tools.roundtrip": Expect("fail/server_error", "an assistant message with content null + tool_calls fails validation, answered 500"),
    "tools.parallel": Expect(
        "warn/fewer_calls", 'tool_choice "required" is ignored (tools.required), so the base model answers in text: 0 calls (model, warn)',
    ),
    "tools.streaming": Expect("pass/assembled", "a grammar-forced call streamed with index and id"),
    "tools.strict": Expect("warn/strict_schema", "the named strict tool is grammar-forced and its arguments validate; no `refusal`"),
    "tools.legacy_functions": Expect("warn/wrong_finish_reason", "function_call is given, but with finish_reason tool_calls"),
    "tools.foreign_call_ids": Expect(
        "skip/prerequisite",
        "behind tools.roundtrip, whose content-null assistant message llama.cpp refuses (500) whatever the id; with content \"\" the "
        "same history with an OpenAI-style id is answered 200 (tried by hand), so the id itself is accepted",
        "prerequisite tools.roundtrip did not pass",
    ),
    "tools.selection": Expect("warn/answered_in_text", "offered three tools, the base model answers in text: model behaviour"),
    "tools.auto_no_call": Expect("warn/strict_schema", "a text reply, no call; no `refusal`"),
    "structured.json_object": Expect("pass/json_object", "json_object is grammar-forced: the content parses as an object"),
    "structured.json_schema": Expect("fail/server_error", "response_format type json_schema fails validation (only text, json_object), answered 500"),
    "params.stop": Expect("warn/did_not_count", "the base model does not count, so the stop word never came due"),
    "params.n": Expect("fail/ignored", "n: 2 returns one choice"),
    "params.logprobs": Expect("pass/present", "logprobs with 2 top_logprobs per token"),
    "params.seed": Expect("pass/reproducible", "the same seed at temperature 1 gives the same reply"),
    "params.temperature": Expect(
        "warn/out_of_range_accepted",
        "n is ignored, so one request per sample: 0 repeats and 1.5 varies, but 2.5 is accepted with 200; the three 1.5 samples of "
        "8 tokens are all the same about 2.5% of the time (the likeliest reply came 13 times in 45), so warn/high_repeats too",
        also=("warn/high_repeats",),
    ),
    "params.optional_fields": Expect("pass/accepted", "every optional field at a neutral value is accepted"),
    "streaming.sse": Expect("pass/well_framed", "sound SSE, every chunk valid"),
    "streaming.done": Expect("pass/done", "the stream ends with [DONE]"),
    "streaming.content": Expect("pass/joined", "content deltas and a finish_reason"),
    "streaming.usage": Expect("fail/ignored", "stream_options.include_usage is ignored"),
    "streaming.errors": Expect("skip/prerequisite", "unknown models are served (models.unknown_rejected fails)"),
    "streaming.incremental": Expect("pass/incremental", "tokens are sent as they are made"),
    "tokens.max_completion_tokens": Expect("fail/ignored", "max_completion_tokens is ignored (it would run to the context limit)", "received > 28 words"),
    "tokens.max_tokens": Expect("pass/enforced", "max_tokens is honoured"),
    "errors.status_codes": Expect("fail/not_4xx", "missing messages → 200; bad JSON and wrong types → 500", "missing `messages` → HTTP 200"),
    "errors.format": Expect("fail/no_envelope", "bad JSON → 500 text/plain", "text/plain"),
    "limits.rate_limit_headers": Expect("warn/no_headers", "no rate limiting, no x-ratelimit-* headers"),
    "limits.retry_after": Expect("skip/no_429", "no 429 in the run"),
    "limits.concurrency": Expect("skip/single_slot", "audited with max_concurrency 1 (a second request cuts a running stream)"),
    "responses.basic": Expect("unsupported/no_responses_api", "no /v1/responses route: 404 {\"detail\":\"Not Found\"}"),
    "responses.instructions": Expect("skip/prerequisite", "no Responses API"),
    "responses.streaming": Expect("skip/prerequisite", "no Responses API"),
    "responses.max_output_tokens": Expect("skip/prerequisite", "no Responses API"),
    "responses.tools": Expect("skip/prerequisite", "no Responses API"),
    "responses.previous_response_id": Expect("skip/prerequisite", "no Responses API"),
    "responses.errors": Expect("skip/prerequisite", "no Responses API"),
    "sdk.chat": Expect("pass/typed_reply", "the SDK builds a typed completion"),
    "sdk.streaming": Expect(
        "warn/no_usage",
        "llama.cpp streams the reply to the 64-token cap (finish_reason length: the completion LengthFinishReasonError carries is "
        "judged) and ignores include_usage, so the helper's final completion has no usage",
    ),
    "sdk.tools": Expect("fail/server_error", "the SDK's round trip sends content null with tool_calls: 500, as in tools.roundtrip"),
    "sdk.responses": Expect("skip/prerequisite", "no Responses API"),
}

# What LiteLLM in front changes, check by check; every other verdict is llama.cpp's, passed through
# (the same request reaches the same llama.cpp, and the same code comes back for the same reason).
LITELLM_CHANGES: dict[str, Expect] = {
    "auth.missing_key_rejected": Expect("pass/rejected", "the gateway's own auth: 401 with the envelope"),
    "auth.invalid_key_rejected": Expect("warn/unusual_status", "a wrong key → 400 no_db_connection (no database configured)", "HTTP 400 instead of 401/403"),
    "models.list": Expect("pass/listed", "the gateway's list has every field (both model names)"),
    "models.retrieve": Expect("warn/unknown_refused_oddly", "the served model is retrieved; an unknown id → 404 with FastAPI's {\"detail\"}, not the envelope"),
    "models.unknown_rejected": Expect("warn/unusual_status", "the gateway refuses unknown ids with 400 (OpenAI: 404), fixing the substitution"),
    "system.developer_role": Expect("fail/dropped", "LiteLLM turns developer into system for an openai/ upstream, which the gemma format drops"),
    "tools.roundtrip": Expect("fail/server_error", "llama.cpp's 500 for the content-null assistant message is passed on"),
    "tools.foreign_call_ids": Expect(
        "skip/prerequisite",
        "as on llama.cpp: behind tools.roundtrip, failed by llama.cpp's content-null 500 passed on; with content \"\" the same foreign "
        "id is answered 200 through the gateway (tried by hand)",
        "prerequisite tools.roundtrip did not pass",
    ),
    "structured.json_schema": Expect("fail/server_error", "llama.cpp's 500 for type json_schema is passed on"),
    "streaming.sse": Expect("warn/strict_schema", "chunks omit finish_reason until the last (strict spec only)", "'finish_reason' is a required property"),
    "streaming.content": Expect("warn/strict_schema", "the same strict-only deviation", "'finish_reason' is a required property"),
    "streaming.usage": Expect("warn/choices_not_empty", "the gateway adds the usage chunk, with choices [{index, delta: {}}]"),
    "streaming.errors": Expect("pass/refused_before_stream", "an unknown model is refused (400, envelope) before any stream starts"),
    "errors.status_codes": Expect(
        "fail/not_4xx", "bad JSON, missing and string messages now 400; temperature as a string still reaches llama.cpp → 500",
        "`temperature` as a string → HTTP 500",
    ),
    "errors.format": Expect("pass/envelope", "the gateway wraps every error in the envelope"),
    "responses.basic": Expect("unsupported/no_responses_api", "forwarded upstream as /v1/responses: llama.cpp's 404 relayed in LiteLLM's envelope"),
    "sdk.streaming": Expect(
        "pass/assembled",
        "the gateway streams the reply to the 64-token cap (finish_reason length: the completion LengthFinishReasonError carries is "
        "judged) and adds the usage chunk, which the helper assembles",
    ),
    "sdk.tools": Expect("fail/server_error", "the SDK's content-null round trip reaches llama.cpp without `content`: its 500 KeyError is passed on"),
}
LITELLM_EXPECTED = {**LLAMA_EXPECTED, **LITELLM_CHANGES}

# The bridged model name, Responses API only: LiteLLM answers /v1/responses itself, from chat completions.
BRIDGED_EXPECTED: dict[str, Expect] = {
    "responses.basic": Expect(
        "warn/strict_schema",
        "a Response made from a chat completion: status incomplete, incomplete_details max_output_tokens, output_tokens 64, because "
        "the base model runs to the suite's own max_output_tokens 64 (at_cap, as OpenAI reports a capped reply); strict-only deviations "
        "(no logprobs on output_text, null usage details, null user)",
        "the reply reached the request's max_output_tokens",
    ),
    "responses.instructions": Expect(
        "fail/dropped", "instructions become a system message, which the gemma format drops: input_tokens 12 with and without them",
    ),
    "responses.streaming": Expect(
        "warn/no_event_lines",
        "named events in order, numbered, deltas joining into the text, ending at response.incomplete (the suite's 64-token cap) and "
        "[DONE], with no `event:` lines (the first warning the check reaches; the [DONE] would be the next)",
    ),
    "responses.max_output_tokens": Expect(
        "pass/enforced", "max_output_tokens 16 gives status incomplete (max_output_tokens), output_tokens 16",
    ),
    "responses.tools": Expect(
        "fail/server_error",
        "the named function tool gives a function_call item (grammar-forced upstream), but the function_call_output round trip becomes "
        "a content-null assistant message upstream: llama.cpp's 500, relayed as LiteLLM's 500 'content'",
    ),
    "responses.previous_response_id": Expect(
        "fail/ignored", "without a database the proxy stores nothing: input_tokens 22 with previous_response_id and without it",
    ),
    "responses.errors": Expect(
        "fail/server_error", "a body that is not JSON → 400 envelope, but input as a number → 500 ('int' object is not iterable)",
    ),
    "sdk.responses": Expect(
        "pass/typed_reply",
        "responses.create gives a typed (capped) Response with output_text; the stream ends at response.incomplete (the suite's own "
        "cap), and the incomplete response it carries is judged in place of the helper's RuntimeError",
    ),
}


def expectation_cases() -> list[tuple[str, str, Expect]]:
    columns = ((LLAMA, LLAMA_EXPECTED), (LITELLM, LITELLM_EXPECTED), (BRIDGED, BRIDGED_EXPECTED))
    return [(name, check_id, e) for name, expected in columns for check_id, e in expected.items()]


@pytest.mark.parametrize(("provider", "check_id", "expect"), expectation_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_verdict(audit: Audit, provider: str, check_id: str, expect: Expect) -> None:
    verdict = audit.verdict(provider, check_id)
    code = f"{verdict['status']}/{verdict['reason']}"
    if code in expect.wrong:
        pytest.xfail(f"KNOWN WRONG, reported: {provider} {check_id} says {code}; right: {' or '.join(expect.codes)} ({expect.why})")
    assert (expect.right(code), expect.phrase in verdict["summary"]) == (True, True), (
        f"{provider} {check_id}: expected {' or '.join(expect.codes)} ({expect.why})"
        + (f" with {expect.phrase!r} in the summary" if expect.phrase else "")
        + f", got {code}: {verdict['summary']}\n{audit.logs}"
    )


def test_every_check_is_pinned() -> None:
    from conformance.checklist import all_checks

    ids = [c.id for c in all_checks()]
    assert sorted(LLAMA_EXPECTED) == sorted(ids)
    assert set(LITELLM_CHANGES) <= set(ids)
    assert sorted(BRIDGED_EXPECTED) == sorted(c for c in ids if c.startswith("responses.") or c == "sdk.responses")
    for expected in (LLAMA_EXPECTED, LITELLM_EXPECTED, BRIDGED_EXPECTED):
        assert not [c for c, e in expected.items() if set(e.wrong) & set(e.codes)], "a code pinned both right and wrong"


def test_what_the_gateway_fixes_and_breaks(audit: Audit) -> None:
    """The two full columns differ exactly where LiteLLM changes the protocol, nowhere else (a check
    the model may decide either way, or one the suite gets wrong today, is left to its pins)."""
    def code(provider: str, check_id: str) -> str:
        verdict = audit.verdict(provider, check_id)
        return f"{verdict['status']}/{verdict['reason']}"

    decided = [c for c, e in LLAMA_EXPECTED.items() if e.decided and LITELLM_EXPECTED[c].decided]
    differ = {check_id for check_id in decided if code(LLAMA, check_id) != code(LITELLM, check_id)}
    assert differ == {c for c in decided if LITELLM_EXPECTED[c].code != LLAMA_EXPECTED[c].code}


def test_what_each_column_does_for_the_responses_api(audit: Audit) -> None:
    """POST /v1/responses, as the audit met it. llama.cpp has no such route (404, FastAPI's body).
    LiteLLM's plain name forwards the request upstream as it is and relays that 404 in its own
    envelope. The bridged name (use_chat_completions_api: true) answers a Response itself, made
    from a chat completion: llama.cpp's access log holds only the two 404s the other columns
    caused, so nothing of the bridged column reached it as /v1/responses."""
    from tests.realserver.servers import BRIDGED_ALIAS

    def first_exchange(provider: str) -> dict[str, Any]:
        return audit.verdict(provider, "responses.basic")["exchanges"][0]

    llama = first_exchange(LLAMA)["response"]
    assert (llama["status"], json.loads(llama["body"])) == (404, {"detail": "Not Found"})

    gateway = first_exchange(LITELLM)["response"]
    error = json.loads(gateway["body"])["error"]
    assert gateway["status"] == 404 and error["code"] == "404", gateway
    assert 'OpenAIException - {"detail":"Not Found"}' in error["message"], error  # the upstream's own body, relayed

    bridged = first_exchange(BRIDGED)
    response = json.loads(bridged["response"]["body"])
    assert bridged["response"]["status"] == 200, bridged["response"]
    assert (response["object"], response["model"], response["status"]) == ("response", BRIDGED_ALIAS, "incomplete")
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["usage"]["output_tokens"] == bridged["request"]["body"]["max_output_tokens"]  # the cap, reached

    assert len(audit.upstream_responses) == 2, audit.upstream_responses
    assert all('"POST /v1/responses HTTP/1.1" 404' in line for line in audit.upstream_responses), audit.upstream_responses


def sdk_stream_ends(audit: Audit, provider: str, check_id: str) -> list[str]:
    """How each stream the SDK read for ``check_id`` ended: the chat chunks' finish_reasons, or the
    Responses events' terminal type (none if the check sent no stream, e.g. it was skipped)."""
    ends = []
    for exchange in audit.verdict(provider, check_id)["exchanges"]:
        lines = (exchange.get("response") or {}).get("sse_lines") or []
        events = [json.loads(line[5:]) for line in lines if line.startswith("data:") and line[5:].strip().startswith("{")]
        if not events:
            continue
        reasons = [c.get("finish_reason") for e in events for c in e.get("choices") or [] if c.get("finish_reason")]
        ends.append(reasons[-1] if reasons else events[-1].get("type") or "no finish_reason")
    return ends


def test_the_sdk_streams_are_not_cut_by_the_suite(audit: Audit) -> None:
    """max_concurrency 1 keeps each request of a column alone at llama.cpp, whose next request ends
    the stream in progress. The SDK's streams hold their slot until their body is closed, like the
    suite's own (before cefc563 they let it go at the headers, and the next check's request cut
    them: llama.cpp ended them after the role chunk, LiteLLM closed them as `stop` or
    `response.completed` with a few tokens). Uncut, this base model always runs to the suite's
    64-token cap: `length`, or `response.incomplete`."""
    ends = {
        f"{provider} {check_id}": (sdk_stream_ends(audit, provider, check_id), full)
        for provider, check_id, full in ((LLAMA, "sdk.streaming", "length"), (LITELLM, "sdk.streaming", "length"),
                                         (BRIDGED, "sdk.responses", "response.incomplete"))
    }
    assert all(seen and all(end == full for end in seen) for seen, full in ends.values()), ends


def test_litellm_by_default_cools_the_model_down_after_a_responses_404(servers: Servers, audit: Audit) -> None:
    """Why the audited proxy sets router_settings.disable_cooldowns: with LiteLLM's defaults, one
    /v1/responses request for the plain name (llama.cpp answers 404, which LiteLLM does not retry)
    puts that deployment in a 5 s cooldown, and every request for the model meanwhile is 429
    all_deployments_in_cooldown with Retry-After. The bridged name is another deployment: unaffected.
    Runs after the audit (it depends on it), so nothing else talks to llama.cpp meanwhile."""
    from tests.realserver.servers import BRIDGED_ALIAS, MODEL_ALIAS, start_litellm

    proxy, base = start_litellm(servers.llama_base, servers.llama_key, servers.litellm_key, servers.work, name="litellm-default", cooldowns=True)
    servers.started.append(proxy)
    try:
        headers = {"authorization": f"Bearer {servers.litellm_key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60, trust_env=False) as client:
            def chat(model: str) -> httpx.Response:
                return client.post("/chat/completions", json={"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})

            assert chat(MODEL_ALIAS).status_code == 200
            assert client.post("/responses", json={"model": MODEL_ALIAS, "input": "Hi", "max_output_tokens": 16}).status_code == 404
            cooled = chat(MODEL_ALIAS)
            assert cooled.status_code == 429, cooled.text
            assert cooled.json()["error"]["type"] == "all_deployments_in_cooldown", cooled.text
            assert re.fullmatch(r"\d+", cooled.headers.get("retry-after", "")), dict(cooled.headers)
            assert chat(BRIDGED_ALIAS).status_code == 200
    finally:
        proxy.stop()


def test_an_ignored_limit_is_found_in_seconds(audit: Audit) -> None:
    """llama.cpp ignores max_completion_tokens and would generate to the context limit (2,048
    tokens, minutes); the streamed check closes the stream as soon as the reply clearly exceeds the
    limit: a few dozen events (1.4 s on an idle machine, 38 s on a busy one), not thousands."""
    for provider in (LLAMA, LITELLM):
        verdict = audit.verdict(provider, "tokens.max_completion_tokens")
        streamed = [e for e in verdict["exchanges"] if "(streamed)" in e["label"]]
        assert streamed and streamed[0]["error"] == "client closed the stream early (enough evidence)"
        events = [line for line in streamed[0]["response"]["sse_lines"] if line.startswith("data:")]
        assert len(events) < 100, len(events)
        assert streamed[0]["elapsed_ms"] < 120_000, streamed[0]["elapsed_ms"]


def test_a_full_run_stays_cheap_on_the_real_model(audit: Audit) -> None:
    """The default budget (short prompts, 64-token replies, temperature 0) on a real model:
    the README quotes these counters. Measured on 60 checks (two runs): llama-cpp 65 requests and
    2,066-2,067 tokens, litellm 62 requests and 2,215 tokens (its usage is LiteLLM's own count; both
    3 requests fewer since tools.foreign_call_ids waits for tools.roundtrip: its 500, tried three
    times, is no longer sent), the bridged column's 8 checks 18 requests and 650 tokens (retried
    500s included)."""
    for provider in (LLAMA, LITELLM):
        run = audit.provider(provider)
        assert 50 <= run["requests"] <= 110, run
        assert 1_500 <= run["tokens"] <= 4_000, run
    bridged = audit.provider(BRIDGED)
    assert 10 <= bridged["requests"] <= 30, bridged  # every responses.* check runs: none is skipped behind responses.basic
    assert 300 <= bridged["tokens"] <= 1_500, bridged
    assert sum(audit.wall_s.values()) < 60 * 60, audit.wall_s


def test_no_key_reaches_any_report(audit: Audit) -> None:
    """Both keys (llama.cpp's, which LiteLLM also holds as its upstream key, and the master key)."""
    texts = {f"{d.name}/{p.name}": p.read_text(encoding="utf-8") for d in audit.reports for p in d.iterdir() if p.is_file()}
    assert len(texts) >= 16
    for key in audit.keys:
        for name, text in texts.items():
            assert_no_key_slice(text, key, name)

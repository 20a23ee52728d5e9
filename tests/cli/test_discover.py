"""`conformance discover BASE_URL` over loopback against flavours of the reference provider.

Each case gives discover a URL (and a key, by --key-env) and holds it to what it must find: where
the API lives, how it wants the key, a demanded query parameter, the models, whether /responses
answers. Every request is printed as a numbered line, the count stays within a bound, and the key
never appears in the output. The printed entries, pasted into one providers.yaml, then audit
cleanly with `conformance run` (and `discover --run` audits its own entry).

The request bound, per case, follows from discover's method: locating costs one GET /models per
base form (given, with or without /v1, at most 3) and key style (Bearer, api-key:, x-api-key:),
stopping at the first that answers (+1 with a query parameter the error names); without any
GET /models, one chat probe per base form where the key was taken; then the listing (unless the
locating GET already gave it), one one-token chat request per model tried (--max-models, 3 by
default; the reference lists 2) and one POST /responses. No case may send more than 12.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.cli import ExitCode, main
from conformance.reference import EmbeddedServer, create_app
from conformance.reference.flavour import Flavour
from tests.support.keys import assert_no_key_slice, planted_key
from tests.support.reference import NOTHING_TO_JUDGE

KEY = planted_key()
KEY_ENV = "CONFORMANCE_DISCOVER_TEST_KEY"
MAX_REQUESTS = 12
"""No discovery in this file may send more requests than this (see the module docstring)."""
FLAVOURS = ("", "no_v1", "api_key_header", "query_param_required", "models_absent", "responses_absent")
"""The servers the cases need ("": the plain reference provider), each demanding KEY."""
BOTH_MODELS = "2 model(s): reference-chat, reference-vision"
NUMBERED = re.compile(r"^ +(\d+)\. (GET|POST) (\S+) \(([^)]*)\) → (HTTP \d{3}|.+?)   \[(.+)\]$")
SUMMARY = re.compile(r"^  (API at|key sent as|query|GET /models|answering|vision hint|/responses): +(.*)$")
NO_VISION = {"vision.image_input": "skip/no_model"}
"""What every audit of a printed entry shows besides passes: the vision model is only a commented hint."""
KEY_DEPENDENT = ("auth.bearer", "auth.missing_key_rejected", "auth.invalid_key_rejected", "chat.basic", "streaming.sse", "tools.auto")
"""Checks that pass only if the entry's key, auth style, query and base URL all work."""
TIMING_CHECKS = ("streaming.incremental", "limits.concurrency")
RESPONSES_DEPENDENTS = (
    "responses.instructions", "responses.streaming", "responses.max_output_tokens", "responses.tools",
    "responses.previous_response_id", "responses.errors", "sdk.responses",
)


@dataclass(frozen=True)
class Case:
    """One discovery and what it must find; ``{root}`` in a URL is the server's root URL."""

    id: str
    flavour: str
    given: str
    api: str
    """The base URL discover must settle on."""
    max_requests: int
    key_as: str = "Authorization: Bearer"
    query: str = "none needed"
    listed: str = BOTH_MODELS
    answering: str = "reference-chat, reference-vision"
    responses: str = "answers"
    args: tuple[str, ...] = ()
    entry: dict[str, Any] = field(default_factory=dict)
    """The entry's fields besides name, base_url, api_key and models."""
    notes: tuple[str, ...] = ()
    audit: dict[str, str] | None = field(default_factory=lambda: dict(NO_VISION))
    """check id → code for every non-pass verdict of a run of the printed entry (beyond
    NOTHING_TO_JUDGE); None: the entry is not one to run (no model, or no key)."""


CASES = [
    Case("root_url", "", "{root}", "{root}/v1", max_requests=5),
    Case("v1_url", "", "{root}/v1", "{root}/v1", max_requests=4),
    Case("doubled_v1", "", "{root}/v1/v1/", "{root}/v1", max_requests=5),
    Case("no_v1", "no_v1", "{root}/v1", "{root}", max_requests=5),
    Case(
        "api_key_header", "api_key_header", "{root}/v1", "{root}/v1", max_requests=6, key_as="`api-key:` header",
        entry={"auth": {"header": "api-key"}},
        # The entry sends the key where the server wants it; auth.bearer still reports that OpenAI clients send Bearer.
        audit={**NO_VISION, "auth.bearer": "fail/other_header_works"},
    ),
    Case(
        "query_param_required", "query_param_required", "{root}/v1", "{root}/v1", max_requests=5, query="api-version=2024-10-21",
        entry={"query": {"api-version": "2024-10-21"}},
    ),
    Case(
        "models_absent", "models_absent", "{root}", "{root}/v1", max_requests=10, listed="absent", answering="reference-chat",
        args=("--model", "reference-chat"), notes=("GET /models lists nothing usable (HTTP 404)",),
        audit={
            **NO_VISION, "models.list": "unsupported/clean_4xx",
            "models.configured_present": "skip/prerequisite", "models.retrieve": "skip/prerequisite",
        },
    ),
    Case(
        "models_absent_no_model", "models_absent", "{root}", "{root}/v1", max_requests=8, listed="absent", answering="none of none tried",
        responses="not tried", notes=("GET /models lists nothing usable (HTTP 404)", "no model to try: pass --model ID"), audit=None,
    ),
    Case(
        "responses_absent", "responses_absent", "{root}/v1", "{root}/v1", max_requests=4, responses="HTTP 404",
        audit={
            **NO_VISION, "responses.basic": "unsupported/no_responses_api", **dict.fromkeys(RESPONSES_DEPENDENTS, "skip/prerequisite"),
        },
    ),
]
BY_ID = {case.id: case for case in CASES}


@dataclass(frozen=True)
class Discovered:
    """What one `conformance discover` printed, taken apart."""

    code: int
    out: str
    err: str
    requests: list[tuple[str, str, str, str, str]]
    """(method, URL, how the key went, answer, why) per numbered line."""
    sent: int
    summary: dict[str, str]
    notes: list[str]
    entry: str


class Served:
    """A reference app that notes each request it gets (method and path), to compare with what discover printed."""

    def __init__(self, flavour: str) -> None:
        self.app: ASGIApp = create_app(api_key=KEY, flavour=Flavour(frozenset({flavour} - {""})))
        self.seen: list[tuple[str, str]] = []
        self.root = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def roots() -> Iterator[dict[str, Served]]:
    """Flavour → a running reference server of that flavour demanding KEY."""
    with ExitStack() as stack:
        served = {name: Served(name) for name in FLAVOURS}
        for app in served.values():
            app.root = stack.enter_context(EmbeddedServer(app=app)).root_url
        yield served


@pytest.fixture
def with_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def discover(capsys: pytest.CaptureFixture[str], *args: str) -> Discovered:
    capsys.readouterr()
    code = main(["discover", *args])
    captured = capsys.readouterr()
    out = captured.out
    requests = [(m[2], m[3], m[4], m[5], m[6]) for line in out.splitlines() if (m := NUMBERED.match(line))]
    numbers = [int(m.group(1)) for line in out.splitlines() if (m := NUMBERED.match(line))]
    assert numbers == list(range(1, len(numbers) + 1)), out
    sent = re.search(r"^summary \((\d+) request\(s\) sent\)$", out, re.MULTILINE)
    summary = {m.group(1): m.group(2) for line in out.splitlines() if (m := SUMMARY.match(line))}
    notes = [line.removeprefix("  note: ") for line in out.splitlines() if line.startswith("  note: ")]
    _, _, entry = out.partition("\nproviders.yaml entry:\n\n")
    return Discovered(code, out, captured.err, requests, int(sent.group(1)) if sent else -1, summary, notes, entry)


def run_case(case: Case, roots: dict[str, Served], capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[Discovered, str]:
    root = roots[case.flavour].root
    found = discover(capsys, case.given.format(root=root), "--key-env", KEY_ENV, "--name", case.id, *case.args, *extra)
    return found, root


def printed_paths(found: Discovered, root: str) -> list[tuple[str, str]]:
    return [(method, url.removeprefix(root).partition("?")[0]) for method, url, _, _, _ in found.requests]


def expected_entry(case: Case, root: str) -> dict[str, Any]:
    provider = {"name": case.id, "base_url": case.api.format(root=root), "api_key": f"${{{KEY_ENV}}}", **case.entry}
    provider["models"] = {"chat": case.answering.split(",")[0] if case.audit is not None else "SET-ME"}
    return {"providers": [provider]}


# --- what discover finds -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_discover_finds(roots: dict[str, Served], capsys: pytest.CaptureFixture[str], with_key: None, case: Case) -> None:
    server = roots[case.flavour]
    before = len(server.seen)
    found, root = run_case(case, roots, capsys)
    assert found.code == ExitCode.OK, found.err
    api = case.api.format(root=root)
    assert found.summary == {
        "API at": api,
        "key sent as": case.key_as,
        "query": case.query,
        "GET /models": case.listed,
        "answering": case.answering,
        "vision hint": "reference-vision" if case.listed == BOTH_MODELS else "none",
        "/responses": case.responses,
    }
    assert found.notes == list(case.notes)
    # Every request is printed, numbered, with where it went and how the key was sent: the server got exactly those.
    assert len(found.requests) == found.sent <= case.max_requests <= MAX_REQUESTS
    assert server.seen[before:] == printed_paths(found, root)
    assert found.out.startswith(f"discovering {case.given.format(root=root)}\n")
    assert all(url.startswith(root + "/") for _, url, _, _, _ in found.requests)
    # From the first request that succeeded on, the key goes as found.
    answered = next((i for i, (_, _, _, answer, _) in enumerate(found.requests) if answer == "HTTP 200"), len(found.requests))
    style = {"Authorization: Bearer": "Authorization: Bearer", "`api-key:` header": "api-key: header"}[case.key_as]
    assert all(how == style and url.startswith(api + "/") for _, url, how, _, _ in found.requests[answered:])
    method, url, _, answer, _ = found.requests[-1]
    if case.responses != "not tried":
        query = f"?{case.query}" if case.query != "none needed" else ""
        assert (method, url, answer) == ("POST", f"{api}/responses{query}", case.responses.replace("answers", "HTTP 200"))
    # The entry, ready to paste, and no trace of the key anywhere.
    assert yaml.safe_load(found.entry) == expected_entry(case, root)
    assert_no_key_slice(found.out + found.err, KEY, f"discover output ({case.id})")


def test_the_plain_server_gives_one_entry_whatever_the_v1_in_the_url(
    roots: dict[str, Served], capsys: pytest.CaptureFixture[str], with_key: None
) -> None:
    entries = {case: run_case(BY_ID[case], roots, capsys)[0].entry.replace(f"name: {case}\n", "name: X\n")
               for case in ("root_url", "v1_url", "doubled_v1")}
    assert len(set(entries.values())) == 1, entries


def test_query_parameter_is_read_from_the_error_and_sent_on_every_later_request(
    roots: dict[str, Served], capsys: pytest.CaptureFixture[str], with_key: None
) -> None:
    found, root = run_case(BY_ID["query_param_required"], roots, capsys)
    (first, *later) = found.requests
    assert first[:2] == ("GET", f"{root}/v1/models") and first[3] == "HTTP 400"
    assert later and all(url.endswith("?api-version=2024-10-21") and answer == "HTTP 200" for _, url, _, answer, _ in later)


def test_api_key_header_is_found_after_bearer_is_refused(roots: dict[str, Served], capsys: pytest.CaptureFixture[str], with_key: None) -> None:
    found, root = run_case(BY_ID["api_key_header"], roots, capsys)
    bearer = [(url, answer) for _, url, how, answer, _ in found.requests if how == "Authorization: Bearer"]
    assert (f"{root}/v1/models", "HTTP 401") in bearer
    assert [answer for _, _, how, answer, _ in found.requests if how == "api-key: header"] == ["HTTP 200"] * 4


def test_no_key_for_a_server_that_needs_one(roots: dict[str, Served], capsys: pytest.CaptureFixture[str]) -> None:
    """Without --key-env, a server that answers 401 must get a note saying a key is needed (and how
    to give it), not one blaming a key that was never sent."""
    server = roots[""]
    root, before = server.root, len(server.seen)
    found = discover(capsys, f"{root}/v1")
    assert found.code == ExitCode.OK, found.err
    assert 0 < len(found.requests) == found.sent <= 3
    assert server.seen[before:] == printed_paths(found, root)
    assert all(how == "no key" for _, _, how, _, _ in found.requests)
    assert (f"{root}/v1/models", "HTTP 401") in [(url, answer) for _, url, _, answer, _ in found.requests]
    assert any("--key-env" in note for note in found.notes), found.notes
    assert not any("check the key itself" in note for note in found.notes), found.notes
    assert found.summary["key sent as"] == "no key"
    entry = yaml.safe_load(found.entry)["providers"][0]
    assert "api_key" not in entry and entry["models"] == {"chat": "SET-ME"}
    # The 401 at /v1 beside a 404 at the root says where the API is.
    assert found.summary["API at"] == f"{root}/v1"


# --- the printed entries audit cleanly -------------------------------------------------------------


def non_pass(results: list[dict[str, Any]], provider: str) -> dict[str, str]:
    """The provider's verdicts other than pass, nothing to judge, and a timing check's warning (the servers
    share this process with the run, so a busy machine can bunch a stream; a fail still shows)."""
    codes = {r["check_id"]: f"{r['status']}/{r['reason']}" for r in results if r["provider"] == provider}
    assert codes, f"no verdicts for {provider}"
    return {
        check: code for check, code in codes.items()
        if not code.startswith("pass/") and code not in NOTHING_TO_JUDGE and not (check in TIMING_CHECKS and code.startswith("warn/"))
    }


def assert_audited(results: list[dict[str, Any]], case: Case) -> None:
    """The run of the case's entry gave its expected verdicts, and the checks that need the key to
    have gone over the wire as the entry says (at the base URL, with the query) all pass."""
    assert non_pass(results, case.id) == case.audit
    passed = {r["check_id"] for r in results if r["provider"] == case.id and r["status"] == "pass"}
    assert set(KEY_DEPENDENT) - passed == ({"auth.bearer"} if case.id == "api_key_header" else set())


def test_printed_entries_audit_cleanly(
    roots: dict[str, Served], capsys: pytest.CaptureFixture[str], with_key: None, tmp_path: Path
) -> None:
    """Every runnable entry pasted into one providers.yaml and run: exit 0 and the expected verdicts.
    (The plain server's three URLs give one entry; query_param_required's is audited by --run below.)"""
    audited = [case for case in CASES if case.audit is not None and case.id not in ("v1_url", "doubled_v1", "query_param_required")]
    entries = [run_case(case, roots, capsys)[0].entry for case in audited]
    assert all(entry.startswith("providers:\n") for entry in entries)
    providers = tmp_path / "providers.yaml"
    providers.write_text("providers:\n" + "".join(entry.removeprefix("providers:\n") for entry in entries), encoding="utf-8")
    out = tmp_path / "out"
    code = main(["run", "--providers", str(providers), "--out", str(out), "--no-color"])
    printed = capsys.readouterr()
    assert code == ExitCode.OK, printed.err
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))["results"]
    for case in audited:
        assert_audited(results, case)
    assert_no_key_slice(printed.out + printed.err + (out / "results.json").read_text(encoding="utf-8"), KEY, "the audit")


def test_discover_run_audits_its_entry(roots: dict[str, Served], capsys: pytest.CaptureFixture[str], with_key: None, tmp_path: Path) -> None:
    case = BY_ID["query_param_required"]
    out = tmp_path / "run"
    found, _ = run_case(case, roots, capsys, "--run", "--out", str(out), "--no-color")
    assert found.code == ExitCode.OK, found.err
    assert found.summary["query"] == "api-version=2024-10-21"
    assert_audited(json.loads((out / "results.json").read_text(encoding="utf-8"))["results"], case)
    assert "cost: " in found.out and str(out / "results.json") in found.out
    assert_no_key_slice(found.out + found.err, KEY, "discover --run")


# --- usage errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://api.example.com/v1", "api.example.com/v1", "http://", "file:///etc/passwd"])
def test_base_url_must_be_http_or_https(capsys: pytest.CaptureFixture[str], url: str) -> None:
    assert main(["discover", url]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"conformance: error: BASE_URL {url!r} is not accepted: give http:// or https:// and a host, e.g. https://api.example.com/v1\n"
    )


def test_key_env_must_name_a_set_variable(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONFORMANCE_DISCOVER_UNSET", raising=False)
    # Refused before any request: the URL is never contacted.
    assert main(["discover", "http://127.0.0.1:9/v1", "--key-env", "CONFORMANCE_DISCOVER_UNSET"]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "conformance: error: --key-env CONFORMANCE_DISCOVER_UNSET: the environment variable CONFORMANCE_DISCOVER_UNSET is not set\n"
    )
    monkeypatch.setenv("CONFORMANCE_DISCOVER_UNSET", "")
    assert main(["discover", "http://127.0.0.1:9/v1", "--key-env", "CONFORMANCE_DISCOVER_UNSET"]) == ExitCode.USAGE
    assert capsys.readouterr().err.endswith("the environment variable CONFORMANCE_DISCOVER_UNSET is empty\n")
    assert main(["discover", "http://127.0.0.1:9/v1", "--key-env", "NOT-A-NAME"]) == ExitCode.USAGE
    assert "is not an environment variable name" in capsys.readouterr().err

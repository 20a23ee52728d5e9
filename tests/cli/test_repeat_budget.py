"""--repeat N (flaky checks are warn "flaky k/N", stably) and --max-tokens-total N (the run stops
starting requests, keeps partial results and still writes every report), through the command line
against the embedded reference provider. The units behind them: tests/unit/test_repeat_budget.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.checklist import all_checks
from conformance.cli import ExitCode, main
from tests.support.reference import NOTHING_TO_JUDGE

REPORTS = ["junit.xml", "report.html", "results.json", "summary.md"]


def providers(tmp_path: Path, base_url: str, settings: str) -> Path:
    path = tmp_path / "providers.yaml"
    path.write_text(
        f"providers:\n  - name: llm\n    base_url: {base_url}\n    models: {{chat: reference-chat, vision: reference-vision}}\n"
        f"    settings: {{{settings}}}\n",
        encoding="utf-8",
    )
    return path


Load = Callable[[Path], dict[str, Any]]


@pytest.fixture
def load(results_validator: jsonschema.Draft202012Validator) -> Load:
    """``load(out)``: the run's results.json, validated against the results schema."""

    def read(out: Path) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((out / "results.json").read_text(encoding="utf-8"))
        results_validator.validate(data)
        return data

    return read


# --- --repeat ------------------------------------------------------------------------------------
# flaky_every_other answers every 2nd chat request 503. base_url.v1_path sends one chat request and
# has no prerequisite, so with one request at a time and no retry, run k meets request k: the
# check works in runs 1 and 3 and is unavailable in runs 2 and 4, deterministically.
FLAKY = "embedded:reference?deviate=flaky_every_other"
ONE_AT_A_TIME_NO_RETRY = "max_concurrency: 1, max_retries: 0"


def test_a_flaky_check_is_warn_flaky_k_of_n(tmp_path: Path, capsys: pytest.CaptureFixture[str], load: Load) -> None:
    path = providers(tmp_path, FLAKY, ONE_AT_A_TIME_NO_RETRY)
    out = tmp_path / "out"
    assert main(["run", "--providers", str(path), "--check", "base_url.v1_path", "--repeat", "4", "--out", str(out)]) == ExitCode.OK
    data = load(out)
    (verdict,) = data["results"]
    assert verdict["status"] == "warn"
    assert verdict["runs"] == ["pass", "error", "pass", "error"]
    assert verdict["summary"].startswith("flaky 2/4: worked in 2 of 4 runs (2 pass, 2 error); run 2: error: ")
    assert "provider unavailable: HTTP 503 after 1 attempt" in verdict["summary"]
    assert verdict["notes"][:4] == [
        f"run {i}/4: {status}: " + verdict["notes"][i - 1].split(": ", 2)[2] for i, status in enumerate(verdict["runs"], start=1)
    ]
    assert "the evidence shown is from run 2" in verdict["notes"]
    assert verdict["exchanges"][0]["response"]["status"] == 503  # the evidence of the failing run
    assert data["providers"][0]["requests"] == 4
    assert any("each check ran 4 times" in note for note in data["run"]["notes"])


def test_the_flaky_verdict_does_not_flap_between_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str], load: Load) -> None:
    """Without --repeat this check passes or errors depending on luck; with it, two CI runs agree,
    and the gate (allow warn by default) holds both times."""
    path = providers(tmp_path, FLAKY, ONE_AT_A_TIME_NO_RETRY)
    seen = []
    for attempt in range(2):
        out = tmp_path / f"out{attempt}"
        args = ["run", "--providers", str(path), "--check", "base_url.v1_path", "--repeat", "2", "--out", str(out)]
        assert main([*args, "--require", "base_url.v1_path"]) == ExitCode.OK
        seen.append((load(out)["results"][0]["status"], load(out)["results"][0]["runs"]))
    assert seen == [("warn", ["pass", "error"])] * 2
    capsys.readouterr()
    # A policy that does not allow warn turns flakiness into a broken gate, naming it.
    args = ["run", "--providers", str(path), "--check", "base_url.v1_path", "--repeat", "2", "--out", str(tmp_path / "o")]
    (tmp_path / "strict.yaml").write_text(
        path.read_text(encoding="utf-8") + "requirements:\n  require: [base_url.*]\n  allow: {warn: false}\n", encoding="utf-8"
    )
    args[2] = str(tmp_path / "strict.yaml")
    assert main(args) == ExitCode.GATE
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("gate: llm/"))
    assert line.startswith("gate: llm/base_url.v1_path is warn (required by strict.yaml:7 'base_url.*'; allowed: pass): flaky 1/2:")


def test_repeat_on_a_steady_provider_keeps_its_verdicts(tmp_path: Path, load: Load) -> None:
    path = providers(tmp_path, "embedded:reference", "max_concurrency: 4")
    out = tmp_path / "out"
    assert main(["run", "--providers", str(path), "--check", "tools.*", "--repeat", "2", "--out", str(out)]) == ExitCode.OK
    results = load(out)["results"]
    assert {r["status"] for r in results} == {"pass"}
    assert all(r["runs"] == ["pass", "pass"] and r["summary"].endswith("(same verdict in 2/2 runs)") for r in results)


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_repeat_must_be_a_positive_whole_number(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["run", "--repeat", value])
    assert stop.value.code == 2
    assert "--repeat" in capsys.readouterr().err


# --- --max-tokens-total --------------------------------------------------------------------------
def test_budget_stop_keeps_partial_results_and_writes_every_report(tmp_path: Path, capsys: pytest.CaptureFixture[str], load: Load) -> None:
    # One request at a time, so the stop is prompt: in-flight requests are the only overshoot.
    path = providers(tmp_path, "embedded:reference", "max_concurrency: 1")
    out = tmp_path / "out"
    assert main(["run", "--providers", str(path), "--max-tokens-total", "60", "--out", str(out), "--no-color"]) == ExitCode.OK
    captured = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == REPORTS
    data = load(out)
    statuses = {r["check_id"]: r["status"] for r in data["results"]}
    assert len(statuses) == len(all_checks())
    passed = [c for c, s in statuses.items() if s == "pass"]
    stopped = [r for r in data["results"] if "token budget of 60 reached" in r["summary"]]
    assert passed and stopped, statuses
    assert all(r["status"] == "error" for r in stopped)
    not_applicable = {c for c, s in statuses.items() if s == "skip"}  # no vision model; one slot, so no concurrency check
    assert set(passed) | {r["check_id"] for r in stopped} | not_applicable == set(statuses)
    assert not_applicable <= {"vision.image_input", "limits.concurrency", "limits.retry_after"}
    provider = data["providers"][0]
    # The stop happened as soon as the count reached the budget: one request (the largest, a
    # 64-token reply with its prompt, is under 100 tokens) may have been in flight, and far fewer
    # requests were sent than a full run's.
    assert 60 <= provider["tokens"] < 160 and provider["requests"] < 20
    assert any(note.startswith("token budget of 60 reached") for note in data["run"]["notes"])
    assert "token budget of 60 reached" in captured.err
    assert f"cost: llm {provider['requests']} requests, {provider['tokens']} tokens" in captured.out


def test_budget_stop_breaks_a_gate_on_the_checks_it_left_unjudged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = providers(tmp_path, "embedded:reference", "max_concurrency: 1")
    code = main(["run", "--providers", str(path), "--max-tokens-total", "1", "--require", "tools.named", "--out", str(tmp_path / "o")])
    assert code == ExitCode.GATE
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("gate: llm/tools.named"))
    assert "is error" in line and "token budget of 1 reached" in line


def test_a_budget_stop_under_repeat_is_not_flakiness(tmp_path: Path, load: Load) -> None:
    """Runs the budget prevented say nothing about the provider: the check is the budget's error,
    naming how many runs finished, never "flaky"."""
    path = providers(tmp_path, "embedded:reference", "max_concurrency: 1")
    out = tmp_path / "out"
    # A full run costs about 900 tokens: the budget lets the first of two runs finish, not the second.
    assert main(["run", "--providers", str(path), "--repeat", "2", "--max-tokens-total", "1300", "--out", str(out)]) == ExitCode.OK
    results = load(out)["results"]
    cut = [r for r in results if "token budget of 1300 reached" in r["summary"]]
    assert cut and all(r["status"] == "error" for r in cut)
    assert any(r["summary"].endswith("(1 of 2 runs finished)") and r["runs"][0] == "pass" for r in cut)
    assert not [r for r in results if r["summary"].startswith("flaky")]
    # One slot: the concurrency check does not apply (skip/single_slot).
    assert {r["status"] for r in results if r not in cut and code(r) not in {*NOTHING_TO_JUDGE, "skip/single_slot"}} == {"pass"}


def test_a_large_budget_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], load: Load) -> None:
    path = providers(tmp_path, "embedded:reference", "max_concurrency: 4")
    out = tmp_path / "out"
    assert main(["run", "--providers", str(path), "--max-tokens-total", "100000", "--out", str(out)]) == ExitCode.OK
    data = load(out)
    assert {r["status"] for r in data["results"] if code(r) not in NOTHING_TO_JUDGE} == {"pass"} and data["run"]["notes"] == []


def code(result: dict[str, Any]) -> str:
    return f"{result['status']}/{result['reason']}"

"""`conformance diff OLD NEW` on crafted results files, and `conformance run --baseline` against
the reference provider and a deviant flavour of it (real loopback runs)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conformance.checklist import all_checks
from conformance.cli import ExitCode, main
from conformance.report.json_report import render_json
from conformance.results import CheckInfo, ProviderRun, RunResult
from conformance.verdict import Exchange, RequestRecord, ResponseRecord, SchemaIssue, Status, Verdict

IDS = ["chat.basic", "tools.named", "streaming.done", "streaming.usage", "tokens.max_tokens"]


def exchange(status: int) -> Exchange:
    return Exchange("req", RequestRecord("POST", "http://x/v1/chat/completions", {}), ResponseRecord(status, {}))


def verdict(check_id: str, status: Status, summary: str = "", provider: str = "p", *, http: int = 200,
            issues: list[SchemaIssue] | None = None) -> Verdict:
    return Verdict(check_id, provider, status, summary or f"{check_id} {status.value}", [exchange(http)], issues or [])


def crafted(statuses: dict[str, Status], *, provider: str = "p", skipped: str | None = None,
            overrides: dict[str, Verdict] | None = None, ids: list[str] | None = None) -> RunResult:
    ids = ids or IDS
    verdicts = [] if skipped else [
        (overrides or {}).get(i) or verdict(i, statuses.get(i, Status.PASS), provider=provider) for i in ids
    ]
    return RunResult(
        tool_version="0.1.0", started_at="2024-01-01T00:00:00+00:00", finished_at="2024-01-01T00:00:01+00:00", duration_s=1.0,
        providers=[ProviderRun(provider, "http://x/v1", {"chat": "m"}, skipped_reason=skipped)],
        checks=[CheckInfo(i, i.split(".")[0], "", "protocol") for i in ids],
        verdicts=verdicts,
    )


def save(tmp_path: Path, name: str, result: RunResult) -> Path:
    path = tmp_path / name
    path.write_text(render_json(result), encoding="utf-8")
    return path


def diff(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: RunResult, new: RunResult, *args: str) -> tuple[int, list[str]]:
    code = main(["diff", str(save(tmp_path, "old.json", old)), str(save(tmp_path, "new.json", new)), *args])
    return code, capsys.readouterr().out.splitlines()


def test_regressions_improvements_and_evidence_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    strict = SchemaIssue("chat_completion", "strict", "$.system_fingerprint", "None is not of type 'string'", "response")
    old = crafted({"tools.named": Status.FAIL, "streaming.usage": Status.UNSUPPORTED})
    new = crafted(
        {"streaming.usage": Status.FAIL},
        overrides={
            "streaming.done": verdict("streaming.done", Status.FAIL, "the stream ended without data: [DONE]"),
            "chat.basic": verdict("chat.basic", Status.PASS, "still fine", issues=[strict]),
            "tokens.max_tokens": verdict("tokens.max_tokens", Status.WARN, "limit honoured; answered 429 first", http=429),
        },
    )
    code, lines = diff(tmp_path, capsys, old, new)
    assert code == ExitCode.GATE
    assert lines == [
        f"conformance diff: {tmp_path / 'old.json'} → {tmp_path / 'new.json'}",
        "3 regression(s), 1 improvement(s), 2 evidence change(s), 1 check(s) unchanged",
        "regression: p/streaming.done: pass → fail: the stream ended without data: [DONE]",
        # unsupported → fail: a clean refusal became a misbehaviour, also a regression.
        "regression: p/streaming.usage: unsupported → fail: streaming.usage fail",
        "regression: p/tokens.max_tokens: pass → warn: limit honoured; answered 429 first",
        "improvement: p/tools.named: fail → pass: tools.named pass",
        "evidence: p/chat.basic (pass → pass): + strict schema issue: chat_completion $.system_fingerprint",
        "evidence: p/tokens.max_tokens (pass → warn): + HTTP 429; - HTTP 200",
    ]
    code, _ = diff(tmp_path, capsys, old, new, "--allow-regressions")
    assert code == ExitCode.OK


def test_identical_runs_have_no_regression(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = diff(tmp_path, capsys, crafted({}), crafted({}))
    assert code == ExitCode.OK
    assert lines[1] == "0 regression(s), 0 improvement(s), 0 evidence change(s), 5 check(s) unchanged"
    assert len(lines) == 2


def test_markdown_for_a_pr_comment_escapes_provider_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = "broke | <script>alert(1)</script>\nnext line"
    new = crafted({}, overrides={"tools.named": verdict("tools.named", Status.FAIL, hostile)})
    code, lines = diff(tmp_path, capsys, crafted({}), new, "--format", "md")
    assert code == ExitCode.GATE
    text = "\n".join(lines)
    assert "**1 regression(s)** · 0 improvement(s)" in text
    row = next(line for line in lines if "`tools.named`" in line)
    assert row == "| p | `tools.named` | ✅ pass | ❌ fail | broke \\| &lt;script&gt;alert(1)&lt;/script&gt; next line |"
    assert "<script>" not in text


def test_one_provider_each_is_compared_whatever_the_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = crafted({}, provider="openai")
    new = crafted({"chat.basic": Status.ERROR}, provider="groq")
    code, lines = diff(tmp_path, capsys, old, new)
    assert code == ExitCode.GATE
    assert "regression: openai→groq/chat.basic: pass → error: chat.basic error" in lines
    assert "note: comparing provider 'openai' (old) with 'groq' (new)" in lines


def test_a_provider_not_run_in_the_new_run_is_a_regression_on_every_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = crafted({}, skipped="environment variable KEY is not set")
    code, lines = diff(tmp_path, capsys, crafted({}), new)
    assert code == ExitCode.GATE
    assert lines[2] == "regression: p/chat.basic: pass → not run: provider not run: environment variable KEY is not set"
    assert sum(line.startswith("regression:") for line in lines) == len(IDS)


def test_checks_missing_from_the_new_run_are_noted_not_regressions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = crafted({}, ids=["chat.basic", "tools.named", "limits.rate_limit_headers"])
    code, lines = diff(tmp_path, capsys, crafted({}), new)
    assert code == ExitCode.OK
    assert "note: 3 check(s) of 'p' are not in the new run, not compared: streaming.done, streaming.usage, tokens.max_tokens" in lines
    assert "note: 1 check(s) of 'p' are only in the new run, not compared: limits.rate_limit_headers" in lines


def test_a_file_that_is_not_results_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1}', encoding="utf-8")
    good = save(tmp_path, "good.json", crafted({}))
    assert main(["diff", str(good), str(bad)]) == ExitCode.USAGE
    assert "bad.json: not a valid results file" in capsys.readouterr().err
    assert main(["diff", str(good), str(tmp_path / "absent.json")]) == ExitCode.USAGE
    assert "absent.json: results file not found" in capsys.readouterr().err


# --- the baseline gate, end to end ---------------------------------------------------------------
def providers_file(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / f"providers-{abs(hash(base_url))}.yaml"
    path.write_text(
        f"providers:\n  - name: llm\n    base_url: {base_url}\n    models: {{chat: reference-chat, vision: reference-vision}}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved run of the reference provider under the name the candidate runs under too."""
    tmp = tmp_path_factory.mktemp("baseline")
    assert main(["run", "--providers", str(providers_file(tmp, "embedded:reference")), "--out", str(tmp / "base")]) == ExitCode.OK
    return tmp / "base" / "results.json"


def test_baseline_gate_fails_on_a_deviant_flavour_with_one_line_per_regression(
    baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], results_validator: jsonschema.Draft202012Validator
) -> None:
    capsys.readouterr()
    out = tmp_path / "out"
    path = providers_file(tmp_path, "embedded:reference?deviate=no_done,max_completion_tokens_rejected")
    code = main(["run", "--providers", str(path), "--out", str(out), "--no-color", "--baseline", str(baseline)])
    printed = capsys.readouterr().out.splitlines()
    gate = [line for line in printed if line.startswith(("regression:", "gate:"))]
    assert code == ExitCode.GATE
    assert gate[0].startswith(
        f"regression: llm/streaming.done: pass → fail (baseline {baseline}): the stream ended without data: [DONE] (last line: 'data: {{"
    )
    assert gate[1:] == [
        f"regression: llm/streaming.usage: pass → warn (baseline {baseline}): usage chunk received, but the stream has no data: [DONE] after it",
        f"regression: llm/tokens.max_completion_tokens: pass → unsupported (baseline {baseline}): "
        "max_completion_tokens: refused with HTTP 400: Unrecognized request argument supplied: max_completion_tokens",
        "gate: FAILED (exit 1)",
    ]
    # The comparison is in results.json (schema-valid), for the report to highlight those rows.
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    results_validator.validate(data)
    assert data["comparison"] == {
        "baseline": str(baseline),
        "worse": [
            {"provider": "llm", "check_id": "streaming.done", "before": "pass", "after": "fail"},
            {"provider": "llm", "check_id": "streaming.usage", "before": "pass", "after": "warn"},
            {"provider": "llm", "check_id": "tokens.max_completion_tokens", "before": "pass", "after": "unsupported"},
        ],
    }
    # The same regressions, allowed: printed, exit 0.
    code = main(["run", "--providers", str(path), "--out", str(out), "--no-color", "--baseline", str(baseline), "--allow-regressions"])
    printed = capsys.readouterr().out.splitlines()
    assert code == ExitCode.OK
    assert sum(line.startswith("regression:") for line in printed) == 3
    assert printed[-1] == f"gate: passed ({len(all_checks())} check(s) compared with {baseline}, 3 regression(s) allowed)"


def test_baseline_gate_holds_when_nothing_got_worse(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    out = tmp_path / "out"
    path = providers_file(tmp_path, "embedded:reference")
    assert main(["run", "--providers", str(path), "--out", str(out), "--no-color", "--baseline", str(baseline)]) == ExitCode.OK
    assert capsys.readouterr().out.splitlines()[-1] == f"gate: passed ({len(all_checks())} check(s) compared with {baseline}, no regression)"
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["comparison"]["worse"] == []
    # A run without --baseline writes no comparison (results.json unchanged for everyone else).
    assert main(["run", "--providers", str(path), "--out", str(out), "--check", "chat.basic"]) == ExitCode.OK
    assert "comparison" not in json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_results_round_trip_with_comparison_and_runs(results_validator: jsonschema.Draft202012Validator) -> None:
    from conformance.results import Comparison, WorseCheck

    result = crafted({})
    result.comparison = Comparison("base.json", [WorseCheck("p", "chat.basic", "pass", None)])
    result.verdicts[0].runs = ["pass", "fail"]
    data = json.loads(render_json(result))
    results_validator.validate(data)
    again = RunResult.from_dict(data)
    assert again.comparison == result.comparison and again.verdicts[0].runs == ["pass", "fail"]
    assert "runs" not in data["results"][1]

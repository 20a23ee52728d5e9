"""Gating `conformance run`: --require (globs), requirements: blocks in providers.yaml (global and
per provider, with allow), --fail-on. Each broken rule is exactly one line naming the provider,
the check, the verdict, the rule and where it was written; exit 1. Runs go over loopback HTTP
against the embedded reference provider and its deviant flavours."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.checklist import all_checks
from conformance.cli import ExitCode, main
from conformance.gate import check_fail_on, check_requirements
from conformance.policy import Policy, Requirement
from conformance.results import CheckInfo, ProviderRun, RunResult
from conformance.verdict import Status, Verdict

DEVIANT = "embedded:reference?deviate=no_done,tool_args_object"
ALLOWED = "allowed: pass, warn"


def providers(tmp_path: Path, body: str, header: str = "") -> Path:
    path = tmp_path / "providers.yaml"
    path.write_text(header + "providers:\n" + body, encoding="utf-8")
    return path


def provider(name: str, base_url: str, extra: str = "") -> str:
    return f"  - name: {name}\n    base_url: {base_url}\n    models: {{chat: reference-chat, vision: reference-vision}}\n" + extra


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, list[str], str]:
    code = main(["run", "--providers", str(path), "--out", str(tmp_path / "out"), "--no-color", *args])
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    gate_lines = [line for line in lines if line.startswith(("gate:", "fail-on:", "regression:"))]
    return code, gate_lines, captured.err


def results(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))


def test_require_globs_name_every_broken_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = providers(tmp_path, provider("dev", DEVIANT))
    code, lines, _ = run(tmp_path, capsys, path, "--require", "tools.*,streaming.done")
    assert code == ExitCode.GATE
    broken = {line.split(" ", 2)[1]: line for line in lines[:-1]}
    # Every tools.* check whose reply carries arguments breaks on arguments sent as an object, and the
    # round trips behind them are skipped (a required skip breaks the gate); the ones that never see a
    # call's arguments (none, legacy functions, no call) hold.
    assert sorted(broken) == sorted([
        "dev/tools.auto", "dev/tools.required", "dev/tools.named", "dev/tools.roundtrip", "dev/tools.foreign_call_ids",
        "dev/tools.parallel", "dev/tools.streaming", "dev/tools.strict", "dev/tools.selection", "dev/streaming.done",
    ])
    assert broken["dev/streaming.done"].startswith(
        f"gate: dev/streaming.done is fail (required by --require 'streaming.done'; {ALLOWED}): the stream ended without data: [DONE]"
    )
    assert broken["dev/tools.named"].startswith(
        f"gate: dev/tools.named is fail (required by --require 'tools.*'; {ALLOWED}): named tool_choice: the completion does not match the schema"
    )
    assert broken["dev/tools.roundtrip"].startswith(
        f"gate: dev/tools.roundtrip is skip (required by --require 'tools.*'; {ALLOWED}): prerequisite tools.named did not pass"
    )
    assert lines[-1] == "gate: FAILED (exit 1)"
    assert all("\n" not in line for line in lines)
    # The reports are written before the gate is judged.
    assert (tmp_path / "out" / "report.html").exists()


def test_require_holds_on_the_reference_provider(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = providers(tmp_path, provider("ref", "embedded:reference"))
    code, lines, _ = run(tmp_path, capsys, path, "--require", "tools.*", "--require", "streaming.done")
    assert code == ExitCode.OK
    judged = sum(1 for c in all_checks() if c.section == "tools") + 1
    assert lines == [f"gate: passed ({judged} verdict(s) judged)"]


def test_required_checks_run_even_when_check_narrows_the_selection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = providers(tmp_path, provider("dev", DEVIANT))
    code, lines, _ = run(tmp_path, capsys, path, "--check", "chat.basic", "--require", "streaming.done")
    assert code == ExitCode.GATE
    assert [r["check_id"] for r in results(tmp_path)["results"]] == ["chat.basic", "streaming.done"]
    assert lines[0].startswith("gate: dev/streaming.done is fail")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--require", "tool.*"], "--require 'tool.*' matches no check"),
        (["--fail-on", "fail,broken"], "--fail-on 'broken' is not a verdict (one of: pass, fail, unsupported, warn, skip, error)"),
        (["--allow-regressions"], "--allow-regressions needs --baseline"),
        (["--baseline", "missing.json"], "missing.json: results file not found"),
    ],
)
def test_bad_gate_options_exit_2_before_any_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    path = providers(tmp_path, provider("ref", "embedded:reference"))
    code, _, err = run(tmp_path, capsys, path, *args)
    assert code == ExitCode.USAGE
    assert message in err
    assert not (tmp_path / "out").exists()


def test_policy_from_yaml_global_and_per_provider(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Both providers refuse max_completion_tokens cleanly (unsupported). The global policy
    requires it and does not allow unsupported; the lenient provider allows it for itself."""
    flavour = "embedded:reference?deviate=max_completion_tokens_rejected"
    path = providers(
        tmp_path,
        provider("strict", flavour)
        + provider("lenient", flavour, "    requirements:\n      require: [chat.*]\n      allow: {unsupported: true}\n"),
        header="requirements:\n  require: [tokens.*, streaming.done]\n  allow: {warn: true, unsupported: false}\n",
    )
    code, lines, _ = run(tmp_path, capsys, path)
    assert code == ExitCode.GATE
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        "gate: strict/tokens.max_completion_tokens is unsupported "
        f"(required by providers.yaml:2 'tokens.*'; {ALLOWED}): max_completion_tokens: refused with HTTP 400"
    )
    assert lines[1] == "gate: FAILED (exit 1)"


def test_yaml_policy_can_forbid_warn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # streaming.usage is warn on no_done (usage chunk received, no [DONE] after it).
    path = providers(
        tmp_path, provider("dev", "embedded:reference?deviate=no_done"),
        header="requirements:\n  require: [streaming.usage]\n  allow: {warn: false}\n",
    )
    code, lines, _ = run(tmp_path, capsys, path, "--check", "streaming.usage")
    assert code == ExitCode.GATE
    assert lines[0].startswith("gate: dev/streaming.usage is warn (required by providers.yaml:2 'streaming.usage'; allowed: pass):")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("requirements:\n  require: [tool.*]\n", "providers.yaml:2: requirements.require[0]: 'tool.*' matches no check"),
        ("requirements:\n  allow: {flaky: true}\n", "providers.yaml:2: requirements.allow.flaky: unknown field (allowed: skip, unsupported, warn)"),
        ("requirements:\n  require: streaming.done\n", "providers.yaml:2: requirements.require:"),
    ],
)
def test_bad_requirements_block_exits_2_naming_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str, expected: str
) -> None:
    path = providers(tmp_path, provider("ref", "embedded:reference"), header=header)
    code, _, err = run(tmp_path, capsys, path)
    assert code == ExitCode.USAGE
    assert expected in err


def test_a_provider_that_could_not_run_breaks_its_gate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CI job whose candidate key is missing must not pass its gate by running nothing."""
    monkeypatch.delenv("CONFORMANCE_TEST_GATE_KEY", raising=False)
    path = providers(
        tmp_path, "  - name: vendor\n    base_url: https://api.vendor.invalid/v1\n    api_key: ${CONFORMANCE_TEST_GATE_KEY}\n    models: {chat: m}\n"
    )
    code, lines, _ = run(tmp_path, capsys, path, "--require", "chat.basic")
    assert code == ExitCode.GATE
    assert lines[0].startswith("gate: vendor was not run (environment variable CONFORMANCE_TEST_GATE_KEY is not set")
    assert lines[0].endswith("its 1 required checks cannot be judged")


def test_fail_on_lists_each_matching_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = providers(tmp_path, provider("dev", "embedded:reference?deviate=no_done"))
    code, lines, _ = run(tmp_path, capsys, path, "--fail-on", "fail,error")
    assert code == ExitCode.GATE
    assert lines == [
        "fail-on: dev/streaming.done is fail (--fail-on fail,error): the stream ended without data: [DONE] (last line: "
        + lines[0].split("(last line: ", 1)[1],
        "gate: FAILED (exit 1)",
    ]
    failing = [r["check_id"] for r in results(tmp_path)["results"] if r["status"] in ("fail", "error")]
    assert failing == ["streaming.done"]


def test_fail_on_holds_on_the_reference_provider(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = providers(tmp_path, provider("ref", "embedded:reference"))
    code, lines, _ = run(tmp_path, capsys, path, "--fail-on", "fail", "--fail-on", "error")
    assert code == ExitCode.OK
    assert lines == [f"gate: passed ({len(all_checks())} verdict(s) judged)"]


def test_no_gate_no_gate_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = providers(tmp_path, provider("dev", DEVIANT))
    code, lines, _ = run(tmp_path, capsys, path, "--check", "streaming.done")
    assert code == ExitCode.OK and lines == []


# --- units ---------------------------------------------------------------------------------------
def crafted(verdicts: list[Verdict], skipped: str | None = None) -> RunResult:
    ids = ["chat.basic", "tools.named", "tools.auto"]
    return RunResult(
        tool_version="t", started_at="s", finished_at="f", duration_s=0.0,
        providers=[ProviderRun("p", "http://x/v1", {"chat": "m"}, skipped_reason=skipped)],
        checks=[CheckInfo(i, i.split(".")[0], "", "protocol") for i in ids],
        verdicts=verdicts,
    )


def test_policy_allowed_statuses() -> None:
    assert Policy().allowed == (Status.PASS, Status.WARN)
    assert Policy(allow_warn=False, allow_unsupported=True, allow_skip=True).allowed == (Status.PASS, Status.UNSUPPORTED, Status.SKIP)


def test_requirements_on_crafted_results() -> None:
    policy = Policy(require=(Requirement("tools.*", "--require"),))
    result = crafted([
        Verdict("chat.basic", "p", Status.FAIL, "not required"),
        Verdict("tools.named", "p", Status.WARN, "tolerated"),
    ])
    report = check_requirements(result, {"p": policy})
    assert report.judged == 2
    assert report.lines == ["gate: p/tools.auto has no verdict (required by --require 'tools.*'): the check did not run"]
    # A provider without requirements is not judged at all.
    assert not check_requirements(result, {"p": Policy()}).broken


def test_gate_lines_neutralise_control_characters() -> None:
    result = crafted([Verdict("chat.basic", "p", Status.FAIL, "line one\nfake: line\x1b[2J")])
    (line,) = check_fail_on(result, frozenset({Status.FAIL})).lines
    assert "\n" not in line and "\x1b" not in line
    assert line.startswith("fail-on: p/chat.basic is fail (--fail-on fail): line one fake: line")

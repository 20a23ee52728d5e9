"""The whole data path, end to end, over real loopback HTTP: providers.yaml → runner → probes →
validation → verdicts → the four report files, driven through the command line as a user would."""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import pytest

import conformance.probes as probes
from conformance.checklist import all_checks
from conformance.cli import ExitCode, main
from conformance.matrix import SECTIONS
from conformance.registry import Check
from tests.support.crafted import CraftedProvider, Handler, Reply
from tests.support.keys import assert_no_key_slice, planted_key
from tests.support.paths import REPO_ROOT
from tests.support.reference import NOTHING_TO_JUDGE

# The stable check ids: gating and baselines key on them, so renaming one is a breaking change.
STABLE_CHECK_IDS = [
    "base_url.v1_path",
    "auth.bearer", "auth.missing_key_rejected", "auth.invalid_key_rejected",
    "models.list", "models.configured_present", "models.retrieve", "models.unknown_rejected",
    "chat.basic", "chat.usage", "chat.multi_turn", "chat.content_parts", "chat.history_recall",
    "system.role", "system.developer_role",
    "vision.image_input",
    "tools.auto", "tools.none", "tools.required", "tools.named", "tools.roundtrip", "tools.parallel", "tools.streaming", "tools.strict",
    "tools.legacy_functions", "tools.foreign_call_ids", "tools.selection", "tools.auto_no_call",
    "structured.json_object", "structured.json_schema",
    "params.stop", "params.n", "params.logprobs", "params.seed", "params.temperature", "params.optional_fields",
    "streaming.sse", "streaming.done", "streaming.content", "streaming.usage", "streaming.errors", "streaming.incremental",
    "tokens.max_completion_tokens", "tokens.max_tokens",
    "errors.status_codes", "errors.format",
    "limits.rate_limit_headers", "limits.retry_after", "limits.concurrency",
    "responses.basic", "responses.instructions", "responses.streaming", "responses.max_output_tokens", "responses.tools",
    "responses.previous_response_id", "responses.errors",
    "sdk.chat", "sdk.streaming", "sdk.tools", "sdk.responses",
]
"""Every check id, in checklist order: renaming one breaks users' requirements and baselines."""
REPORT_FILES = ("results.json", "report.html", "junit.xml", "summary.md")


def write_providers(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    """One full run against the reference provider with a key planted in the config.

    The embedded provider demands exactly the configured key, so passing auth.bearer proves the
    key really went over the wire, and grepping the outputs proves it never came back out."""
    tmp = tmp_path_factory.mktemp("planted")
    key = planted_key("sk-planted-")
    providers = write_providers(
        tmp / "providers.yaml",
        "providers:\n"
        "  - name: reference\n"
        "    base_url: embedded:reference\n"
        "    api_key: ${PLANTED_KEY}\n"
        "    models: {chat: reference-chat, vision: reference-vision}\n"
        "    headers: {X-Team: conformance}\n",
    )
    out = tmp / "out"
    env = {**os.environ, "PLANTED_KEY": key, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--providers", str(providers), "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp,
    )
    assert proc.returncode == ExitCode.OK, proc.stderr
    yield out, key, proc.stdout + proc.stderr


def test_every_check_passes_on_the_reference_provider(planted_run: tuple[Path, str, str]) -> None:
    out, _, _ = planted_run
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    statuses = {r["check_id"]: r["status"] for r in data["results"]}
    assert sorted(statuses) == sorted(STABLE_CHECK_IDS)
    judged = [r for r in data["results"] if f"{r['status']}/{r['reason']}" not in NOTHING_TO_JUDGE]
    assert [r["check_id"] for r in data["results"] if r not in judged] == ["limits.retry_after"]
    assert [r["summary"] for r in judged if r["status"] != "pass"] == []
    # Every verdict carries evidence: at least one exchange with a response.
    for result in judged:
        assert result["summary"]
        assert result["exchanges"], result["check_id"]
        assert all(e["response"] is not None or e["error"] for e in result["exchanges"])
    provider = data["providers"][0]
    assert provider["requests"] > 20 and provider["tokens"] > 0


def test_the_four_reports_are_written_and_valid(
    planted_run: tuple[Path, str, str], results_validator: jsonschema.Draft202012Validator
) -> None:
    out, _, printed = planted_run
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES)
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    results_validator.validate(data)
    assert data["schema_version"] == 2
    suites = ET.parse(out / "junit.xml").getroot()
    cases = suites.findall(".//testcase")
    assert len(cases) == len(STABLE_CHECK_IDS)
    assert not suites.findall(".//failure") and not suites.findall(".//error")
    summary = (out / "summary.md").read_text(encoding="utf-8")
    judged = len(STABLE_CHECK_IDS) - 1  # limits.retry_after: skip, no 429 to judge
    assert "| `tools.named` |" in summary and f"{judged}/{judged}" in summary
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "tools.named" in html and "<script src" not in html
    # The terminal shows the matrix and where the files are.
    assert "streaming.done" in printed and f"reference  {judged}/{judged} passed (1 skip)" in printed
    assert str(out / "report.html") in printed


def test_planted_key_never_appears_in_any_output(planted_run: tuple[Path, str, str]) -> None:
    out, key, printed = planted_run
    outputs = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    outputs["terminal"] = printed
    for name, text in outputs.items():
        assert_no_key_slice(text, key, name)
    # ... while the evidence still shows that an Authorization header was sent.
    assert "[REDACTED]" in outputs["results.json"]


def test_list_checks_prints_every_stable_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list-checks"]) == ExitCode.OK
    lines = capsys.readouterr().out.splitlines()
    listed = [line.split()[0] for line in lines]
    assert sorted(listed) == sorted(STABLE_CHECK_IDS)
    # Checklist order: sections in the order of the checklist, never interleaved.
    sections = [check_id.split(".")[0] for check_id in listed]
    assert sections == sorted(sections, key=[s.split(".")[0] for s in STABLE_CHECK_IDS].index)
    assert all("[protocol]" in line or "[model" in line for line in lines)


def test_every_check_file_is_listed_in_its_area_and_every_area_in_areas() -> None:
    """A check file left out of its area's CHECKS, or an area left out of probes.AREAS, would never run."""
    folder = Path(probes.__file__).parent
    areas = {p.parent.name for p in folder.glob("*/__init__.py")}
    assert areas == {m.__name__.rsplit(".", 1)[1] for m in probes.AREAS}
    listed = {c.id for c in all_checks()}
    for area in probes.AREAS:
        assert area.__file__ is not None
        for path in Path(area.__file__).parent.glob("*.py"):
            module = importlib.import_module(f"{area.__name__}.{path.stem}")
            defined = [v for v in vars(module).values() if isinstance(v, Check) and v.func.__module__ == module.__name__]
            assert all(c.id in listed and c in area.CHECKS for c in defined), path
            # One file per check, named for it: tools.none lives in probes/tools/none.py.
            assert all(c.id == f"{path.parent.name}.{path.stem}" for c in defined), path
            assert len(defined) <= 1, f"{path} defines {len(defined)} checks"
    assert [c.section for c in all_checks()] == [c.section for c in sorted(all_checks(), key=lambda c: SECTIONS.index(c.section))]


def test_check_selection_runs_prerequisites_but_reports_only_the_selection(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", "--providers", str(default_providers(tmp_path)), "--check", "tools.round*", "--out", str(out), "--no-color"]) == ExitCode.OK
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [r["check_id"] for r in data["results"]] == ["tools.roundtrip"]
    assert data["results"][0]["status"] == "pass"


def default_providers(tmp_path: Path) -> Path:
    return write_providers(
        tmp_path / "providers.yaml",
        "providers:\n  - name: reference\n    base_url: embedded:reference\n    models: {chat: reference-chat}\n",
    )


def test_missing_model_role_skips_with_the_reason(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["run", "--providers", str(default_providers(tmp_path)), "--check", "vision.*", "--out", str(out)]) == ExitCode.OK
    result = json.loads((out / "results.json").read_text(encoding="utf-8"))["results"][0]
    assert result["status"] == "skip" and "models.vision" in result["summary"]


def test_unset_key_variable_skips_that_provider_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CONFORMANCE_TEST_UNSET_KEY", raising=False)
    providers = write_providers(
        tmp_path / "providers.yaml",
        "providers:\n"
        "  - name: reference\n    base_url: embedded:reference\n    models: {chat: reference-chat}\n"
        "  - name: vendor\n    base_url: https://api.vendor.invalid/v1\n    api_key: ${CONFORMANCE_TEST_UNSET_KEY}\n"
        "    models: {chat: vendor-1}\n",
    )
    out = tmp_path / "out"
    assert main(["run", "--providers", str(providers), "--check", "chat.basic", "--out", str(out)]) == ExitCode.OK
    err = capsys.readouterr().err
    assert "skipping provider vendor" in err and "CONFORMANCE_TEST_UNSET_KEY" in err
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert {r["provider"] for r in data["results"]} == {"reference"}
    vendor = next(p for p in data["providers"] if p["name"] == "vendor")
    assert "CONFORMANCE_TEST_UNSET_KEY" in vendor["skipped_reason"]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "providers:\n  - name: a\n    base_url: embedded:reference\n    models: {chat: [unclosed\n",
            r"providers\.yaml:5: invalid YAML: .*flow sequence started at line 4",
        ),
        (
            "providers:\n  - name: a\n    base_url: embedded:reference\n    models: {vision: v}\n",
            r"providers\.yaml:4: providers\[0\]\.models\.chat: required field is missing",
        ),
        (
            "providers:\n  - name: a\n    base_url: embedded:reference\n    modles: {chat: c}\n",
            r"providers\.yaml:4: providers\[0\]\.modles: unknown field",
        ),
    ],
)
def test_configuration_errors_exit_2_naming_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], yaml_text: str, expected: str
) -> None:
    providers = write_providers(tmp_path / "providers.yaml", yaml_text)
    assert main(["run", "--providers", str(providers), "--out", str(tmp_path / "out")]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith("conformance: error: ")
    assert re.search(expected, err), err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--provider", "nobody"], "--provider 'nobody' is not in"),
        (["--check", "nothing.*"], "--check 'nothing.*' matches no check"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str) -> None:
    providers = default_providers(tmp_path)
    assert main(["run", "--providers", str(providers), "--out", str(tmp_path / "out"), *args]) == ExitCode.USAGE
    assert expected in capsys.readouterr().err


def test_missing_providers_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--providers", str(tmp_path / "nope.yaml")]) == ExitCode.USAGE
    assert "nope.yaml: file not found" in capsys.readouterr().err


def test_without_a_providers_file_the_built_in_reference_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--check", "chat.basic"]) == ExitCode.OK
    assert "built-in default" in capsys.readouterr().err
    data = json.loads((tmp_path / "reports" / "latest" / "results.json").read_text(encoding="utf-8"))
    assert data["results"][0]["status"] == "pass"


def test_ctrl_c_writes_partial_reports(tmp_path: Path, crafted: Callable[[Handler], CraftedProvider]) -> None:
    stalling = crafted(lambda request: Reply(delay_s=120))  # a provider that hangs: it never answers
    providers = write_providers(
        tmp_path / "providers.yaml",
        "providers:\n"
        "  - name: reference\n    base_url: embedded:reference\n    models: {chat: reference-chat, vision: reference-vision}\n"
        f"  - name: stalled\n    base_url: {stalling.base_url}\n    models: {{chat: m}}\n",
    )
    out = tmp_path / "out"
    with (tmp_path / "stdout.txt").open("w", encoding="utf-8") as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "conformance", "run", "--providers", str(providers), "--out", str(out)],
            stdout=stdout, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        )
        assert proc.stderr is not None
        stderr_lines: list[str] = []
        reference_done = threading.Event()

        def read_stderr() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:  # "[n/N] provider NAME done" as each provider finishes
                stderr_lines.append(line)
                if line.split()[1:] == ["provider", "reference", "done"]:
                    reference_done.set()

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        try:
            # Interrupt mid-run: the reference provider has finished, the stalled one holds a connection.
            assert reference_done.wait(60), "".join(stderr_lines)
            deadline = time.monotonic() + 30
            while not stalling.requests and time.monotonic() < deadline:
                time.sleep(0.02)
            assert stalling.requests, "the stalled provider was never contacted"
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        reader.join(10)
    stderr = "".join(stderr_lines)
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    assert "interrupted: partial results written" in stderr
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["run"]["interrupted"] is True
    by_provider: dict[str, dict[str, str]] = {}
    for r in data["results"]:
        by_provider.setdefault(r["provider"], {})[r["check_id"]] = r["status"]
    reference = by_provider["reference"]
    assert reference.pop("limits.retry_after") == "skip"  # no 429 met: nothing to judge
    assert set(reference.values()) == {"pass"} and len(reference) == len(STABLE_CHECK_IDS) - 1
    assert by_provider["stalled"]["base_url.v1_path"] == "error"
    assert len(by_provider["stalled"]) == len(STABLE_CHECK_IDS)
    assert (out / "report.html").exists() and "Traceback" not in stderr


def test_a_skip_chain_names_the_skipped_prerequisite_without_nesting() -> None:
    from conformance.runner import _prerequisite_summary
    from conformance.verdict import Status, Verdict

    failed = Verdict("auth.bearer", "p", Status.FAIL, "the configured key sent as Bearer is refused (HTTP 401)")
    skipped = Verdict("tools.named", "p", Status.SKIP, _prerequisite_summary("auth.bearer", failed))
    assert skipped.summary == "prerequisite auth.bearer did not pass (fail: the configured key sent as Bearer is refused (HTTP 401))"
    assert _prerequisite_summary("tools.named", skipped) == "prerequisite tools.named was skipped, see its verdict"


def test_the_readme_reason_code_reference_is_the_generated_one(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- reason-codes:start -->\n", 1)[1].split("<!-- reason-codes:end -->", 1)[0]
    assert main(["list-checks", "--format", "md"]) == ExitCode.OK
    assert block == capsys.readouterr().out, "README's reason codes are stale: paste `conformance list-checks --format md`"


def test_list_checks_with_codes_shows_each_checks_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list-checks", "--codes"]) == ExitCode.OK
    out = capsys.readouterr().out
    for check in all_checks():
        assert " ".join(check.reasons) in out

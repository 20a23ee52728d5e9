"""`conformance report RESULTS.json...`: re-render saved results, and merge runs into one matrix.

The inputs are slices of a real demo run (runs.py), saved the way ``conformance run``
saves them, with their run metadata changed to look like runs from other days and versions, as
a CI matrix with one job per provider would produce them.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conformance.cli import ExitCode, main
from conformance.report import render_json
from conformance.report.json_report import load_results
from conformance.results import RunResult


def part(
    demo: RunResult, providers: list[str], *, started: str, finished: str, version: str = "0.1.0", duration: float = 10.0,
    checks: list[str] | None = None,
) -> RunResult:
    """A slice of the demo run: some providers (and optionally some checks), with its own metadata."""
    whole = copy.deepcopy(demo)
    keep = lambda check_id: checks is None or check_id in checks  # noqa: E731
    return RunResult(
        tool_version=version,
        started_at=started,
        finished_at=finished,
        duration_s=duration,
        providers=[p for p in whole.providers if p.name in providers],
        checks=[c for c in whole.checks if keep(c.id)],
        verdicts=[v for v in whole.verdicts if v.provider in providers and keep(v.check_id)],
        notes=[f"note of {'+'.join(providers)}"],
    )


def save(result: RunResult, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_json(result), encoding="utf-8")
    return path


def report(*args: str | Path) -> int:
    return main(["report", *map(str, args), "--no-color"])


@pytest.fixture
def two_runs(tmp_path: Path, demo_run: RunResult) -> tuple[Path, Path]:
    a = save(part(demo_run, ["reference", "lenient-local"], started="2024-05-01T10:00:00+00:00",
                  finished="2024-05-01T10:01:00+00:00", duration=60.0), tmp_path / "job-a" / "results.json")
    b = save(part(demo_run, ["old-gateway"], started="2024-05-02T08:30:00+00:00", finished="2024-05-02T08:30:40+00:00",
                  version="0.0.9", duration=40.0), tmp_path / "job-b" / "results.json")
    return a, b


def test_merge_makes_one_matrix_and_keeps_each_runs_metadata(
    two_runs: tuple[Path, Path], tmp_path: Path, demo_run: RunResult, results_validator: jsonschema.Draft202012Validator
) -> None:
    a, b = two_runs
    out = tmp_path / "merged"
    assert report(a, b, "--out", out) == ExitCode.OK
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    results_validator.validate(data)
    assert data["schema_version"] == 2
    assert [p["name"] for p in data["providers"]] == ["reference", "lenient-local", "old-gateway"]
    assert len(data["results"]) == 3 * len(demo_run.checks)
    assert data["sources"] == [
        {"file": str(a), "tool_version": "0.1.0", "started_at": "2024-05-01T10:00:00+00:00",
         "finished_at": "2024-05-01T10:01:00+00:00", "duration_s": 60.0, "interrupted": False,
         "providers": ["reference", "lenient-local"]},
        {"file": str(b), "tool_version": "0.0.9", "started_at": "2024-05-02T08:30:00+00:00",
         "finished_at": "2024-05-02T08:30:40+00:00", "duration_s": 40.0, "interrupted": False,
         "providers": ["old-gateway"]},
    ]
    run = data["run"]
    assert (run["started_at"], run["finished_at"], run["duration_s"]) == (
        "2024-05-01T10:00:00+00:00", "2024-05-02T08:30:40+00:00", 100.0)
    assert run["notes"] == [f"{a}: note of reference+lenient-local", f"{b}: note of old-gateway"]
    # The merged file loads back to the same thing (sources included).
    assert load_results(out / "results.json").to_dict() == data

    page = (out / "report.html").read_text(encoding="utf-8")
    dates = re.findall(r'<span class="pdate"[^>]*>([^<]*)</span>', page)
    assert dates == ["2024-05-01 10:00 UTC", "2024-05-01 10:00 UTC", "2024-05-02 08:30 UTC"]
    assert "Merged from 2 runs" in page and ">0.0.9<" in page and str(b) in page
    suites = [s.get("name") for s in ET.parse(out / "junit.xml").getroot().findall("testsuite")]
    assert suites == ["reference", "lenient-local", "old-gateway"]
    assert "| Check | reference | lenient-local | old-gateway |" in (out / "summary.md").read_text(encoding="utf-8")


def test_the_later_file_wins_for_a_provider_in_both(two_runs: tuple[Path, Path], tmp_path: Path, demo_run: RunResult,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = two_runs
    rerun = part(demo_run, ["lenient-local"], started="2024-05-03T00:00:00+00:00", finished="2024-05-03T00:00:30+00:00")
    for v in rerun.verdicts:  # the re-run found lenient-local fixed
        v.status, v.summary = type(v.status)("pass"), "fixed in the re-run"
    c = save(rerun, tmp_path / "rerun" / "results.json")
    out = tmp_path / "merged"
    assert report(a, c, "--out", out) == ExitCode.OK
    assert f"provider 'lenient-local' from {a} was replaced by the one from {c}" in capsys.readouterr().err
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [p["name"] for p in data["providers"]] == ["reference", "lenient-local"]  # the column keeps its place
    lenient = [r for r in data["results"] if r["provider"] == "lenient-local"]
    assert len(lenient) == len(demo_run.checks)
    assert {r["summary"] for r in lenient} == {"fixed in the re-run"}
    assert [s["providers"] for s in data["sources"]] == [["reference"], ["lenient-local"]]
    assert any("was replaced by" in n for n in data["run"]["notes"])


def test_check_lists_are_unioned_in_checklist_order(tmp_path: Path, demo_run: RunResult) -> None:
    tools = [c.id for c in demo_run.checks if c.section == "tools"]
    chat = [c.id for c in demo_run.checks if c.section == "chat"]
    a = save(part(demo_run, ["reference"], checks=tools, started="2024-05-01T00:00:00Z", finished="2024-05-01T00:01:00Z"),
             tmp_path / "a.json")
    b = save(part(demo_run, ["old-gateway"], checks=chat, started="2024-05-01T00:00:00Z", finished="2024-05-01T00:01:00Z"),
             tmp_path / "b.json")
    out = tmp_path / "merged"
    assert report(b, a, "--out", out) == ExitCode.OK
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in data["checks"]] == chat + tools  # chat before tools, whatever the file order
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "| `tools.named` | — n/a | ✅ pass |" in md  # old-gateway never ran tools.named here
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count('title="no verdict">· none</span>') == len(chat) + len(tools)


def test_one_file_re_renders_unchanged(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = two_runs
    out = tmp_path / "again"
    assert report(a, "--out", out) == ExitCode.OK
    assert (out / "results.json").read_text(encoding="utf-8") == a.read_text(encoding="utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "report.html", "results.json", "summary.md"]


def test_merging_a_merged_file_keeps_the_original_sources(two_runs: tuple[Path, Path], tmp_path: Path, demo_run: RunResult) -> None:
    a, b = two_runs
    assert report(a, b, "--out", tmp_path / "ab") == ExitCode.OK
    c = save(part(demo_run, ["picky-proxy"], started="2024-05-04T00:00:00+00:00", finished="2024-05-04T00:00:10+00:00"),
             tmp_path / "c.json")
    assert report(tmp_path / "ab" / "results.json", c, "--out", tmp_path / "abc") == ExitCode.OK
    data = json.loads((tmp_path / "abc" / "results.json").read_text(encoding="utf-8"))
    assert [(s["file"], s["providers"]) for s in data["sources"]] == [
        (str(a), ["reference", "lenient-local"]), (str(b), ["old-gateway"]), (str(c), ["picky-proxy"])]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "results file not found"),
        ("{not json", "not valid JSON at $ (line 1, column 2)"),
        ('{"schema_version": 1}', "not a valid results file at $"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_a_bad_results_file_is_a_usage_error_naming_it(two_runs: tuple[Path, Path], tmp_path: Path, content: str | bytes | None,
                                                      message: str, capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = two_runs
    bad = tmp_path / "bad.json"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    elif content is not None:
        bad.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    assert report(a, bad, "--out", out) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"conformance: error: {bad}: ") and message in err, err
    assert not out.exists()  # nothing half-written


def test_a_wrong_value_deep_inside_is_named_by_its_json_path(two_runs: tuple[Path, Path], tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = two_runs
    data = json.loads(a.read_text(encoding="utf-8"))
    data["results"][5]["status"] = "great"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    assert report(bad) == ExitCode.USAGE
    assert f"{bad}: not a valid results file at $.results[5].status" in capsys.readouterr().err
    assert report(tmp_path) == ExitCode.USAGE  # a directory
    assert "is a directory, not a results file" in capsys.readouterr().err

"""`conformance compare A B`, the switch question, in its running mode (two providers from
providers.yaml, run side by side over loopback) and its reading mode (saved results files)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance.checklist import all_checks
from conformance.cli import ExitCode, main

CHECKS = len(all_checks())

CANDIDATE = "embedded:reference?deviate=no_done,max_completion_tokens_rejected"


@pytest.fixture(scope="module")
def switch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("switch")
    path = tmp / "providers.yaml"
    path.write_text(
        "providers:\n"
        "  - name: current\n    base_url: embedded:reference\n    models: {chat: reference-chat, vision: reference-vision}\n"
        f"  - name: candidate\n    base_url: {CANDIDATE}\n    models: {{chat: reference-chat, vision: reference-vision}}\n"
        "  - name: unused\n    base_url: embedded:reference\n    models: {chat: reference-chat}\n",
        encoding="utf-8",
    )
    return path


WORSE = [
    "worse: streaming.done: current pass → candidate fail: the stream ended without data: [DONE]",
    "worse: streaming.usage: current pass → candidate warn: usage chunk received, but the stream has no data: [DONE] after it",
    "worse: tokens.max_completion_tokens: current pass → candidate unsupported: max_completion_tokens: refused with HTTP 400",
]


def test_running_mode_lists_every_check_where_b_is_worse(switch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["compare", "current", "candidate", "--providers", str(switch), "--out", str(out), "--no-color"])
    lines = capsys.readouterr().out.splitlines()
    assert code == ExitCode.GATE
    start = lines.index("conformance compare: A = current, B = candidate")
    table = lines[start + 1 :]
    assert table[0].split() == ["check", "current", "candidate"]
    marked = [row.split()[0] for row in table if row.endswith("◀ worse")]
    assert marked == ["streaming.done", "streaming.usage", "tokens.max_completion_tokens"]
    assert any(re.fullmatch(r"tools\.named +pass +pass", line.rstrip()) for line in table)
    assert f"B is worse than A on 3 of {CHECKS} checks:" in table
    worse = [line for line in table if line.startswith("worse:")]
    assert len(worse) == 3 and all(line.startswith(prefix) for line, prefix in zip(worse, WORSE, strict=True))
    # Only the two named providers ran; the matrix marks B's worse cells for the reports.
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [p["name"] for p in data["providers"]] == ["current", "candidate"]
    assert data["comparison"]["baseline"] == "provider current"
    assert [(w["provider"], w["check_id"]) for w in data["comparison"]["worse"]] == [
        ("candidate", "streaming.done"), ("candidate", "streaming.usage"), ("candidate", "tokens.max_completion_tokens"),
    ]


def test_reading_mode_from_results_files_and_markdown(
    switch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "both"
    assert main(["run", "--providers", str(switch), "--provider", "current", "--provider", "candidate", "--out", str(out)]) == ExitCode.OK
    capsys.readouterr()
    both = out / "results.json"
    # One file with two providers: name them with FILE#PROVIDER. No request is sent in this mode.
    code = main(["compare", f"{both}#current", f"{both}#candidate", "--format", "md"])
    text = capsys.readouterr().out
    assert code == ExitCode.GATE
    assert f"**B is worse than A on 3 of {CHECKS} checks**" in text
    assert "| 🔻 | `streaming.done` | ✅ pass | ❌ fail | the stream ended without data: \\[DONE\\]" in text
    assert "|  | `tools.named` | ✅ pass | ✅ pass |  |" in text
    assert not (tmp_path / "reports").exists()  # reading mode runs nothing and writes no report
    # B against itself: nothing is worse.
    assert main(["compare", f"{both}#candidate", f"{both}#candidate"]) == ExitCode.OK
    assert f"B is not worse than A on any of the {CHECKS} checks compared" in capsys.readouterr().out
    # The other way round, B is better: exit 0, and the improvements are named.
    code = main(["compare", f"{both}#candidate", f"{both}#current"])
    printed = capsys.readouterr().out
    assert code == ExitCode.OK, printed
    assert "B is better than A on 3: streaming.done, streaming.usage, tokens.max_completion_tokens" in printed
    assert main(["compare", f"{both}#current", f"{both}#candidate", "--allow-regressions"]) == ExitCode.OK


def test_mixed_mode_runs_only_the_named_side(switch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A saved run of what you use now against a fresh run of the candidate."""
    saved = tmp_path / "saved"
    assert main(["run", "--providers", str(switch), "--provider", "current", "--out", str(saved)]) == ExitCode.OK
    capsys.readouterr()
    out = tmp_path / "out"
    code = main(["compare", str(saved / "results.json"), "candidate", "--providers", str(switch), "--out", str(out)])
    assert code == ExitCode.GATE
    assert f"B is worse than A on 3 of {CHECKS} checks:" in capsys.readouterr().out
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [p["name"] for p in data["providers"]] == ["candidate"]
    assert len(data["comparison"]["worse"]) == 3


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ("current", "nobody", "--provider 'nobody' is not in"),
        ("current", "current", "A and B are the same provider 'current'"),
        ("missing.json", "current", "missing.json: results file not found"),
    ],
)
def test_compare_usage_errors_exit_2(switch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], a: str, b: str, message: str) -> None:
    assert main(["compare", a, b, "--providers", str(switch), "--out", str(tmp_path / "out")]) == ExitCode.USAGE
    assert message in capsys.readouterr().err


def test_a_file_with_several_providers_needs_a_name(switch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "both"
    assert main(["run", "--providers", str(switch), "--check", "chat.basic", "--out", str(out)]) == ExitCode.OK
    capsys.readouterr()
    both = out / "results.json"
    assert main(["compare", str(both), f"{both}#current"]) == ExitCode.USAGE
    assert "holds 3 providers that ran (current, candidate, unused); name one as" in capsys.readouterr().err
    assert main(["compare", f"{both}#nobody", f"{both}#current"]) == ExitCode.USAGE
    assert "has no provider 'nobody'" in capsys.readouterr().err

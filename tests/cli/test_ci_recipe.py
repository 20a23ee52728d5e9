"""docs/ci.md is meant to be copied: its providers.yaml must load, its workflow must be valid
YAML whose `conformance` commands parse, and the commands must behave as the page says when the
two providers are stand-ins (the reference provider, and a deviant flavour of it)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from conformance.cli import ExitCode, build_parser, main
from conformance.config import load_config
from tests.support.paths import REPO_ROOT

DOC = REPO_ROOT / "docs" / "ci.md"


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def workflow() -> dict:
    return next(yaml.safe_load(block) for block in yaml_blocks() if block.startswith("name: provider-gate"))


def commands(steps: list[dict]) -> list[list[str]]:
    found = []
    for step in steps:
        script = " ".join(str(step.get("run", "")).split())
        if script.startswith("conformance "):
            command = script.split(" > ", 1)[0].replace("$OUT", "reports/switch")
            found.append(shlex.split(command)[1:])
    return found


def test_the_providers_file_of_the_recipe_loads(tmp_path: Path) -> None:
    text = next(block for block in yaml_blocks() if block.startswith("# providers.yaml"))
    path = tmp_path / "providers.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, environ={"CURRENT_API_KEY": "sk-a", "CANDIDATE_API_KEY": "sk-b"})
    assert [p.name for p in config.providers] == ["current", "candidate"]
    assert [r.pattern for r in config.policy.require][:2] == ["chat.*", "tools.*"]
    assert config.policy.allow_warn and not config.policy.allow_unsupported


def test_the_workflow_is_valid_and_its_commands_parse() -> None:
    flow = workflow()
    steps = flow["jobs"]["gate"]["steps"]
    names = [s.get("name", s.get("uses")) for s in steps]
    assert "Upload the report" in names and "Step summary" in names
    found = commands(steps)
    assert [c[0] for c in found] == ["run", "compare"]
    parser = build_parser()
    for argv in found:
        parser.parse_args(argv)  # an unknown option would exit 2 here
    # Keys come from secrets, in the environment of the step that runs the providers.
    run_step = next(s for s in steps if s.get("id") == "run")
    assert run_step["env"] == {
        "CURRENT_API_KEY": "${{ secrets.CURRENT_API_KEY }}", "CANDIDATE_API_KEY": "${{ secrets.CANDIDATE_API_KEY }}",
    }
    assert steps[-1]["if"] == "steps.run.outcome == 'failure' || steps.compare.outcome == 'failure'"


@pytest.mark.parametrize(("candidate", "run_code", "compare_code"), [
    ("embedded:reference", ExitCode.OK, ExitCode.OK),
    ("embedded:reference?deviate=no_done", ExitCode.GATE, ExitCode.GATE),
])
def test_the_recipe_with_stand_in_providers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    candidate: str, run_code: int, compare_code: int,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "providers.yaml").write_text(
        "requirements:\n  require: [chat.*, tools.*, streaming.done, streaming.content, tokens.max_completion_tokens]\n"
        "providers:\n"
        "  - name: current\n    base_url: embedded:reference\n    models: {chat: reference-chat}\n"
        f"  - name: candidate\n    base_url: {candidate}\n    models: {{chat: reference-chat}}\n",
        encoding="utf-8",
    )
    run_argv, compare_argv = commands(workflow()["jobs"]["gate"]["steps"])
    assert main(run_argv) == run_code
    assert main([*compare_argv, "--format", "md"]) == compare_code
    out = capsys.readouterr().out
    assert ("🔻 | `streaming.done`" in out) == (compare_code == ExitCode.GATE)
    assert sorted(p.name for p in (tmp_path / "reports" / "switch").iterdir()) == ["junit.xml", "report.html", "results.json", "summary.md"]

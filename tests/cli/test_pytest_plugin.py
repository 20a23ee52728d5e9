"""The pytest plugin, driven by pytester against the embedded reference and deviant flavours of it.

Each run below is a real inner pytest session (in-process) whose items run the real checks over
loopback HTTP; a spy on ``run_checks`` (it still runs) counts the runs and sees what they ran.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points

import pytest

from conformance.checklist import all_checks
from conformance.results import RunResult
from conformance.runner import ProgressCallback, RunState, run_checks
from tests.support.find import attr, child, search

pytest_plugins = ["pytester"]

CHECK_IDS = [c.id for c in all_checks()]
PROVIDERS_YAML = """\
providers:
  - name: ref
    base_url: embedded:reference
    models: {chat: reference-chat, vision: reference-vision}
  - name: gw
    base_url: embedded:reference?deviate=no_done,max_completion_tokens_rejected,hostile_content
    models: {chat: reference-chat}
"""


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], list[str]]]:
    """(provider names, check ids) of every run the plugin makes."""
    seen: list[tuple[list[str], list[str]]] = []

    async def spy(state: RunState, progress: ProgressCallback | None = None) -> RunResult:
        seen.append(([p.name for p in state.providers], [c.id for c in state.checks]))
        return await run_checks(state, progress)

    monkeypatch.setattr("conformance.session.run_checks", spy)
    return seen


@pytest.fixture
def providers(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".yaml", providers=PROVIDERS_YAML)
    return pytester


def outcomes(reprec: pytest.HookRecorder) -> dict[str, str]:
    """node id → outcome of its call phase (or of the phase that ended it)."""
    result: dict[str, str] = {}
    for report in reprec.getreports("pytest_runtest_logreport"):
        if report.when == "call" or report.outcome != "passed":
            result[report.nodeid] = report.outcome
    return result


def skip_reasons(reprec: pytest.HookRecorder) -> dict[str, str]:
    """node id → the reason of each skipped item (a skip's longrepr is (file, line, reason))."""
    reasons: dict[str, str] = {}
    for report in reprec.getreports("pytest_runtest_logreport"):
        if report.skipped:
            assert isinstance(report.longrepr, tuple), report.longrepr
            reasons[report.nodeid] = report.longrepr[2]
    return reasons


def test_the_plugin_is_registered_through_an_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("conformance") == "conformance.pytest_plugin"


def test_one_item_per_provider_and_check_with_the_verdicts_mapped(providers: pytest.Pytester, runs) -> None:
    reprec = providers.inline_run(
        "--conformance-providers", "providers.yaml", "--junitxml=junit.xml",
        "--html=report.html", "--self-contained-html", "--conformance-out=reports", "-p", "no:cacheprovider",
    )
    got = outcomes(reprec)
    assert sorted(got) == sorted(f"{p}::{c}" for p in ("ref", "gw") for c in CHECK_IDS)
    assert runs == [(["ref", "gw"], CHECK_IDS)]  # one run for the whole session
    # limits.retry_after has nothing to judge on a provider that never answers 429: a pytest skip.
    assert {n for n, o in got.items() if n.startswith("ref::") and o != "passed"} == {"ref::limits.retry_after"}
    assert got["ref::limits.retry_after"] == "skipped"
    # fail -> failed, with the summary and the evidence in the report
    assert got["gw::streaming.done"] == "failed"
    failed = {r.nodeid: r for r in reprec.getreports("pytest_runtest_logreport") if r.failed}
    assert set(failed) == {"gw::streaming.done"}
    text = str(failed["gw::streaming.done"].longrepr)
    assert text.startswith("fail/no_done: the stream ended without data: [DONE]") and "POST http://127.0.0.1:" in text
    # unsupported / skip -> skipped with the reason
    skipped = skip_reasons(reprec)
    assert skipped["gw::tokens.max_completion_tokens"].startswith("Skipped: unsupported: ")
    assert "no models.vision configured" in skipped["gw::vision.image_input"]
    expected = {"gw::tokens.max_completion_tokens", "gw::vision.image_input", "gw::limits.retry_after", "ref::limits.retry_after"}
    assert skipped["gw::vision.image_input"] and set(skipped) == expected
    # warn -> passed, with a warning attributed to the item
    assert got["gw::streaming.usage"] == "passed"
    warned = [c for c in reprec.getcalls("pytest_warning_recorded") if c.nodeid == "gw::streaming.usage"]
    assert len(warned) == 1 and "no data: [DONE]" in str(warned[0].warning_message.message)
    assert warned[0].warning_message.category.__name__ == "ConformanceWarning"

    # --junitxml: provider as classname, check as name, failure/skipped elements
    root = ET.parse(providers.path / "junit.xml").getroot()
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert len(cases) == 2 * len(CHECK_IDS)
    assert cases[("gw", "streaming.done")].find("failure") is not None
    assert "no models.vision" in attr(child(cases[("gw", "vision.image_input")], "skipped"), "message")
    props = {p.get("name"): p.get("value") for p in cases[("gw", "streaming.usage")].iter("property")}
    assert props == {"conformance_verdict": "warn"}

    # pytest-html: each row carries its evidence, escaped (the gw replies carry planted markup)
    page = (providers.path / "report.html").read_text(encoding="utf-8")
    blob = search(r'data-jsonblob="([^"]*)"', page).group(1)
    tests = json.loads(html.unescape(blob))["tests"]
    evidence = tests["gw::tools.roundtrip"][0]["extras"][0]["content"]
    assert evidence.startswith('<div class="conformance-evidence"><pre')
    assert "authorization: Bearer [REDACTED]" in evidence and "copy as curl:" in evidence
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in evidence and "<script" not in evidence
    assert "\\u202e" in evidence and "\u202e" not in evidence
    assert all(t[0]["extras"] for t in tests.values())

    # --conformance-out: the four reports of the same run
    data = json.loads((providers.path / "reports" / "results.json").read_text(encoding="utf-8"))
    assert {r["provider"] for r in data["results"]} == {"ref", "gw"} and len(data["results"]) == 2 * len(CHECK_IDS)
    assert (providers.path / "reports" / "report.html").exists()


def test_k_runs_only_what_it_selects(providers: pytest.Pytester, runs) -> None:
    reprec = providers.inline_run("--conformance-providers", "providers.yaml", "-k", "gw and streaming", "-p", "no:cacheprovider")
    got = outcomes(reprec)
    streaming = [c for c in CHECK_IDS if "streaming" in c]
    assert sorted(got) == sorted(f"gw::{c}" for c in streaming)
    assert runs == [(["gw"], streaming)]  # ref was never contacted


def test_x_stops_at_the_first_failure(providers: pytest.Pytester, runs) -> None:
    reprec = providers.inline_run("--conformance-providers", "providers.yaml", "-x", "-p", "no:cacheprovider")
    got = outcomes(reprec)
    assert list(got.values()).count("failed") == 1 and list(got)[-1] == "gw::streaming.done"
    assert len(got) < 2 * len(CHECK_IDS)


def test_provider_selection_and_a_missing_key(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, runs) -> None:
    monkeypatch.delenv("CONFORMANCE_TEST_UNSET_KEY", raising=False)
    pytester.makefile(
        ".yaml",
        providers=PROVIDERS_YAML + (
            "  - name: cloud\n"
            "    base_url: https://api.cloud.example/v1\n"
            "    api_key: ${CONFORMANCE_TEST_UNSET_KEY}\n"
            "    models: {chat: c}\n"
        ),
    )
    reprec = pytester.inline_run(
        "--conformance-providers", "providers.yaml", "--conformance-provider", "cloud",
        "--conformance-check", "chat.*", "-p", "no:cacheprovider",
    )
    skipped = skip_reasons(reprec)
    assert sorted(skipped) == sorted(f"cloud::{c.id}" for c in all_checks() if c.section == "chat")
    assert all("CONFORMANCE_TEST_UNSET_KEY is not set" in reason for reason in skipped.values())
    assert runs == []  # a provider without its key is never contacted


def test_a_bad_providers_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--conformance-providers", "nope.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*conformance: nope.yaml: file not found*"])
    pytester.makefile(".yaml", providers=PROVIDERS_YAML)
    result = pytester.runpytest("--conformance-providers", "providers.yaml", "--conformance-provider", "acme")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--conformance-provider 'acme' is not in providers.yaml*"])


def test_without_the_option_the_plugin_adds_nothing(pytester: pytest.Pytester, runs) -> None:
    pytester.makepyfile("def test_own(): pass")
    reprec = pytester.inline_run("-p", "no:cacheprovider")
    assert outcomes(reprec) == {"test_without_the_option_the_plugin_adds_nothing.py::test_own": "passed"}
    assert runs == []


def test_a_list_of_models_is_a_test_per_model(pytester: pytest.Pytester, runs) -> None:
    pytester.makefile(".yaml", providers="providers:\n  - name: gw\n    base_url: embedded:reference\n"
                      "    models: {chat: [reference-chat, reference-vision]}\n")
    reprec = pytester.inline_run("--conformance-providers", "providers.yaml", "--conformance-check", "chat.basic", "-p", "no:cacheprovider")
    assert outcomes(reprec) == {"gw/reference-chat::chat.basic": "passed", "gw/reference-vision::chat.basic": "passed"}
    assert runs == [(["gw/reference-chat", "gw/reference-vision"], ["chat.basic"])]


def test_a_sweep_is_a_usage_error_that_says_what_to_do(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", providers='providers:\n  - name: gw\n    base_url: embedded:reference?models=3\n    models: {chat: "*"}\n')
    result = pytester.runpytest("--conformance-providers", "providers.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*provider 'gw' has models.chat \"*\"*list the models (models.chat: *) for a test per model*"])

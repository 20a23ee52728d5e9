"""pytest plugin: the conformance checks as test items inside a team's own test suite.

    pytest --conformance-providers providers.yaml [--conformance-provider NAME]... \
           [--conformance-check ID_OR_GLOB]... [--conformance-out DIR]

Registered through the ``pytest11`` entry point, and inert unless ``--conformance-providers`` is
given. It adds one item per provider × check, with node ids like ``acme::tools.named``, so ``-k``,
``-x``, ``--junitxml`` and pytest-html work as usual. It is a thin adapter over the runner: the
first item that runs makes one run of every selected provider and check (what ``-k``/``-m``
deselected is not run), and each item then reports its verdict:

    pass → passed        fail, error → failed (summary and evidence)        warn → passed + warning
    skip, unsupported → skipped with the reason

With pytest-html installed, each item's evidence (requests, responses, schema issues, timing and
a curl command, keys redacted) is added to its row of the HTML report.
"""

from __future__ import annotations

import dataclasses
import html
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr

    from .config import ProviderConfig
    from .results import RunResult
    from .session import Session
    from .verdict import Verdict

_RUN = pytest.StashKey["ConformanceRun"]()
_EVIDENCE_BODY = 4_000
"""Most characters of one body in an item's evidence (the full evidence is in report.html)."""


class ConformanceWarning(UserWarning):
    """A ``warn`` verdict: the provider works, with a tolerated deviation."""


class ConformanceFailure(Exception):
    """A ``fail`` or ``error`` verdict; its text is the summary and the evidence."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"{verdict.status.value}: {verdict.summary}")
        self.verdict = verdict


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "OpenAI-compatibility checks (conformance)")
    group.addoption(
        "--conformance-providers", metavar="FILE", default=None,
        help="providers.yaml to check: adds one test item per provider x check (ids like acme::tools.named)",
    )
    group.addoption(
        "--conformance-provider", metavar="NAME", action="append", default=[],
        help="check only this provider (repeatable)",
    )
    group.addoption(
        "--conformance-check", metavar="ID_OR_GLOB", action="append", default=[],
        help="only the matching checks, e.g. 'tools.*' (repeatable)",
    )
    group.addoption(
        "--conformance-out", metavar="DIR", default=None,
        help="also write results.json, report.html, junit.xml and summary.md to DIR",
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("conformance_providers", None)
    if path is None:
        return
    config.addinivalue_line("markers", "conformance: a conformance check of one provider (added by the plugin)")
    config.stash[_RUN] = ConformanceRun.from_options(
        Path(path),
        providers=config.getoption("conformance_provider"),
        checks=config.getoption("conformance_check"),
        out=config.getoption("conformance_out"),
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    # The providers file need not lie under the test paths, so the provider nodes are added to
    # what the session itself collected; from there on pytest collects, counts, selects (-k, -m,
    # --deselect) and reports them like any other node.
    outcome = yield
    run = collector.config.stash.get(_RUN, None)
    if run is None or not isinstance(collector, pytest.Session):
        return
    report = outcome.get_result()
    if report.passed:
        report.result.extend(run.make_nodes(collector))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    if not isinstance(item, ConformanceItem) or call.when != "call" or item.verdict is None:
        return
    if not item.config.pluginmanager.hasplugin("html"):
        return
    from pytest_html import extras as html_extras

    report = outcome.get_result()
    report.extras = [*getattr(report, "extras", []), html_extras.html(evidence_html(item.verdict))]


def pytest_sessionfinish(session: pytest.Session) -> None:
    run = session.config.stash.get(_RUN, None)
    if run is not None and run.result is not None and run.out is not None:
        from .report import write_reports

        run.written = write_reports(run.result, run.out)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is not None and run.written:
        terminalreporter.write_line("conformance reports: " + ", ".join(str(p) for p in run.written.values()))


class ConformanceRun:
    """The providers file, what is selected from it, and (once an item needs it) the run's result."""

    def __init__(self, session: Session, check_ids: list[str], out: Path | None) -> None:
        self.session = session
        self.providers: list[ProviderConfig] = session.providers
        self.check_ids = check_ids
        self.out = out
        self.result: RunResult | None = None
        self.crash: str | None = None
        self.written: dict[str, Path] = {}

    @classmethod
    def from_options(cls, path: Path, *, providers: list[str], checks: list[str], out: str | None) -> ConformanceRun:
        from .checklist import select_checks
        from .errors import ConfigError, UsageError
        from .session import Session

        try:
            session = Session.open(path, providers, option="--conformance-provider", file_option="--conformance-providers")
            check_ids = [c.id for c in select_checks(checks, option="--conformance-check")]
        except (ConfigError, UsageError) as exc:
            raise pytest.UsageError(f"conformance: {exc}") from None
        if swept := [p.name for p in session.providers if p.sweep is not None]:
            raise pytest.UsageError(
                f'conformance: {path}: provider {swept[0]!r} has models.chat "*", which is read from GET /models when the run '
                "starts, after pytest has collected its tests: list the models (models.chat: [a, b]) for a test per model, "
                "or use `conformance run` for the sweep"
            )
        return cls(session, check_ids, Path(out) if out else None)

    def make_nodes(self, session: pytest.Session) -> list[ProviderNode]:
        nodes = []
        for provider in self.providers:
            # nodeid given explicitly: the ids are "acme::tools.named", not "<rootdir>::acme::...".
            node = ProviderNode.from_parent(session, name=provider.name, nodeid=provider.name, path=self.session.config.path)
            node.add_marker("conformance")
            nodes.append(node)
        return nodes

    def verdict(self, session: pytest.Session, provider: str, check_id: str) -> Verdict | None:
        """The verdict for one item, running the still-selected items' providers and checks the first time."""
        if self.result is None and self.crash is None:
            self._run([i for i in session.items if isinstance(i, ConformanceItem)])
        if self.crash is not None:
            raise RuntimeError(f"the conformance run could not complete: {self.crash}")
        assert self.result is not None
        return self.result.verdict(provider, check_id)

    def _run(self, selected: list[ConformanceItem]) -> None:
        from .checklist import all_checks
        from .session import Session

        providers = {i.provider for i in selected}
        checks = {i.check_id for i in selected}
        session = dataclasses.replace(self.session, providers=[p for p in self.providers if p.name in providers])
        state = session.plan([c for c in all_checks() if c.id in checks])
        try:
            self.result, interrupted = Session.run(state)
        except Exception as exc:  # noqa: BLE001 - every item must report it, not only the first
            self.crash = f"{type(exc).__name__}: {session.redactor.text(str(exc))}"
            return
        if interrupted:  # the partial reports are still written at session finish; pytest stops as on any Ctrl-C
            raise KeyboardInterrupt


class ProviderNode(pytest.Collector):
    """One provider: the ``acme`` in ``acme::tools.named``; its items are the selected checks."""

    def collect(self) -> list[pytest.Item]:
        run = self.config.stash[_RUN]
        return [
            ConformanceItem.from_parent(self, name=check_id, provider=self.name, check_id=check_id)
            for check_id in run.check_ids
        ]


class ConformanceItem(pytest.Item):
    def __init__(self, *, provider: str, check_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.provider = provider
        self.check_id = check_id
        self.verdict: Verdict | None = None

    def runtest(self) -> None:
        from .verdict import Status

        run = self.config.stash[_RUN]
        config = next(p for p in run.providers if p.name == self.provider)
        if config.skipped_reason:
            _skip(f"provider {self.provider} not run: {config.skipped_reason}")
        verdict = run.verdict(self.session, self.provider, self.check_id)
        if verdict is None:
            raise RuntimeError(f"the run gave no verdict for {self.provider} {self.check_id}")
        self.verdict = verdict
        self.user_properties.append(("conformance_verdict", verdict.status.value))
        if verdict.status in (Status.FAIL, Status.ERROR):
            raise ConformanceFailure(verdict)
        if verdict.status == Status.WARN:
            # Attributed to the providers file, not to this module: the warning is about the provider.
            warnings.warn_explicit(ConformanceWarning(verdict.summary), ConformanceWarning, str(self.path), 0)
        elif verdict.status == Status.UNSUPPORTED:
            _skip(f"unsupported: {verdict.summary}")
        elif verdict.status == Status.SKIP:
            _skip(verdict.summary)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, ConformanceFailure):
            # The short form (one line per exchange), as junit.xml has it; pytest-html gets it all.
            from .report.evidence import short_evidence

            return short_evidence(excinfo.value.verdict)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.provider}::{self.check_id}"


def _skip(reason: str) -> None:
    """pytest.skip, reported at the item (``providers.yaml``) rather than at this module's line."""
    try:
        raise pytest.skip.Exception(reason, _use_item_location=True)
    except TypeError:  # a pytest without the (private) keyword: a plain skip is still right
        pytest.skip(reason)


def evidence_html(v: Verdict) -> str:
    """The evidence for pytest-html's row: escaped text only (provider output is hostile input)."""
    from .report.evidence import full_evidence
    from .text import visible

    text = html.escape(visible(full_evidence(v, _EVIDENCE_BODY)), quote=True)
    return (
        '<div class="conformance-evidence"><pre style="white-space:pre-wrap;overflow-wrap:anywhere;max-height:40em;'
        f'overflow:auto">{text}</pre></div>'
    )


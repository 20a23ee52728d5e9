"""Gates: does a run let a CI job go ahead?

A policy (``conformance.policy``) names the checks an application relies on and the verdicts it
tolerates for them. ``--fail-on fail,error`` is the simpler audit policy: any such verdict, on any
check, breaks the gate. Each broken rule is one line naming the provider, the check, the verdict,
the rule (and where it was written) and the verdict's summary.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .config import ProviderConfig
from .diff import RunDiff, diff_runs, regression_line
from .errors import UsageError
from .merge import load_one
from .policy import Policy, Requirement
from .registry import Check
from .results import Comparison, RunResult
from .text import one_line
from .verdict import Status

_SUMMARY_CHARS = 240


def parse_require_option(values: Iterable[str], ids: Iterable[str]) -> list[Requirement]:
    """``--require a,b --require c``; every pattern must match one of ``ids`` (exit 2 otherwise)."""
    ids = list(ids)
    found: list[Requirement] = []
    for value in values:
        for pattern in (part.strip() for part in value.split(",")):
            if not pattern:
                continue
            if not any(fnmatch.fnmatchcase(i, pattern) for i in ids):
                raise UsageError(f"--require {pattern!r} matches no check; see `conformance list-checks`")
            found.append(Requirement(pattern, "--require"))
    return found


def parse_fail_on(values: Iterable[str]) -> frozenset[Status]:
    statuses: set[Status] = set()
    for value in values:
        for word in (part.strip() for part in value.split(",")):
            if not word:
                continue
            try:
                statuses.add(Status(word))
            except ValueError:
                names = ", ".join(s.value for s in Status)
                raise UsageError(f"--fail-on {word!r} is not a verdict (one of: {names})") from None
    return frozenset(statuses)


@dataclass
class GateReport:
    lines: list[str] = field(default_factory=list)
    """One per broken rule."""
    judged: int = 0
    """(provider, required check) pairs that were looked at."""

    @property
    def broken(self) -> bool:
        return bool(self.lines)


def check_requirements(result: RunResult, policies: Mapping[str, Policy]) -> GateReport:
    """Every required check of every provider in ``policies`` must have an allowed verdict."""
    report = GateReport()
    checks = [c.id for c in result.checks]
    for provider in result.providers:
        policy = policies.get(provider.name)
        if policy is None or not policy.require:
            continue
        required = [(c, r) for c in checks if (r := policy.requirement_for(c)) is not None]
        if provider.skipped_reason:
            report.lines.append(
                f"gate: {provider.name} was not run ({_one_line(provider.skipped_reason)}): "
                f"its {len(required)} required checks cannot be judged"
            )
            continue
        allowed = ", ".join(s.value for s in policy.allowed)
        for check_id, requirement in required:
            report.judged += 1
            verdict = result.verdict(provider.name, check_id)
            if verdict is None:
                report.lines.append(
                    f"gate: {provider.name}/{check_id} has no verdict (required by {requirement.describe()}): the check did not run"
                )
            elif verdict.status not in policy.allowed:
                report.lines.append(
                    f"gate: {provider.name}/{check_id} is {verdict.status.value} "
                    f"(required by {requirement.describe()}; allowed: {allowed}): {_one_line(verdict.summary)}"
                )
    return report


def check_fail_on(result: RunResult, statuses: frozenset[Status]) -> GateReport:
    """Any verdict with one of ``statuses`` breaks the gate (``--fail-on fail,error``)."""
    report = GateReport()
    if not statuses:
        return report
    rule = ",".join(s.value for s in Status if s in statuses)
    for verdict in result.verdicts:
        report.judged += 1
        if verdict.status in statuses:
            report.lines.append(
                f"fail-on: {verdict.provider}/{verdict.check_id} is {verdict.status.value} (--fail-on {rule}): {_one_line(verdict.summary)}"
            )
    return report


def _one_line(text: str) -> str:
    return one_line(text, _SUMMARY_CHARS)


@dataclass
class RunGates:
    """What decides ``run``'s exit code 1, read from the options and providers.yaml before the run
    (so a bad option or baseline file is exit 2 before any request is sent)."""

    policies: dict[str, Policy]
    fail_on: frozenset[Status]
    baseline: RunResult | None = None
    baseline_label: str = ""
    allow_regressions: bool = False
    diff: RunDiff | None = field(default=None, init=False)

    @classmethod
    def build(
        cls,
        providers: list[ProviderConfig],
        check_ids: list[str],
        *,
        require: list[str],
        fail_on: list[str],
        baseline: Path | None = None,
        allow_regressions: bool = False,
    ) -> RunGates:
        """The gates of ``--require``, ``--fail-on``, ``--baseline`` and the providers' ``requirements:``."""
        extra = parse_require_option(require, check_ids)
        policies = {p.name: p.policy.requiring(extra) for p in providers}
        loaded = load_one(baseline) if baseline is not None else None
        if allow_regressions and loaded is None:
            raise UsageError("--allow-regressions needs --baseline")
        return cls(policies, parse_fail_on(fail_on), loaded, str(baseline or ""), allow_regressions)

    def with_required(self, checks: list[Check], every: list[Check]) -> list[Check]:
        """The selected checks plus every required one among ``every``, so ``--check`` cannot hide a requirement."""
        required = {c.id for c in every for p in self.policies.values() if p.requirement_for(c.id)}
        return [c for c in every if c in checks or c.id in required]

    def compare(self, result: RunResult) -> None:
        """Against the baseline (if any); the worse cells go into the results for the reports."""
        if self.baseline is None:
            return
        self.diff = diff_runs(self.baseline, result, old_label=self.baseline_label, new_label="this run")
        result.comparison = Comparison(baseline=self.baseline_label, worse=self.diff.worse_checks())

    def finish(self, result: RunResult, out: TextIO | None = None) -> bool:
        """Print one line per broken rule (or that the gates held); True when a gate is broken."""
        out = out or sys.stdout
        reports: list[GateReport] = []
        lines: list[str] = []
        if any(p.require for p in self.policies.values()):
            reports.append(check_requirements(result, self.policies))
        if self.fail_on:
            reports.append(check_fail_on(result, self.fail_on))
        for report in reports:
            lines += report.lines
        regressions = self.diff.regressions if self.diff else []
        if self.diff is not None:
            lines += [regression_line(r, self.baseline_label) for r in regressions]
            lines += [f"note: {n}" for n in self.diff.notes]
        if not reports and self.diff is None:
            return False
        for line in lines:
            out.write(line + "\n")
        broken = any(r.broken for r in reports) or (bool(regressions) and not self.allow_regressions)
        if broken:
            out.write("gate: FAILED (exit 1)\n")
            return True
        held = []
        judged = sum(r.judged for r in reports)
        if reports:
            held.append(f"{judged} verdict(s) judged")
        if self.diff is not None:
            held.append(f"{len(self.diff.rows)} check(s) compared with {self.baseline_label}" + (
                f", {len(regressions)} regression(s) allowed" if regressions else ", no regression"))
        out.write(f"gate: passed ({'; '.join(held)})\n")
        return False

"""Requirements and policies: does a run let a CI job go ahead?

A policy names the checks an application relies on (``require``, ids or globs) and which
verdicts other than ``pass`` it tolerates for them (``allow``). It comes from ``--require`` and
from ``requirements:`` blocks in providers.yaml (global, and per provider, where it adds to the
global one). ``--fail-on fail,error`` is the simpler audit policy: any such verdict, on any
check, breaks the gate. Each broken rule is one line naming the provider, the check, the verdict,
the rule (and where it was written) and the verdict's summary.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import ConfigError, UsageError
from .results import RunResult
from .text import field_path, one_line
from .verdict import Status

_SUMMARY_CHARS = 240


@dataclass(frozen=True)
class Requirement:
    pattern: str
    """A check id or an fnmatch glob (``tools.*``)."""
    origin: str
    """Where it was written: ``--require`` or ``providers.yaml:12``."""

    def matches(self, check_id: str) -> bool:
        return fnmatch.fnmatchcase(check_id, self.pattern)

    def describe(self) -> str:
        return f"{self.origin} {self.pattern!r}"


@dataclass(frozen=True)
class Policy:
    require: tuple[Requirement, ...] = ()
    allow_warn: bool = True
    """A tolerated deviation (or "flaky k/N" with --repeat) is good enough by default."""
    allow_unsupported: bool = False
    """A required feature that is cleanly refused is still missing."""
    allow_skip: bool = False
    """A required check that was not applicable (no vision model, failed prerequisite) was not shown to work."""

    @property
    def allowed(self) -> tuple[Status, ...]:
        extra = [(self.allow_warn, Status.WARN), (self.allow_unsupported, Status.UNSUPPORTED), (self.allow_skip, Status.SKIP)]
        return (Status.PASS, *(status for ok, status in extra if ok))

    def requiring(self, more: Iterable[Requirement]) -> "Policy":
        known = set(self.require)
        return replace(self, require=self.require + tuple(r for r in more if r not in known))

    def requirement_for(self, check_id: str) -> Requirement | None:
        return next((r for r in self.require if r.matches(check_id)), None)


def known_check_ids() -> list[str]:
    from .checks import all_checks  # late: the registry imports the probes, which import config

    return [c.id for c in all_checks()]


def parse_require_option(values: Iterable[str]) -> list[Requirement]:
    """``--require a,b --require c``; every pattern must match a check (exit 2 otherwise)."""
    ids = known_check_ids()
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


def policy_from_yaml(
    base: Policy, block: Mapping[str, Any] | None, where: tuple[Any, ...], file: str, line_of: Callable[[tuple[Any, ...]], Any]
) -> Policy:
    """A ``requirements:`` block (already schema-checked) on top of ``base``: its patterns are
    added, its ``allow`` keys override. A pattern that matches no check is a config error."""
    if not block:
        return base
    ids = known_check_ids()
    added: list[Requirement] = []
    for index, pattern in enumerate(block.get("require") or []):
        at = where + ("require", index)
        if not any(fnmatch.fnmatchcase(i, pattern) for i in ids):
            raise ConfigError(
                f"{file}:{line_of(at)}: {_dotted(at)}: {pattern!r} matches no check; see `conformance list-checks`"
            )
        added.append(Requirement(pattern, f"{_basename(file)}:{line_of(at)}"))
    allow = block.get("allow") or {}
    policy = base.requiring(added)
    return replace(
        policy,
        allow_warn=allow.get("warn", policy.allow_warn),
        allow_unsupported=allow.get("unsupported", policy.allow_unsupported),
        allow_skip=allow.get("skip", policy.allow_skip),
    )


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


def _dotted(where: tuple[Any, ...]) -> str:
    return field_path(where)


def _basename(file: str) -> str:
    return file.replace("\\", "/").rsplit("/", 1)[-1]

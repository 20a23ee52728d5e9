"""Command-line side of gating: the options of ``run`` that decide exit code 1, and the
``diff`` command. The rules themselves live in gate.py (policies) and diff.py (comparisons)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .checks import Check, all_checks
from .config import ProviderConfig
from .diff import RunDiff, diff_runs, regression_line, render_markdown, render_text
from .errors import UsageError
from .gate import GateReport, Policy, check_fail_on, check_requirements, parse_fail_on, parse_require_option
from .results import Comparison, RunResult
from .text import one_line
from .verdict import Status

EXIT_OK = 0
EXIT_GATE = 1


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def add_run_options(run: argparse.ArgumentParser) -> None:
    """The options of ``run`` for cost, flakiness and gating."""
    group = run.add_argument_group("cost and flakiness")
    group.add_argument("--repeat", metavar="N", type=positive_int, default=1,
                       help="run each check N times; a check that works in some runs only is warn 'flaky k/N' (default 1)")
    group.add_argument("--max-tokens-total", metavar="N", type=positive_int, default=None,
                       help="stop starting requests once the providers have reported N tokens in all; unfinished checks "
                       "are error 'token budget of N reached' and the reports are still written (exit 0 unless a gate fails)")
    gate = run.add_argument_group("gating (exit 1 when broken; one line per broken rule)")
    gate.add_argument("--require", metavar="CHECKS", action="append", default=[],
                      help="comma-separated check ids or globs that must pass on every selected provider, e.g. "
                      "'tools.*,streaming.done' (repeatable; added to requirements: in providers.yaml)")
    gate.add_argument("--fail-on", metavar="VERDICTS", action="append", default=[],
                      help="comma-separated verdicts that fail the run on any check, e.g. 'fail,error'")
    gate.add_argument("--baseline", metavar="RESULTS.json", type=Path, default=None,
                      help="a saved results.json: any check worse than there is a regression (providers matched by name)")
    gate.add_argument("--allow-regressions", action="store_true",
                      help="with --baseline: print the regressions but do not exit 1 for them")


def add_diff_command(commands: argparse._SubParsersAction) -> None:
    diff = commands.add_parser(
        "diff", help="compare two saved results.json files: regressions, improvements, evidence changes",
        description="Compares OLD with NEW, provider by provider (matched by name; one provider each is matched "
        "whatever the names). A regression is a check whose verdict is worse in NEW, in the order "
        "pass, warn, unsupported, skip, error, fail (no verdict at all is worst). Exit 1 on any regression "
        "unless --allow-regressions; 2 when a file is missing or not a results file.",
    )
    diff.add_argument("old", metavar="OLD.json", type=Path, help="the earlier run (the baseline)")
    diff.add_argument("new", metavar="NEW.json", type=Path, help="the later run")
    diff.add_argument("--format", choices=("text", "md"), default="text", help="text (default), or md for a PR comment")
    diff.add_argument("--allow-regressions", action="store_true", help="exit 0 even when there are regressions")


def load_results_file(path: Path) -> RunResult:
    from .merge import load_many  # its errors name the file and the JSON path of the problem

    return load_many([path])[0].result


def command_diff(args: argparse.Namespace, out: TextIO | None = None) -> int:
    old, new = load_results_file(args.old), load_results_file(args.new)
    diff = diff_runs(old, new, old_label=str(args.old), new_label=str(args.new))
    out = out or sys.stdout
    out.write(render_markdown(diff) if args.format == "md" else render_text(diff))
    return EXIT_GATE if diff.regressions and not args.allow_regressions else EXIT_OK


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
    def from_args(cls, args: argparse.Namespace, providers: list[ProviderConfig]) -> "RunGates":
        extra = parse_require_option(args.require)
        policies = {p.name: p.policy.requiring(extra) for p in providers}
        baseline = load_results_file(args.baseline) if args.baseline is not None else None
        if args.allow_regressions and baseline is None:
            raise UsageError("--allow-regressions needs --baseline")
        return cls(policies, parse_fail_on(args.fail_on), baseline, str(args.baseline or ""), args.allow_regressions)

    def with_required(self, checks: list[Check]) -> list[Check]:
        """The selected checks plus every required one, so ``--check`` cannot hide a requirement."""
        required = {c.id for c in all_checks() for p in self.policies.values() if p.requirement_for(c.id)}
        return [c for c in all_checks() if c in checks or c.id in required]

    def compare(self, result: RunResult) -> None:
        """Against the baseline (if any); the worse cells go into the results for the reports."""
        if self.baseline is None:
            return
        self.diff = diff_runs(self.baseline, result, old_label=self.baseline_label, new_label="this run")
        result.comparison = Comparison(baseline=self.baseline_label, worse=self.diff.worse_checks())

    def finish(self, result: RunResult, out: TextIO | None = None) -> int:
        """Print one line per broken rule (or that the gates held) and return the exit code."""
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
            return EXIT_OK
        for line in lines:
            out.write(line + "\n")
        broken = any(r.broken for r in reports) or (bool(regressions) and not self.allow_regressions)
        if broken:
            out.write("gate: FAILED (exit 1)\n")
            return EXIT_GATE
        held = []
        judged = sum(r.judged for r in reports)
        if reports:
            held.append(f"{judged} verdict(s) judged")
        if self.diff is not None:
            held.append(f"{len(self.diff.rows)} check(s) compared with {self.baseline_label}" + (
                f", {len(regressions)} regression(s) allowed" if regressions else ", no regression"))
        out.write(f"gate: passed ({'; '.join(held)})\n")
        return EXIT_OK


def usage_line(result: RunResult) -> str:
    """Requests and tokens per provider (tokens as the providers' ``usage`` reported them)."""
    ran = [p for p in result.providers if not p.skipped_reason]
    parts = [f"{one_line(p.name, 40)} {p.requests} requests, {p.tokens} tokens" for p in ran]
    if len(ran) > 1:
        parts.append(f"total {sum(p.requests for p in ran)} requests, {sum(p.tokens for p in ran)} tokens")
    return "cost: " + ("; ".join(parts) if parts else "no requests sent")

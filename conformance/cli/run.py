"""``conformance run``: the checks against the configured providers, the reports, the gates."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..checklist import all_checks, check_ids, select_checks
from ..gate import RunGates
from ..session import Session
from .common import (
    Commands,
    ExitCode,
    Progress,
    add_color_option,
    add_out_option,
    after_run,
    announce,
    key_hints,
    latency_lines,
    positive_int,
    ready_out_dir,
    show,
    usage_line,
)


def add_parser(commands: Commands) -> None:
    run = commands.add_parser("run", help="run the checks against the configured providers and write the reports")
    run.set_defaults(handler=command)
    run.add_argument(
        "--providers", metavar="FILE", type=Path, default=None,
        help="providers file (default: ./providers.yaml, or the built-in embedded reference when there is none)",
    )
    run.add_argument("--provider", metavar="NAME", action="append", default=[], help="run only this provider (repeatable)")
    run.add_argument("--check", metavar="ID_OR_GLOB", action="append", default=[], help="run only matching checks, e.g. 'tools.*' (repeatable)")
    add_out_option(run)
    add_color_option(run)
    add_cost_options(run)
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


def add_cost_options(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """``--repeat`` and ``--max-tokens-total`` (``compare`` has them too)."""
    group = parser.add_argument_group("cost and flakiness")
    group.add_argument("--repeat", metavar="N", type=positive_int, default=1,
                       help=f"{prefix}run each check N times; a check that works in some runs only is warn 'flaky k/N' (default 1)")
    group.add_argument("--max-tokens-total", metavar="N", type=positive_int, default=None,
                       help=f"{prefix}stop starting requests once the providers have reported N tokens in all; unfinished checks "
                       "are error 'token budget of N reached' and the reports are still written (exit 0 unless a gate fails)")


def command(args: argparse.Namespace) -> ExitCode:
    ready_out_dir(args.out)
    session = Session.open(args.providers, args.provider)
    gates = RunGates.build(
        session.providers, check_ids(), require=args.require, fail_on=args.fail_on, baseline=args.baseline,
        allow_regressions=args.allow_regressions,
    )
    state = session.plan(gates.with_required(select_checks(args.check), all_checks()),
                         repeat=args.repeat, max_tokens_total=args.max_tokens_total)
    announce(session.notes, state)
    progress = Progress(sys.stderr)
    result, interrupted = session.run(state, progress.update)
    progress.finish()
    after_run(state, interrupted)
    for hint in key_hints(result, session.providers):
        print(hint, file=sys.stderr)
    gates.compare(result)
    show(result, args.out, no_color=args.no_color)
    print(usage_line(result))
    for line in latency_lines(result):
        print(line)
    if interrupted:
        return ExitCode.INTERRUPTED
    return ExitCode.GATE if gates.finish(result) else ExitCode.OK

"""``conformance compare A B``: every check where B is worse than A (see ``conformance.compare``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from ..checklist import select_checks
from ..compare import Side, parse_side, provider_of_file, render_compare_markdown, render_compare_text
from ..diff import diff_runs
from ..errors import UsageError
from ..merge import load_one
from ..report import write_reports
from ..results import Comparison, RunResult
from ..session import Session
from .common import Commands, ExitCode, Progress, add_color_option, add_out_option, after_run, announce, key_hints, ready_out_dir, usage_line
from .run import add_cost_options


def add_parser(commands: Commands) -> None:
    compare = commands.add_parser(
        "compare", help="the switch question: list every check where provider B is worse than provider A",
        description="A and B are each a provider name from the providers file (run now, side by side) or a saved "
        "results file (FILE.json, or FILE.json#PROVIDER when it holds several providers). Worse means later in "
        "pass, warn, unsupported, skip, error, fail (no verdict is worst). Exit 1 when B is worse on any check "
        "(unless --allow-regressions), 2 on a usage or configuration error, 130 when interrupted.",
    )
    compare.set_defaults(handler=command)
    compare.add_argument("a", metavar="A", help="what you use now: provider name, FILE.json or FILE.json#PROVIDER")
    compare.add_argument("b", metavar="B", help="the candidate: provider name, FILE.json or FILE.json#PROVIDER")
    compare.add_argument("--providers", metavar="FILE", type=Path, default=None,
                         help="providers file for provider names (default: ./providers.yaml, or the built-in one)")
    compare.add_argument("--check", metavar="ID_OR_GLOB", action="append", default=[],
                         help="when running: only matching checks (repeatable)")
    add_cost_options(compare, prefix="when running: ")
    add_out_option(compare, "when running: ")
    compare.add_argument("--format", choices=("text", "md"), default="text", help="text (default), or md for a PR comment")
    compare.add_argument("--allow-regressions", action="store_true", help="exit 0 even when B is worse somewhere")
    add_color_option(compare)


def command(args: argparse.Namespace, out: TextIO | None = None) -> ExitCode:
    a, b = parse_side(args.a), parse_side(args.b)
    results: dict[Side, RunResult] = {s: load_one(s.file) for s in (a, b) if s.file is not None}
    names = {s: provider_of_file(s, results[s]) if s.file is not None else s.provider for s in (a, b)}
    to_run = [str(names[s]) for s in (a, b) if s.file is None]
    if len(to_run) == 2 and to_run[0] == to_run[1]:
        raise UsageError(f"A and B are the same provider {to_run[0]!r}")
    run: RunResult | None = None
    interrupted = False
    if to_run:
        ready_out_dir(args.out)
        session = Session.open(args.providers, to_run)
        state = session.plan(select_checks(args.check), repeat=args.repeat, max_tokens_total=args.max_tokens_total)
        announce(session.notes, state)
        progress = Progress(sys.stderr)
        run, interrupted = session.run(state, progress.update)
        progress.finish()
        after_run(state, interrupted)
        for hint in key_hints(run, session.providers):
            print(hint, file=sys.stderr)
        for side in (a, b):
            results.setdefault(side, run)
    diff = diff_runs(results[a], results[b], old_label=a.given, new_label=b.given, pairs=[(str(names[a]), str(names[b]))])
    if run is not None:
        if b.file is None:  # B is a column of this run's matrix: its worse cells can be highlighted
            run.comparison = Comparison(baseline=f"provider {names[a]}" if a.file is None else a.given, worse=diff.worse_checks())
        # The side-by-side table is the answer; the run's own matrix would only repeat it.
        paths = write_reports(run, args.out)
        print("reports: " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
        print(usage_line(run), file=sys.stderr)
    (out or sys.stdout).write(render_compare_markdown(diff) if args.format == "md" else render_compare_text(diff))
    if interrupted:
        return ExitCode.INTERRUPTED
    return ExitCode.GATE if diff.regressions and not args.allow_regressions else ExitCode.OK

"""``conformance badge``: one SVG badge per provider from saved results.json files (several are merged,
as ``conformance report`` merges them). The colour rule is in ``conformance.report.badge``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from ..gate import parse_require_option
from ..matrix import ordered_checks
from ..merge import load_many, merge
from ..report.badge import write_badges
from ..text import one_line
from .common import Commands, ExitCode, ready_out_dir


def add_parser(commands: Commands) -> None:
    badge = commands.add_parser(
        "badge",
        help="write one SVG badge per provider (score, coloured by the worst verdict) from saved results.json files",
        description="Writes DIR/<provider>.svg for each provider: its score (passed/applicable) and its worst verdict, "
        "which also gives the colour. With --require, the worst verdict is taken over the required checks only "
        "(skip and a missing verdict count there); without, over every verdict but skip.",
    )
    badge.set_defaults(handler=command)
    badge.add_argument("results", metavar="RESULTS.json", type=Path, nargs="+",
                       help="results files; several are merged (for a provider in several files, the later file wins)")
    badge.add_argument("--out", metavar="DIR", type=Path, default=Path("reports/latest/badges"),
                       help="output directory (default: reports/latest/badges)")
    badge.add_argument("--require", metavar="CHECKS", action="append", default=[],
                       help="check ids or globs, comma-separated, repeatable: colour by the worst verdict among these")


def command(args: argparse.Namespace) -> ExitCode:
    ready_out_dir(args.out)
    result = merge(load_many(args.results))
    if result.sources:
        for note in result.notes:
            print(note, file=sys.stderr)
    required = None
    if args.require:
        ids = [c.id for c in ordered_checks(result)]
        patterns = parse_require_option(args.require, ids)
        required = {i for i in ids if any(r.matches(i) for r in patterns)}
    try:
        written = write_badges(result, args.out, required)
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot write the badges: {exc.strerror or exc}") from None
    for path, badge in written:
        print(f"badge: {one_line(badge.provider, 60)}: {badge.message} -> {path}")
    if not written:
        print("badge: the results hold no provider; no badge written", file=sys.stderr)
    return ExitCode.OK

"""``conformance report``: re-render saved results.json files (several are merged into one matrix)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..merge import load_many, merge
from .common import Commands, ExitCode, add_color_option, add_out_option, ready_out_dir, show


def add_parser(commands: Commands) -> None:
    report = commands.add_parser(
        "report", help="re-render the reports from saved results.json files; several files are merged into one matrix",
    )
    report.set_defaults(handler=command)
    report.add_argument("results", metavar="RESULTS.json", type=Path, nargs="+",
                        help="results files; for a provider in several files, the later file wins")
    add_out_option(report)
    add_color_option(report)


def command(args: argparse.Namespace) -> ExitCode:
    ready_out_dir(args.out)
    result = merge(load_many(args.results))
    if result.sources:  # a merge: say which file each note, and each replaced provider, came from
        for note in result.notes:
            print(note, file=sys.stderr)
    show(result, args.out, no_color=args.no_color)
    return ExitCode.OK

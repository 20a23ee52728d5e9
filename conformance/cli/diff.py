"""``conformance diff OLD NEW``: regressions, improvements and evidence changes between two runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from ..diff import diff_runs, render_markdown, render_text
from ..merge import load_one
from .common import Commands, ExitCode


def add_parser(commands: Commands) -> None:
    diff = commands.add_parser(
        "diff", help="compare two saved results.json files: regressions, improvements, evidence changes",
        description="Compares OLD with NEW, provider by provider (matched by name; one provider each is matched "
        "whatever the names). A regression is a check whose verdict is worse in NEW, in the order "
        "pass, warn, unsupported, skip, error, fail (no verdict at all is worst). Exit 1 on any regression "
        "unless --allow-regressions; 2 when a file is missing or not a results file.",
    )
    diff.set_defaults(handler=command)
    diff.add_argument("old", metavar="OLD.json", type=Path, help="the earlier run (the baseline)")
    diff.add_argument("new", metavar="NEW.json", type=Path, help="the later run")
    diff.add_argument("--format", choices=("text", "md"), default="text", help="text (default), or md for a PR comment")
    diff.add_argument("--allow-regressions", action="store_true", help="exit 0 even when there are regressions")


def command(args: argparse.Namespace, out: TextIO | None = None) -> ExitCode:
    old, new = load_one(args.old), load_one(args.new)
    diff = diff_runs(old, new, old_label=str(args.old), new_label=str(args.new))
    (out or sys.stdout).write(render_markdown(diff) if args.format == "md" else render_text(diff))
    return ExitCode.GATE if diff.regressions and not args.allow_regressions else ExitCode.OK

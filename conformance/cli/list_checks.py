"""``conformance list-checks``: every check id with what it measures and establishes."""

from __future__ import annotations

import argparse

from ..checklist import all_checks
from .common import Commands, ExitCode


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser("list-checks", help="print every check id with what it establishes")
    parser.set_defaults(handler=command)


def command(args: argparse.Namespace) -> ExitCode:
    checks = all_checks()
    width = max(len(c.id) for c in checks)
    for c in checks:
        print(f"{c.id:<{width}}  [{c.measures.value:<8}]  {c.title}")
    return ExitCode.OK

"""``conformance list-checks``: every check id with what it measures and establishes; with
``--codes``, the reason codes each can give; ``--format md`` prints the README's code reference."""

from __future__ import annotations

import argparse

from ..checklist import all_checks
from ..judge import GUARD_REASONS, RUNNER_REASONS
from .common import Commands, ExitCode


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser("list-checks", help="print every check id with what it establishes (and its reason codes)")
    parser.set_defaults(handler=command)
    parser.add_argument("--codes", action="store_true", help="also list the status/reason codes each check can give")
    parser.add_argument("--format", choices=("text", "md"), default="text",
                        help="text (default), or md: the reason-code reference as the README shows it")


def command(args: argparse.Namespace) -> ExitCode:
    print(reason_code_reference() if args.format == "md" else listing(codes=args.codes), end="")
    return ExitCode.OK


def listing(*, codes: bool) -> str:
    checks = all_checks()
    width = max(len(c.id) for c in checks)
    lines = []
    for c in checks:
        lines.append(f"{c.id:<{width}}  [{c.measures.value:<8}]  {c.title}")
        if codes:
            lines.append(f"{'':<{width}}  {' '.join(c.reasons)}")
    return "\n".join(lines) + "\n"


def reason_code_reference() -> str:
    """The README's reason-code section, generated so it cannot drift from the registry."""
    lines = [
        "| check | its own codes |",
        "|---|---|",
        *(f"| `{c.id}` | {' '.join(f'`{code}`' for code in c.reasons)} |" for c in all_checks()),
        "",
        "Any check can also give the codes of the shared guards, and the runner's:",
        "",
        "| code | meaning |",
        "|---|---|",
        *(f"| `{code}` | {meaning} |" for code, meaning in {**GUARD_REASONS, **RUNNER_REASONS}.items()),
    ]
    return "\n".join(lines) + "\n"

"""The command line: one module per subcommand, argument parsing and exit codes only. The work
happens in ``conformance.session`` (runs), the reporters, and diff/compare/merge."""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import ConfigError, UsageError
from . import badge, compare, diff, discover, list_checks, report, run
from .common import ExitCode

__all__ = ["ExitCode", "build_parser", "main"]

COMMANDS = (run, discover, list_checks, report, badge, diff, compare)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conformance",
        description="Tells, with evidence, how OpenAI-compatible an LLM provider's /v1/chat/completions is.",
        epilog="Exit codes: 0 the command completed and no gate is broken (whatever the verdicts, also when "
        "--max-tokens-total stopped the run early); 1 a gate is broken: --require / requirements: in providers.yaml, "
        "--fail-on, a regression against --baseline, a regression in `diff`, or B worse than A in `compare`; "
        "2 usage or configuration error; 130 interrupted (partial reports are still written). "
        "`conformance COMMAND --help` lists each command's options.",
    )
    parser.add_argument("--version", action="version", version=f"conformance {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(args.handler(args))
    except (ConfigError, UsageError) as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE

"""Command line: argument parsing and wiring only; the work happens in config, runner and report."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from . import __version__
from .budget import TokenBudget
from .checks import all_checks, select_checks
from .compare import add_compare_command, command_compare
from .config import Config, default_providers_path, load_config, select_providers
from .errors import ConfigError, UsageError
from .gating_cli import RunGates, add_diff_command, add_run_options, command_diff, usage_line
from .redact import Redactor
from .results import RunResult
from .runner import RunState, run_checks
from .verdict import Verdict

EXIT_OK = 0
EXIT_GATE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
_SECRET_HEADER_HINTS = ("auth", "key", "token", "secret", "cookie")


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

    run = commands.add_parser("run", help="run the checks against the configured providers and write the reports")
    run.add_argument(
        "--providers", metavar="FILE", type=Path, default=None,
        help="providers file (default: ./providers.yaml, or the built-in embedded reference when there is none)",
    )
    run.add_argument("--provider", metavar="NAME", action="append", default=[], help="run only this provider (repeatable)")
    run.add_argument("--check", metavar="ID_OR_GLOB", action="append", default=[], help="run only matching checks, e.g. 'tools.*' (repeatable)")
    run.add_argument("--out", metavar="DIR", type=Path, default=Path("reports/latest"), help="output directory (default: reports/latest)")
    run.add_argument("--no-color", action="store_true", help="plain terminal output (also when NO_COLOR is set)")
    add_run_options(run)

    commands.add_parser("list-checks", help="print every check id with what it establishes")

    report = commands.add_parser(
        "report", help="re-render the reports from saved results.json files; several files are merged into one matrix",
    )
    report.add_argument("results", metavar="RESULTS.json", type=Path, nargs="+",
                        help="results files; for a provider in several files, the later file wins")
    report.add_argument("--out", metavar="DIR", type=Path, default=Path("reports/latest"), help="output directory (default: reports/latest)")
    report.add_argument("--no-color", action="store_true", help="plain terminal output (also when NO_COLOR is set)")
    add_diff_command(commands)
    add_compare_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return command_run(args)
        if args.command == "list-checks":
            return command_list_checks()
        if args.command == "report":
            return command_report(args)
        if args.command == "diff":
            return command_diff(args)
        if args.command == "compare":
            return command_compare(args)
        parser.print_help()
        return EXIT_USAGE
    except (ConfigError, UsageError) as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def command_list_checks() -> int:
    checks = all_checks()
    width = max(len(c.id) for c in checks)
    for c in checks:
        print(f"{c.id:<{width}}  [{c.measures.value:<8}]  {c.title}")
    return EXIT_OK


def _providers_file(explicit: Path | None) -> tuple[Path, str | None]:
    if explicit is not None:
        return explicit, None
    local = Path("providers.yaml")
    if local.exists():
        return local, None
    return default_providers_path(), "no providers.yaml here: using the built-in default (the embedded reference provider)"


def _redactor(config: Config) -> Redactor:
    redactor = Redactor()
    for provider in config.providers:
        redactor.add(provider.api_key)
        for name, value in provider.headers.items():
            if any(hint in name.lower() for hint in _SECRET_HEADER_HINTS):
                redactor.add(value)
    return redactor


def _load_providers(providers_file: Path | None, names: list[str]) -> tuple[Config, list]:
    path, note = _providers_file(providers_file)
    if note:
        print(note, file=sys.stderr)
    config = load_config(path)
    return config, select_providers(config, names)


def command_run(args: argparse.Namespace) -> int:
    config, providers = _load_providers(args.providers, args.provider)
    gates = RunGates.from_args(args, providers)
    checks = gates.with_required(select_checks(args.check))
    state = RunState(
        providers=providers, checks=checks, redactor=_redactor(config),
        repeat=args.repeat, budget=TokenBudget(args.max_tokens_total),
    )
    result, interrupted = execute(state)
    gates.compare(result)
    write_and_show(result, args.out, no_color=args.no_color)
    if interrupted:
        return EXIT_INTERRUPTED
    return gates.finish(result)


def run_providers(
    providers_file: Path | None, names: list[str], check_patterns: list[str], *, repeat: int = 1, max_tokens_total: int | None = None
) -> tuple[RunResult, bool]:
    """Run the named providers side by side (for `compare`); returns (result, interrupted)."""
    config, providers = _load_providers(providers_file, names)
    state = RunState(
        providers=providers, checks=select_checks(check_patterns), redactor=_redactor(config),
        repeat=repeat, budget=TokenBudget(max_tokens_total),
    )
    return execute(state)


def execute(state: RunState) -> tuple[RunResult, bool]:
    """The run, with progress on stderr; Ctrl-C keeps what finished. Returns (result, interrupted)."""
    for p in state.providers:
        if p.skipped_reason:
            print(f"skipping provider {p.name}: {p.skipped_reason}", file=sys.stderr)
    progress = Progress(sys.stderr)
    interrupted = False
    try:
        result = asyncio.run(run_checks(state, progress.update))
    except KeyboardInterrupt:
        interrupted = True
        result = state.result(interrupted=True)
    progress.finish()
    if interrupted:
        print("interrupted: partial results written; unfinished checks are marked error", file=sys.stderr)
    if state.budget.exhausted:
        print(f"{state.budget.message}: the run stopped early; unfinished checks are marked error", file=sys.stderr)
    return result, interrupted


def write_and_show(result: RunResult, out: Path, *, no_color: bool) -> None:
    """The reports of a run just made, the matrix, and what the run cost."""
    color = sys.stdout.isatty() and not no_color and "NO_COLOR" not in os.environ
    _write_and_show(result, out, color)
    print(usage_line(result))


def command_report(args: argparse.Namespace) -> int:
    from .merge import load_many, merge

    result = merge(load_many(args.results))
    if result.sources:  # a merge: say which file each note, and each replaced provider, came from
        for note in result.notes:
            print(note, file=sys.stderr)
    color = sys.stdout.isatty() and not args.no_color and "NO_COLOR" not in os.environ
    _write_and_show(result, args.out, color)
    return EXIT_OK


def _write_and_show(result: RunResult, out: Path, color: bool) -> None:
    from .report import write_reports
    from .report.terminal import render_terminal_matrix

    paths = write_reports(result, out)
    print(render_terminal_matrix(result, color=color))
    print("reports: " + ", ".join(str(p) for p in paths.values()))


class Progress:
    """A live line on a terminal (rewritten in place); one line per finished provider otherwise."""

    def __init__(self, stream) -> None:  # noqa: ANN001 (a text stream)
        self.stream = stream
        self.live = stream.isatty()
        self.done = 0
        self.per_provider: dict[str, int] = {}

    def update(self, state: RunState, verdict: Verdict) -> None:
        self.done += 1
        self.per_provider[verdict.provider] = self.per_provider.get(verdict.provider, 0) + 1
        total = state.total
        if self.live:
            line = f"[{self.done}/{total}] {verdict.provider}: {verdict.check_id} {verdict.status.value}"
            self.stream.write("\r\033[K" + line[:120])
            self.stream.flush()
        elif self.per_provider[verdict.provider] == len(state.checks):
            self.stream.write(f"[{self.done}/{total}] provider {verdict.provider} done\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.live and self.done:
            self.stream.write("\r\033[K")
            self.stream.flush()

"""What several commands share: exit codes, option types, progress, and showing a run's reports."""

from __future__ import annotations

import argparse
import enum
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO, TypeAlias

from ..config import ProviderConfig
from ..errors import UsageError
from ..report import write_reports
from ..report.latency import spread_ms, tokens_rate
from ..report.terminal import render_terminal_matrix
from ..results import RunResult
from ..runner import RunState
from ..text import one_line, plural
from ..verdict import Verdict

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class ExitCode(enum.IntEnum):
    OK = 0
    """The command completed and no gate is broken, whatever the verdicts."""
    GATE = 1
    """A gate is broken: a requirement, --fail-on, a regression, or B worse than A."""
    USAGE = 2
    """Usage or configuration error; the message names the file, the line and the field."""
    INTERRUPTED = 130
    """Ctrl-C: the reports are still written, unfinished checks are error."""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def add_out_option(parser: argparse.ArgumentParser, help_prefix: str = "") -> None:
    parser.add_argument("--out", metavar="DIR", type=Path, default=Path("reports/latest"),
                        help=f"{help_prefix}output directory (default: reports/latest)")


def add_color_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-color", action="store_true", help="plain terminal output (also when NO_COLOR is set)")


def ready_out_dir(out: Path) -> None:
    """Make sure the reports can be written there, before any request is sent (exit 2 otherwise).
    Nothing is created yet: a run that stops on a later usage error leaves no empty folder."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, not a directory for the reports")
    existing = next(p for p in (out, *out.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise UsageError(f"--out {out}: cannot be created: {existing} is a file")
    try:  # the only sure test of writability (root passes os.access everywhere, /proc refuses anyway)
        os.rmdir(tempfile.mkdtemp(prefix=".conformance-", dir=existing))
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot be created: {existing} is not writable ({exc.strerror or exc})") from None


def wants_color(no_color: bool) -> bool:
    return sys.stdout.isatty() and not no_color and "NO_COLOR" not in os.environ


def show(result: RunResult, out: Path, *, no_color: bool) -> None:
    """Write the four reports and print the matrix and where the reports are."""
    try:
        paths = write_reports(result, out)
    except OSError as exc:  # checked before the run, but the disk may have changed since
        raise UsageError(f"--out {out}: cannot write the reports: {exc.strerror or exc}") from None
    print(render_terminal_matrix(result, color=wants_color(no_color)))
    print("reports: " + ", ".join(str(p) for p in paths.values()))


def usage_line(result: RunResult) -> str:
    """Requests and tokens per provider (tokens as the providers' ``usage`` reported them)."""
    ran = [p for p in result.providers if not p.skipped_reason]
    def cost(requests: int, tokens: int) -> str:
        return f"{plural(requests, 'request')}, {plural(tokens, 'token')}"

    parts = [f"{one_line(p.name, 40)} {cost(p.requests, p.tokens)}" for p in ran]
    if len(ran) > 1:
        parts.append(f"total {cost(sum(p.requests for p in ran), sum(p.tokens for p in ran))}")
    return "cost: " + ("; ".join(parts) if parts else "no requests sent")


def latency_lines(result: RunResult) -> list[str]:
    """One line per provider with latency figures, saying where they were measured and what they are not."""
    lines = []
    for p in result.providers:
        lat = p.latency
        if lat is None:
            continue
        rate = f", {tokens_rate(lat)} tokens/s" if lat.tokens_per_s else ""
        lines.append(
            f"latency: {one_line(p.name, 40)}: first byte {spread_ms(lat.first_byte_ms)}, first token {spread_ms(lat.first_token_ms)}, "
            f"whole stream {spread_ms(lat.total_ms)}{rate}; medians over {plural(lat.streams, 'stream')}"
        )
    if lines:
        where = {p.latency.measured for p in result.providers if p.latency}
        lines.append(f"latency: measured at run time over {' and '.join(sorted(where))} from the checks' short, capped requests: "
                     "what a client here saw, not a benchmark of the model")
    return lines


def key_hints(result: RunResult, providers: list[ProviderConfig]) -> list[str]:
    """One line per provider that refused the key on every request: the key itself is probably
    wrong, which a matrix full of skips would otherwise blame on the provider."""
    hints = []
    for provider in providers:
        verdict = result.verdict(provider.name, "auth.bearer")
        if verdict is not None and verdict.code == "fail/refused":
            where = f"the key in ${{{provider.key_env}}}" if provider.key_env else "the configured api_key"
            hints.append(f"hint: {provider.name} refused the key on every request: {where} is probably wrong or expired "
                         "(the checks that needed it are skipped, not failed by the provider)")
    return hints


def announce(notes: list[str], state: RunState) -> None:
    """Before a run: notes about the providers file, and the providers that will be skipped."""
    for note in notes:
        print(note, file=sys.stderr)
    for p in state.providers:
        if p.skipped_reason:
            print(f"skipping provider {p.name}: {p.skipped_reason}", file=sys.stderr)


def after_run(state: RunState, interrupted: bool) -> None:
    if interrupted:
        print("interrupted: partial results written; unfinished checks are marked error", file=sys.stderr)
    if state.budget.exhausted:
        print(f"{state.budget.message}: the run stopped early; unfinished checks are marked error", file=sys.stderr)


class Progress:
    """A live line on a terminal (rewritten in place); one line per finished provider otherwise."""

    def __init__(self, stream: TextIO) -> None:
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

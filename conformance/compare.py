"""``conformance compare A B``: the switch question. Can an application that works with A move
to B (or to a new version of B) without breaking? Every check where B is worse than A is listed
and highlighted; exit 1 if there is any.

Each side is a provider name from providers.yaml (run now, both side by side in one run) or a
saved results file (``FILE.json``, or ``FILE.json#PROVIDER`` when the file holds several).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .diff import Row, RunDiff, diff_runs
from .errors import UsageError
from .gating_cli import EXIT_GATE, EXIT_OK, load_results_file, positive_int
from .matrix import EMOJI
from .report.markdown import md, md_code
from .text import one_line
from .results import Comparison, RunResult

_MARK = "◀ worse"
_SUMMARY_CHARS = 240


def add_compare_command(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser(
        "compare", help="the switch question: list every check where provider B is worse than provider A",
        description="A and B are each a provider name from the providers file (run now, side by side) or a saved "
        "results file (FILE.json, or FILE.json#PROVIDER when it holds several providers). Worse means later in "
        "pass, warn, unsupported, skip, error, fail (no verdict is worst). Exit 1 when B is worse on any check "
        "(unless --allow-regressions), 2 on a usage or configuration error, 130 when interrupted.",
    )
    compare.add_argument("a", metavar="A", help="what you use now: provider name, FILE.json or FILE.json#PROVIDER")
    compare.add_argument("b", metavar="B", help="the candidate: provider name, FILE.json or FILE.json#PROVIDER")
    compare.add_argument("--providers", metavar="FILE", type=Path, default=None,
                         help="providers file for provider names (default: ./providers.yaml, or the built-in one)")
    compare.add_argument("--check", metavar="ID_OR_GLOB", action="append", default=[],
                         help="when running: only matching checks (repeatable)")
    compare.add_argument("--repeat", metavar="N", type=positive_int, default=1, help="when running: run each check N times")
    compare.add_argument("--max-tokens-total", metavar="N", type=positive_int, default=None,
                         help="when running: stop starting requests after N tokens in all")
    compare.add_argument("--out", metavar="DIR", type=Path, default=Path("reports/latest"),
                         help="when running: output directory of the reports (default: reports/latest)")
    compare.add_argument("--format", choices=("text", "md"), default="text", help="text (default), or md for a PR comment")
    compare.add_argument("--allow-regressions", action="store_true", help="exit 0 even when B is worse somewhere")
    compare.add_argument("--no-color", action="store_true", help="plain terminal output (also when NO_COLOR is set)")


@dataclass(frozen=True)
class Side:
    given: str
    file: Path | None
    """Set for a results file; None for a provider of the providers file."""
    provider: str | None
    """The provider's name; None for a file whose only provider is meant."""


def parse_side(text: str) -> Side:
    path_text, hash_mark, name = text.rpartition("#")
    if not hash_mark:
        path_text, name = text, ""
    path = Path(path_text)
    if path.suffix == ".json" or path.is_file():
        return Side(text, path, name or None)
    return Side(text, None, text)


def provider_of_file(side: Side, result: RunResult) -> str:
    ran = [p.name for p in result.providers if not p.skipped_reason]
    if side.provider is not None:
        if side.provider not in [p.name for p in result.providers]:
            raise UsageError(f"{side.file}: has no provider {side.provider!r} (it has: {', '.join(ran) or 'none that ran'})")
        return side.provider
    if len(ran) != 1:
        raise UsageError(f"{side.file}: holds {len(ran)} providers that ran ({', '.join(ran)}); name one as {side.file}#PROVIDER")
    return ran[0]


def command_compare(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from .cli import EXIT_INTERRUPTED, run_providers, write_and_show

    a, b = parse_side(args.a), parse_side(args.b)
    results: dict[Side, RunResult] = {s: load_results_file(s.file) for s in (a, b) if s.file is not None}
    names = {s: provider_of_file(s, results[s]) if s.file is not None else s.provider for s in (a, b)}
    to_run = [names[s] for s in (a, b) if s.file is None]
    if len(to_run) == 2 and to_run[0] == to_run[1]:
        raise UsageError(f"A and B are the same provider {to_run[0]!r}")
    run: RunResult | None = None
    interrupted = False
    if to_run:
        run, interrupted = run_providers(
            args.providers, to_run, args.check, repeat=args.repeat, max_tokens_total=args.max_tokens_total
        )
        for side in (a, b):
            results.setdefault(side, run)
    diff = diff_runs(results[a], results[b], old_label=a.given, new_label=b.given, pairs=[(names[a], names[b])])
    if run is not None:
        if b.file is None:  # B is a column of this run's matrix: its worse cells can be highlighted
            run.comparison = Comparison(baseline=f"provider {names[a]}" if a.file is None else a.given, worse=diff.worse_checks())
        write_and_show(run, args.out, no_color=args.no_color)
    out = out or sys.stdout
    out.write(render_compare_markdown(diff) if args.format == "md" else render_compare_text(diff))
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_GATE if diff.regressions and not args.allow_regressions else EXIT_OK


def _worse_line(row: Row) -> str:
    return (
        f"worse: {row.check_id}: {one_line(row.old_provider)} {row.before.status.value} → "
        f"{one_line(row.new_provider)} {row.after_word}: {one_line(row.after_summary, _SUMMARY_CHARS)}"
    )


def render_compare_text(diff: RunDiff) -> str:
    """Both columns side by side, the worse rows marked, then one line per worse check."""
    a_name = one_line(diff.rows[0].old_provider if diff.rows else diff.old_label, 24)
    b_name = one_line(diff.rows[0].new_provider if diff.rows else diff.new_label, 24)
    id_width = max([len("check")] + [len(r.check_id) for r in diff.rows])
    a_width, b_width = max(len(a_name), 11), max(len(b_name), 11)
    lines = [
        f"conformance compare: A = {one_line(diff.old_label)}, B = {one_line(diff.new_label)}",
        f"{'check':<{id_width}}  {a_name:<{a_width}}  {b_name:<{b_width}}",
        f"{'-' * id_width}  {'-' * a_width}  {'-' * b_width}",
    ]
    for r in diff.rows:
        mark = f"  {_MARK}" if r.worse else ""
        lines.append(f"{r.check_id:<{id_width}}  {r.before.status.value:<{a_width}}  {r.after_word:<{b_width}}{mark}".rstrip())
    lines.append("")
    worse = diff.regressions
    if worse:
        lines.append(f"B is worse than A on {len(worse)} of {len(diff.rows)} checks:")
        lines += [_worse_line(r) for r in worse]
    else:
        lines.append(f"B is not worse than A on any of the {len(diff.rows)} checks compared")
    better = diff.improvements
    if better:
        lines.append(f"B is better than A on {len(better)}: " + ", ".join(r.check_id for r in better))
    lines += [f"note: {one_line(n)}" for n in diff.notes]
    return "\n".join(lines) + "\n"


def render_compare_markdown(diff: RunDiff) -> str:
    a_name = diff.rows[0].old_provider if diff.rows else diff.old_label
    b_name = diff.rows[0].new_provider if diff.rows else diff.new_label
    worse = diff.regressions
    verdict = (
        f"**B is worse than A on {len(worse)} of {len(diff.rows)} checks**" if worse
        else f"B is not worse than A on any of the {len(diff.rows)} checks compared"
    )
    lines = [
        f"### conformance compare: A = {md_code(diff.old_label)}, B = {md_code(diff.new_label)}",
        "",
        verdict,
        "",
        f"| | check | A: {md(a_name, 60)} | B: {md(b_name, 60)} | B's summary |",
        "|---|---|---|---|---|",
    ]
    for r in diff.rows:
        after = f"{EMOJI[r.after.status]} {r.after.status.value}" if r.after else "— not run"
        mark = "🔻" if r.worse else ("🔺" if r.better else "")
        summary = md(r.after_summary, _SUMMARY_CHARS) if r.worse or r.better else ""
        lines.append(
            f"| {mark} | {md_code(r.check_id)} | {EMOJI[r.before.status]} {r.before.status.value} | {after} | {summary} |"
        )
    lines.append("")
    lines += [f"- {md(n)}" for n in diff.notes]
    return "\n".join(lines) + "\n"

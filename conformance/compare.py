"""``conformance compare A B``: the switch question. Can an application that works with A move
to B (or to a new version of B) without breaking? Every check where B is worse than A is listed
and highlighted; exit 1 if there is any.

Each side is a provider name from providers.yaml (run now, both side by side in one run) or a
saved results file (``FILE.json``, or ``FILE.json#PROVIDER`` when the file holds several).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .diff import Row, RunDiff
from .errors import UsageError
from .matrix import EMOJI
from .report.markdown import md, md_code
from .results import RunResult
from .text import one_line

_MARK = "◀ worse"
_SUMMARY_CHARS = 240


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

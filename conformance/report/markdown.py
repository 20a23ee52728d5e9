"""summary.md: the matrix as a GitHub-flavoured Markdown table, and the escaping that keeps
provider text inert in Markdown (used by diff and compare too)."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..matrix import EMOJI, matrix_providers, ordered_checks, skipped_providers, verdict_index
from ..results import ProviderRun, RunResult
from ..text import one_line, plural
from ..verdict import Status, Verdict
from .dates import when
from .groups import column_groups, short_name
from .latency import caveat, latency_line
from .overview import Tallies

# --------------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: str, limit: int = 500) -> str:
    """Provider-supplied text made safe for one Markdown table cell or list item.

    Markup characters become entities (so no raw ``<`` ever reaches a Markdown-to-HTML renderer),
    the rest of Markdown's syntax is backslash-escaped, and the text is kept on one line.
    """
    text = one_line(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(text: str) -> str:
    """Inline code span; backticks and pipes cannot be escaped inside one, so they are replaced."""
    text = one_line(text, 200).replace("`", "'").replace("|", "¦")
    return f"`{text}`"


def md_cell(verdict: Verdict | None) -> str:
    if verdict is None:
        return "— n/a"
    return f"{EMOJI[verdict.status]} {verdict.status.value}"


def column_title(p: ProviderRun) -> str:
    """A matrix column's head: ``gw / gpt-4o`` for a model of a group (the spaces let a narrow table wrap
    it there), the name alone otherwise."""
    if p.group is None or short_name(p) == p.name:
        return md(p.name, 80)
    return f"{md(p.group, 40)} / {md(short_name(p), 80)}"


def score_line(result: RunResult, tallies: Tallies, p: ProviderRun, name: str) -> str:
    """``**name**: 30/35 (2 fail, 3 skip)``, and the run it comes from in a merged result."""
    passed, applicable = tallies.score(p.name)
    counts = tallies.counts(p.name)
    detail = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s] and s != Status.PASS)
    source = result.source_of(p.name)
    origin = f" · run {md(when(source.started_at), 60)}, conformance {md(source.tool_version, 60)}" if source else ""
    return f"**{name}**: {passed}/{applicable}" + (f" ({detail})" if detail else "") + origin


def grouped_items(providers: list[ProviderRun], item: Callable[[ProviderRun, str], str]) -> list[str]:
    """One list item per column, ``item(provider, shown name)``; a group's models nested, by model
    alone, under an item with the group's name, as report.html groups its columns."""
    lines = []
    for group in column_groups(providers):
        if group.name is None:
            lines += [f"- {item(p, md(p.name, 80))}" for p in group.columns]
        else:
            lines.append(f"- **{md(group.name, 80)}** ({plural(len(group.columns), 'model')})")
            lines += [f"  - {item(p, md(short_name(p), 80))}" for p in group.columns]
    return lines


def score_lines(result: RunResult, providers: list[ProviderRun]) -> list[str]:
    tallies = Tallies(result)
    return grouped_items(providers, lambda p, name: score_line(result, tallies, p, name))


def latency_lines(result: RunResult) -> list[str]:
    """The "Latency" section: one item per provider that ran, and what the figures are; nothing when
    no provider has figures (a run whose streams all failed, a file written before latency)."""
    ran = [p for p in result.providers if not p.skipped_reason]
    measured = [p for p in ran if p.latency is not None]
    if not measured:
        return []
    lines = ["## Latency", "", md(caveat(measured), 1000), ""]
    lines += grouped_items(ran, lambda p, name: f"**{name}**: {md(latency_line(p.latency), 1000)}")
    return lines + [""]


def render_markdown(result: RunResult) -> str:
    providers = matrix_providers(result)
    index = verdict_index(result)
    lines: list[str] = ["# OpenAI compatibility matrix", ""]

    meta = (
        f"Run {md(when(result.started_at), 60)} · {result.duration_s:.1f} s · "
        f"conformance {md(result.tool_version, 60)}"
    )
    if result.sources:
        meta += f" · merged from {plural(len(result.sources), 'run')}"
    if result.interrupted:
        meta += " · ⚠️ **interrupted** (results incomplete)"
    lines += [meta, ""]

    header = ["Check"] + [column_title(p) for p in providers]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] + [":---:"] * len(providers)) + "|")
    for check in ordered_checks(result):
        row = [md_code(check.id)] + [md_cell(index.get((p.name, check.id))) for p in providers]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")

    if providers:
        lines += ["## Scores", "", "Passed / applicable (applicable = every verdict that is not skip).", ""]
        lines += score_lines(result, providers)
        lines.append("")
        lines += latency_lines(result)

    skipped = skipped_providers(result)
    if skipped:
        lines += ["## Skipped providers", ""]
        for p in skipped:
            lines.append(f"- **{md(p.name, 80)}**: {md(p.skipped_reason or '')}")
        lines.append("")

    if result.notes:
        lines += ["## Notes", ""]
        lines += [f"- {md(n)}" for n in result.notes]
        lines.append("")

    lines.append(
        "Legend: ✅ pass · ❌ fail · ⚠️ warn (tolerated deviation) · 🚫 unsupported (cleanly refused) · "
        "⏭️ skip (not applicable) · 💥 error (inconclusive)"
    )
    return "\n".join(lines) + "\n"

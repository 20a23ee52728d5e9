"""summary.md: the matrix as a GitHub-flavoured Markdown table, and the escaping that keeps
provider text inert in Markdown (used by diff and compare too)."""

from __future__ import annotations

import re

from ..matrix import EMOJI, matrix_providers, ordered_checks, score, skipped_providers, verdict_index
from ..results import RunResult
from ..text import one_line, plural
from ..verdict import Status, Verdict
from .dates import when

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

    header = ["Check"] + [md(p.name, 80) for p in providers]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] + [":---:"] * len(providers)) + "|")
    for check in ordered_checks(result):
        row = [md_code(check.id)] + [md_cell(index.get((p.name, check.id))) for p in providers]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")

    if providers:
        lines += ["## Scores", "", "Passed / applicable (applicable = every verdict that is not skip).", ""]
        for p in providers:
            passed, applicable = score(result, p.name)
            counts = result.counts(p.name)
            detail = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s] and s != Status.PASS)
            source = result.source_of(p.name)
            origin = f" · run {md(when(source.started_at), 60)}, conformance {md(source.tool_version, 60)}" if source else ""
            lines.append(f"- **{md(p.name, 80)}**: {passed}/{applicable}" + (f" ({detail})" if detail else "") + origin)
        lines.append("")

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

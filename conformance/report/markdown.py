"""summary.md: the matrix as a GitHub-flavoured Markdown table.

Also home to the small helpers the other reporters share (check order, matrix columns, scores,
making hostile text visible), so every report lays the matrix out the same way.
"""

from __future__ import annotations

import re

from ..results import CheckInfo, ProviderRun, RunResult
from ..verdict import Status, Verdict

SECTION_ORDER: tuple[str, ...] = (
    "base_url", "auth", "models", "chat", "system", "vision",
    "tools", "streaming", "tokens", "errors", "limits", "extras",
)

EMOJI: dict[Status, str] = {
    Status.PASS: "✅",
    Status.FAIL: "❌",
    Status.WARN: "⚠️",
    Status.UNSUPPORTED: "🚫",
    Status.SKIP: "⏭️",
    Status.ERROR: "💥",
}

# Characters that change how surrounding text is displayed without being visible themselves:
# C0/C1 controls (bar tab and newline), bidi embeddings/overrides/isolates and marks, lone surrogates.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def visible(text: str) -> str:
    """Replace control, bidi-override and lone-surrogate characters by a visible ``\\uXXXX``."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with a note saying how much was cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"… (truncated {len(text) - limit} chars)"


def one_line(text: str, limit: int | None = None) -> str:
    """Collapse all whitespace runs (newlines included) to one space, make it visible, cut it."""
    text = " ".join(str(text).split())
    if limit is not None:
        text = clip(text, limit)
    return visible(text)


def ordered_checks(result: RunResult) -> list[CheckInfo]:
    """Checks grouped by section (the checklist order, then other sections as first met).

    Verdicts whose check is not listed in ``result.checks`` get a synthesised entry, so nothing
    a run produced is silently left out of a report.
    """
    checks = list(result.checks)
    known = {c.id for c in checks}
    for v in result.verdicts:
        if v.check_id not in known:
            known.add(v.check_id)
            section = v.check_id.split(".", 1)[0] if "." in v.check_id else "other"
            checks.append(CheckInfo(id=v.check_id, section=section, title="", measures=""))
    sections: list[str] = []
    for c in checks:
        if c.section not in sections:
            sections.append(c.section)
    rank = {s: i for i, s in enumerate(SECTION_ORDER)}
    first_seen = {s: i for i, s in enumerate(sections)}
    sections.sort(key=lambda s: (rank.get(s, len(SECTION_ORDER)), first_seen[s]))
    return [c for s in sections for c in checks if c.section == s]


def matrix_providers(result: RunResult) -> list[ProviderRun]:
    """The matrix columns: providers that ran, plus any provider a verdict names but the run does not."""
    cols = [p for p in result.providers if not p.skipped_reason]
    named = {p.name for p in result.providers}
    for v in result.verdicts:
        if v.provider not in named:
            named.add(v.provider)
            cols.append(ProviderRun(name=v.provider, base_url="", models={}))
    return cols


def skipped_providers(result: RunResult) -> list[ProviderRun]:
    return [p for p in result.providers if p.skipped_reason]


def score(result: RunResult, provider: str) -> tuple[int, int]:
    """(passed, applicable), where applicable counts every verdict that is not ``skip``."""
    verdicts = [v for v in result.verdicts if v.provider == provider]
    passed = sum(1 for v in verdicts if v.status == Status.PASS)
    applicable = sum(1 for v in verdicts if v.status != Status.SKIP)
    return passed, applicable


def verdict_index(result: RunResult) -> dict[tuple[str, str], Verdict]:
    """(provider, check id) → verdict; the first one wins if a run repeated a pair."""
    index: dict[tuple[str, str], Verdict] = {}
    for v in result.verdicts:
        index.setdefault((v.provider, v.check_id), v)
    return index


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
        f"Run {md(result.started_at, 60)} · {result.duration_s:.1f} s · "
        f"conformance {md(result.tool_version, 60)}"
    )
    if result.sources:
        meta += f" · merged from {len(result.sources)} run" + ("s" if len(result.sources) != 1 else "")
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
            origin = f" · run {md(source.started_at, 60)}, conformance {md(source.tool_version, 60)}" if source else ""
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

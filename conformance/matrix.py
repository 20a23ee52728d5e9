"""How every report lays out the providers × checks matrix: section order, row order, columns,
scores and the marks of each verdict. Reporters, gating and comparisons all read it from here."""

from __future__ import annotations

from .results import CheckInfo, ProviderRun, RunResult
from .verdict import Status, Verdict

SECTIONS: tuple[str, ...] = (
    "base_url", "auth", "models", "chat", "system", "vision", "tools", "structured", "params", "streaming", "tokens", "errors",
    "limits", "responses", "sdk",
)
"""The checklist's sections, in the order every report shows them (unknown sections follow)."""

EMOJI: dict[Status, str] = {
    Status.PASS: "✅",
    Status.FAIL: "❌",
    Status.WARN: "⚠️",
    Status.UNSUPPORTED: "🚫",
    Status.SKIP: "⏭️",
    Status.ERROR: "💥",
}


def section_rank(section: str) -> int:
    return SECTIONS.index(section) if section in SECTIONS else len(SECTIONS)


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
    first_seen = {s: i for i, s in enumerate(sections)}
    sections.sort(key=lambda s: (section_rank(s), first_seen[s]))
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

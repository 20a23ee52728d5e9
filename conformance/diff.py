"""Compare two runs: which checks got worse, which got better, and whose evidence changed.

Worse means later in ``verdict.STATUS_ORDER`` (pass, warn, unsupported, skip, error, fail), and
a check with no verdict at all in the new run (its provider was not run) is worst. Every worse
check is a regression: pass → anything worse is the case a gate exists for, but warn → fail or
unsupported → fail (a clean refusal became a silent misbehaviour) break an application too.

The evidence class of a verdict is what kind of evidence it rests on, without the parts that
change on every run (ids, timings, text): the schema issues (level, schema, JSON path) and the
HTTP statuses seen. A new schema error path under an unchanged ``warn`` is worth a look.

Providers are paired by name; two runs of one provider each are paired whatever their names
(the "switch from A to B" case).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .matrix import EMOJI
from .report.markdown import md, md_code
from .results import RunResult, WorseCheck
from .text import one_line
from .verdict import STATUS_ORDER, Status, Verdict

_RANK = {status: index for index, status in enumerate(STATUS_ORDER)}
_NOT_RUN = len(STATUS_ORDER)
_SUMMARY_CHARS = 240


def rank(verdict: Verdict | None) -> int:
    return _NOT_RUN if verdict is None else _RANK[verdict.status]


def evidence_class(verdict: Verdict) -> frozenset[str]:
    """What kind of evidence a verdict rests on (see the module docstring)."""
    kinds = {f"{i.level} schema issue: {i.schema} {i.path}" for i in verdict.schema_issues}
    for exchange in verdict.exchanges:
        if exchange.response is not None:
            kinds.add(f"HTTP {exchange.response.status}")
        elif exchange.error:
            kinds.add("no response")
    return frozenset(kinds)


@dataclass(frozen=True)
class Row:
    """One check of one provider pair, present in the old run."""

    old_provider: str
    new_provider: str
    check_id: str
    before: Verdict
    after: Verdict | None
    why_missing: str = ""
    """When ``after`` is None: why the new run has no verdict."""

    @property
    def provider(self) -> str:
        same = self.old_provider == self.new_provider
        return self.new_provider if same else f"{self.old_provider}→{self.new_provider}"

    @property
    def worse(self) -> bool:
        return rank(self.after) > rank(self.before)

    @property
    def better(self) -> bool:
        return rank(self.after) < rank(self.before)

    @property
    def evidence_added(self) -> list[str]:
        return sorted(evidence_class(self.after) - evidence_class(self.before)) if self.after else []

    @property
    def evidence_gone(self) -> list[str]:
        return sorted(evidence_class(self.before) - evidence_class(self.after)) if self.after else []

    @property
    def after_word(self) -> str:
        return self.after.status.value if self.after else "not run"

    @property
    def after_summary(self) -> str:
        return self.after.summary if self.after else self.why_missing


@dataclass
class RunDiff:
    old_label: str
    new_label: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.worse]

    @property
    def improvements(self) -> list[Row]:
        return [r for r in self.rows if r.better]

    @property
    def evidence_changes(self) -> list[Row]:
        return [r for r in self.rows if r.evidence_added or r.evidence_gone]

    @property
    def unchanged(self) -> int:
        return sum(1 for r in self.rows if not r.worse and not r.better)

    def worse_checks(self) -> list[WorseCheck]:
        """For ``RunResult.comparison`` (what the HTML report highlights)."""
        return [WorseCheck(r.new_provider, r.check_id, r.before.status.value, r.after.status.value if r.after else None) for r in self.regressions]


def pair_providers(old: RunResult, new: RunResult) -> tuple[list[tuple[str, str]], list[str]]:
    """(old name, new name) pairs to compare, and notes on providers left out."""
    old_names = [p.name for p in old.providers]
    new_names = [p.name for p in new.providers]
    pairs = [(name, name) for name in old_names if name in new_names]
    if not pairs and len(old_names) == 1 and len(new_names) == 1:
        return [(old_names[0], new_names[0])], [f"comparing provider {old_names[0]!r} (old) with {new_names[0]!r} (new)"]
    paired_old = {o for o, _ in pairs}
    paired_new = {n for _, n in pairs}
    notes = [f"provider {n!r} is only in the old run: not compared" for n in old_names if n not in paired_old]
    notes += [f"provider {n!r} is only in the new run: not compared" for n in new_names if n not in paired_new]
    return pairs, notes


def diff_runs(
    old: RunResult, new: RunResult, *, old_label: str, new_label: str, pairs: list[tuple[str, str]] | None = None
) -> RunDiff:
    notes: list[str] = []
    if pairs is None:
        pairs, notes = pair_providers(old, new)
    diff = RunDiff(old_label, new_label, notes=notes)
    new_checks = {c.id for c in new.checks}
    for old_name, new_name in pairs:
        old_run = next((p for p in old.providers if p.name == old_name), None)
        new_run = next((p for p in new.providers if p.name == new_name), None)
        if old_run is not None and old_run.skipped_reason:
            diff.notes.append(f"provider {old_name!r} was not run in the old run ({old_run.skipped_reason}): nothing to compare")
            continue
        before_all = [v for v in old.verdicts if v.provider == old_name]
        not_in_new = [v.check_id for v in before_all if v.check_id not in new_checks]
        if not_in_new:
            diff.notes.append(f"{len(not_in_new)} check(s) of {old_name!r} are not in the new run, not compared: {', '.join(not_in_new)}")
        for before in before_all:
            if before.check_id not in new_checks:
                continue
            after = new.verdict(new_name, before.check_id)
            why = ""
            if after is None:
                reason = new_run.skipped_reason if new_run is not None else None
                why = f"provider not run: {reason}" if reason else "no verdict in the new run"
            diff.rows.append(Row(old_name, new_name, before.check_id, before, after, why))
        old_checks = {v.check_id for v in before_all}
        added = [v.check_id for v in new.verdicts if v.provider == new_name and v.check_id not in old_checks]
        if added:
            diff.notes.append(f"{len(added)} check(s) of {new_name!r} are only in the new run, not compared: {', '.join(added)}")
    return diff


# --- rendering -----------------------------------------------------------------------------------
def _short(text: str) -> str:
    return one_line(text, _SUMMARY_CHARS)


def regression_line(row: Row, against: str = "") -> str:
    where = f" (baseline {against})" if against else ""
    return f"regression: {one_line(row.provider)}/{row.check_id}: {row.before.status.value} → {row.after_word}{where}: {_short(row.after_summary)}"


def render_text(diff: RunDiff) -> str:
    lines = [
        f"conformance diff: {one_line(diff.old_label)} → {one_line(diff.new_label)}",
        f"{len(diff.regressions)} regression(s), {len(diff.improvements)} improvement(s), "
        f"{len(diff.evidence_changes)} evidence change(s), {diff.unchanged} check(s) unchanged",
    ]
    lines += [regression_line(r) for r in diff.regressions]
    lines += [
        f"improvement: {one_line(r.provider)}/{r.check_id}: {r.before.status.value} → {r.after_word}: {_short(r.after_summary)}"
        for r in diff.improvements
    ]
    for r in diff.evidence_changes:
        parts = [f"+ {one_line(e)}" for e in r.evidence_added] + [f"- {one_line(e)}" for e in r.evidence_gone]
        lines.append(f"evidence: {one_line(r.provider)}/{r.check_id} ({r.before.status.value} → {r.after_word}): {'; '.join(parts)}")
    lines += [f"note: {one_line(n)}" for n in diff.notes]
    return "\n".join(lines) + "\n"


def _cell(status: Status | None) -> str:
    return f"{EMOJI[status]} {status.value}" if status else "— not run"


def render_markdown(diff: RunDiff) -> str:
    """For a PR comment or a CI step summary; provider text is escaped (it is untrusted)."""
    lines = [
        f"### conformance diff: {md_code(diff.old_label)} → {md_code(diff.new_label)}",
        "",
        f"**{len(diff.regressions)} regression(s)** · {len(diff.improvements)} improvement(s) · "
        f"{len(diff.evidence_changes)} evidence change(s) · {diff.unchanged} unchanged",
        "",
    ]

    def table(title: str, rows: list[Row]) -> None:
        if not rows:
            return
        lines.extend([f"#### {title}", "", "| provider | check | before | after | summary |", "|---|---|---|---|---|"])
        for r in rows:
            lines.append(
                f"| {md(r.provider, 80)} | {md_code(r.check_id)} | {_cell(r.before.status)} | "
                f"{_cell(r.after.status if r.after else None)} | {md(r.after_summary, _SUMMARY_CHARS)} |"
            )
        lines.append("")

    table("Regressions", diff.regressions)
    table("Improvements", diff.improvements)
    if diff.evidence_changes:
        lines.extend(["#### Evidence changes", "", "| provider | check | verdict | new | gone |", "|---|---|---|---|---|"])
        for r in diff.evidence_changes:
            lines.append(
                f"| {md(r.provider, 80)} | {md_code(r.check_id)} | {r.before.status.value} → {r.after_word} | "
                f"{md('; '.join(r.evidence_added)) or '—'} | {md('; '.join(r.evidence_gone)) or '—'} |"
            )
        lines.append("")
    if diff.notes:
        lines += [f"- {md(n)}" for n in diff.notes] + [""]
    return "\n".join(lines)

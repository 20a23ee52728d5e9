"""What a reader takes in first: each provider's score per section, coloured by its worst verdict,
and "what will break for your client", the failing and unsupported checks grouped by what an
application would notice.

Both read the RunResult only, so every report (and the badges) can share them.

"Worst" follows ``verdict.STATUS_ORDER`` (pass, warn, unsupported, skip, error, fail) over the
*applicable* verdicts, the ones the score counts: ``skip`` is not applicable (no vision model
configured, no 429 met), and a skip because a prerequisite failed is already coloured by that
prerequisite's own verdict. A group whose verdicts are all ``skip`` is ``skip``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..matrix import ordered_checks, verdict_index
from ..results import CheckInfo, RunResult
from ..verdict import STATUS_ORDER, Status, Verdict

_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}


@dataclass(frozen=True)
class Impact:
    """What an application notices when the checks of some sections fail."""

    key: str
    label: str
    notices: str
    """One sentence: how the breakage shows in an app."""
    sections: tuple[str, ...]


IMPACTS: tuple[Impact, ...] = (
    Impact("connection", "connecting and models", "requests go to the wrong URL, or the configured model is not found",
           ("base_url", "models")),
    Impact("chat", "chat replies", "messages, system prompts, history or images are dropped or misread",
           ("chat", "system", "vision")),
    Impact("tools", "tool calling", "tool calls are missing, malformed or cannot be answered", ("tools",)),
    Impact("parameters", "request parameters", "parameters and JSON output modes are refused or silently ignored",
           ("params", "structured")),
    Impact("streaming", "streaming and limits",
           "streams hang or break, token limits are not enforced, rate limits and concurrency misbehave",
           ("streaming", "tokens", "limits")),
    Impact("errors", "error handling", "errors and bad keys do not come back as OpenAI's error envelope and status codes",
           ("errors", "auth")),
    Impact("responses", "Responses API / official SDK", "the /responses endpoint or the official openai SDK breaks",
           ("responses", "sdk")),
)
"""The groups of "what will break for your client", in the order they are shown. A section not
listed here (a newer checklist, a merged file) falls into :data:`OTHER`.

This is presentation (how a report groups the checklist), so it lives with the reporters; if other
parts of the tool come to need it, it belongs beside ``matrix.SECTIONS``."""

OTHER = Impact("other", "other checks", "other behaviour a client may rely on", ())

_BY_SECTION = {section: impact for impact in IMPACTS for section in impact.sections}


def impact_of(section: str) -> Impact:
    return _BY_SECTION.get(section, OTHER)


def rank(status: Status) -> int:
    """Position in ``STATUS_ORDER``: higher is worse."""
    return _RANK[status]


def worst_applicable(statuses: Iterable[Status]) -> Status | None:
    """The worst status that is not ``skip``; ``skip`` if they all are; None for none at all."""
    seen = list(statuses)
    if not seen:
        return None
    applicable = [s for s in seen if s != Status.SKIP]
    if not applicable:
        return Status.SKIP
    return max(applicable, key=rank)


@dataclass
class SectionScore:
    """One provider's verdicts in one section."""

    section: str
    passed: int = 0
    applicable: int = 0
    """Verdicts that are not ``skip``, as in ``matrix.score``."""
    counts: dict[Status, int] = field(default_factory=dict)
    worst: Status | None = None
    """See :func:`worst_applicable`; None when the provider has no verdict in the section."""
    worse: int = 0
    """Cells worse than the comparison's baseline."""


def sections_of(checks: list[CheckInfo]) -> list[str]:
    """The sections of ``checks`` in the order they come (``matrix.ordered_checks`` order)."""
    return list(dict.fromkeys(c.section for c in checks))


class Tallies:
    """Each provider's verdict counts, counted once for a whole report.

    ``matrix.score`` and ``RunResult.counts`` walk every verdict of the run at each call; a report
    asks once per column, which at hundreds of columns made rendering grow with the square of them.
    """

    def __init__(self, result: RunResult) -> None:
        self._counts: dict[str, dict[Status, int]] = {}
        for v in result.verdicts:
            self._counts.setdefault(v.provider, {s: 0 for s in Status})[v.status] += 1

    def counts(self, provider: str) -> dict[Status, int]:
        """As ``RunResult.counts``: every status, 0 for those the provider has none of."""
        return dict(self._counts.get(provider) or {s: 0 for s in Status})

    def score(self, provider: str) -> tuple[int, int]:
        """As ``matrix.score``: (passed, applicable), applicable being every verdict that is not skip."""
        counts = self.counts(provider)
        return counts[Status.PASS], sum(counts.values()) - counts[Status.SKIP]


Index = dict[tuple[str, str], Verdict]
"""(provider, check id) → verdict, as ``matrix.verdict_index`` makes it."""


def section_scores(
    result: RunResult, provider: str, *, checks: list[CheckInfo] | None = None, index: Index | None = None
) -> list[SectionScore]:
    """Per section, in matrix order: the provider's passed / applicable and worst verdict. A report of
    many columns passes the run's ``checks`` (``ordered_checks``) and ``index`` rather than have each
    column make them again."""
    checks = ordered_checks(result) if checks is None else checks
    index = verdict_index(result) if index is None else index
    worse = {(w.provider, w.check_id) for w in result.comparison.worse} if result.comparison else set()
    scores = {s: SectionScore(s) for s in sections_of(checks)}
    for check in checks:
        score = scores[check.section]
        if (provider, check.id) in worse:
            score.worse += 1
        v = index.get((provider, check.id))
        if v is None:
            continue
        score.counts[v.status] = score.counts.get(v.status, 0) + 1
        score.passed += v.status == Status.PASS
        score.applicable += v.status != Status.SKIP
    for score in scores.values():
        score.worst = worst_applicable(score.counts)
    return list(scores.values())


BREAKING: tuple[Status, ...] = (Status.FAIL, Status.UNSUPPORTED)
"""The verdicts "what will break" lists: non-conformant, and refused (the feature is absent)."""


@dataclass
class Breakage:
    impact: Impact
    verdicts: list[Verdict]
    """The provider's fail and unsupported verdicts in this group, in checklist order."""


def breakage(
    result: RunResult, provider: str, *, checks: list[CheckInfo] | None = None, index: Index | None = None
) -> list[Breakage]:
    """The provider's failing and unsupported checks, grouped by :data:`IMPACTS` (in that order,
    :data:`OTHER` last), each group in checklist order. Groups with nothing to list are left out.
    ``checks`` and ``index`` as for :func:`section_scores`."""
    index = verdict_index(result) if index is None else index
    groups: dict[str, Breakage] = {}
    for check in ordered_checks(result) if checks is None else checks:
        v = index.get((provider, check.id))
        if v is None or v.status not in BREAKING:
            continue
        impact = impact_of(check.section)
        groups.setdefault(impact.key, Breakage(impact, [])).verdicts.append(v)
    order = [i.key for i in IMPACTS] + [OTHER.key]
    return sorted(groups.values(), key=lambda g: order.index(g.impact.key))

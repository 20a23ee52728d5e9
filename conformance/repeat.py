"""``--repeat N``: one verdict from the N verdicts of a check, so a gate does not flap.

Models are not deterministic, and neither are loaded providers. A check that works in some runs
and not in others is ``warn`` with "flaky k/N" (k = runs that passed or warned): the gate sees a
stable verdict, and the policy decides whether a flaky check may pass (``allow: {warn: ...}``).
"""

from __future__ import annotations

from collections import Counter

from .verdict import STATUS_ORDER, Status, Verdict

_WORKS = frozenset({Status.PASS, Status.WARN})


def combine_runs(verdicts: list[Verdict]) -> Verdict:
    """The check's verdict over its runs (in run order); one run is returned as it is.

    - the same status every time: that status;
    - pass and warn only: warn, from the first warning run;
    - some runs work, some do not: warn, "flaky k/N", with the evidence of the worst run;
    - no run works: the worst status, with its evidence (and the tally).
    Every run's status and summary are kept in the notes, and the statuses in ``runs``."""
    if len(verdicts) == 1:
        return verdicts[0]
    n = len(verdicts)
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    statuses = [v.status for v in verdicts]
    tally = Counter(statuses)
    counts = ", ".join(f"{tally[s]} {s.value}" for s in STATUS_ORDER if tally[s])
    worst_index = max(range(n), key=lambda i: (rank[statuses[i]], -i))
    worst = verdicts[worst_index]
    works = sum(1 for s in statuses if s in _WORKS)

    reason = ""
    if len(tally) == 1:
        base, status = verdicts[0], statuses[0]
        summary = f"{base.summary} (same verdict in {n}/{n} runs)"
        shown = 0
    elif works == n:
        shown = statuses.index(Status.WARN)
        base, status = verdicts[shown], Status.WARN
        summary = f"{base.summary} (warn in {tally[Status.WARN]}/{n} runs, pass in the others)"
    elif works:
        base, status, shown = worst, Status.WARN, worst_index
        reason = "flaky"
        summary = f"flaky {works}/{n}: worked in {works} of {n} runs ({counts}); run {worst_index + 1}: {worst.status.value}: {worst.summary}"
    else:
        base, status, shown = worst, worst.status, worst_index
        summary = f"{worst.summary} ({counts} over {n} runs)"

    notes = [f"run {i}/{n}: {v.status.value}: {v.summary}" for i, v in enumerate(verdicts, start=1)]
    notes.append(f"the evidence shown is from run {shown + 1}")
    return Verdict(
        check_id=base.check_id,
        provider=base.provider,
        status=status,
        summary=summary,
        exchanges=base.exchanges,
        schema_issues=base.schema_issues,
        notes=notes + base.notes,
        duration_ms=round(sum(v.duration_ms for v in verdicts), 1),
        runs=[s.value for s in statuses],
        reason=reason or base.reason,
    )


def cut_short(verdicts: list[Verdict], stop: Verdict) -> Verdict:
    """A check that the token budget left unjudged in one of its runs: the budget's ``error``, not
    "flaky" (a run that never happened says nothing about the provider)."""
    if len(verdicts) == 1:
        return stop
    # Once the budget is spent, every later run of the check is stopped too.
    finished = next(i for i, v in enumerate(verdicts) if v is stop)
    notes = [f"run {i}/{len(verdicts)}: {v.status.value}: {v.summary}" for i, v in enumerate(verdicts, start=1)]
    return Verdict(
        check_id=stop.check_id,
        provider=stop.provider,
        status=stop.status,
        summary=f"{stop.summary} ({finished} of {len(verdicts)} runs finished)",
        exchanges=stop.exchanges,
        schema_issues=stop.schema_issues,
        notes=notes + stop.notes,
        duration_ms=round(sum(v.duration_ms for v in verdicts), 1),
        runs=[v.status.value for v in verdicts],
        reason=stop.reason,
    )

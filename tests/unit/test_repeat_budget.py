"""The units behind --repeat and --max-tokens-total: combining N runs of a check into one verdict,
and the token budget a run's providers share. End to end: tests/cli/test_repeat_budget.py."""

from __future__ import annotations

import pytest

from conformance.budget import BudgetExhausted, TokenBudget
from conformance.repeat import combine_runs
from conformance.verdict import Status, Verdict


def v(status: Status, summary: str = "") -> Verdict:
    return Verdict("c", "p", status, summary or status.value, duration_ms=10.0)


@pytest.mark.parametrize(
    ("statuses", "expected", "summary_start"),
    [
        pytest.param([Status.PASS, Status.PASS, Status.PASS], Status.PASS, "pass (same verdict in 3/3 runs)", id="steady-pass"),
        pytest.param([Status.PASS, Status.WARN, Status.PASS], Status.WARN, "warn (warn in 1/3 runs, pass in the others)", id="one-warn"),
        pytest.param(
            [Status.PASS, Status.FAIL, Status.PASS], Status.WARN, "flaky 2/3: worked in 2 of 3 runs (2 pass, 1 fail); run 2: fail: fail", id="flaky-fail",
        ),
        pytest.param([Status.WARN, Status.ERROR], Status.WARN, "flaky 1/2: worked in 1 of 2 runs (1 warn, 1 error); run 2: error", id="flaky-error"),
        pytest.param([Status.ERROR, Status.FAIL, Status.ERROR], Status.FAIL, "fail (2 error, 1 fail over 3 runs)", id="never-worked"),
        pytest.param([Status.UNSUPPORTED, Status.SKIP], Status.SKIP, "skip (1 unsupported, 1 skip over 2 runs)", id="never-judged"),
    ],
)
def test_combine_runs(statuses: list[Status], expected: Status, summary_start: str) -> None:
    combined = combine_runs([v(s) for s in statuses])
    assert combined.status == expected
    assert combined.summary.startswith(summary_start)
    assert combined.runs == [s.value for s in statuses]
    assert combined.duration_ms == 10.0 * len(statuses)


def test_one_run_is_returned_unchanged() -> None:
    single = v(Status.FAIL)
    assert combine_runs([single]) is single and single.runs is None


def test_token_budget_unit() -> None:
    budget = TokenBudget(10)
    budget.check()
    budget.spend(9)
    budget.check()
    budget.spend(1)
    with pytest.raises(BudgetExhausted, match=r"token budget of 10 reached \(10 tokens used\)"):
        budget.check()
    unlimited = TokenBudget()
    unlimited.spend(10**9)
    unlimited.check()

"""Providers are admitted a bounded number at a time, in file order (conformance.slots.groups_at_once):
hundreds of providers started at once held every provider's pending work at once."""

from __future__ import annotations

import asyncio

import pytest

from conformance import runner
from conformance.checklist import all_checks, with_prerequisites
from conformance.config import ProviderConfig
from conformance.redact import Redactor
from conformance.runner import RunState, run_checks
from conformance.slots import RUN_BOUND_MAX, groups_at_once
from conformance.verdict import Verdict


def test_enough_groups_run_at_once_to_keep_the_run_slots_busy() -> None:
    assert groups_at_once(RUN_BOUND_MAX) == RUN_BOUND_MAX // 4 == 64
    assert groups_at_once(4) == 2  # never one at a time, even where few descriptors may be opened


def test_providers_beyond_the_bound_wait_their_turn_in_file_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "groups_at_once", lambda bound: 1)
    named = [c for c in all_checks() if c.id in ("models.list", "models.retrieve", "chat.basic", "chat.usage")]
    providers = [
        ProviderConfig(name=f"p{i}", base_url="embedded:reference", models={"chat": "reference-chat"}) for i in range(3)
    ]
    state = RunState(
        providers=providers, checks=named, prerequisites=[c for c in with_prerequisites(named) if c not in named], redactor=Redactor(),
    )
    order: list[str] = []

    def progress(_state: RunState, verdict: Verdict) -> None:
        order.append(verdict.provider)

    result = asyncio.run(run_checks(state, progress))
    assert order == ["p0"] * 4 + ["p1"] * 4 + ["p2"] * 4
    assert {v.status.value for v in result.verdicts} == {"pass"}

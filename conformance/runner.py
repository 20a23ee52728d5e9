"""Runs the selected checks against every provider and collects verdicts.

Providers run side by side; within one provider checks run concurrently as soon as their
prerequisites are decided (the client bounds requests in flight). Verdicts are collected as
they arrive, so an interrupted run still has everything that finished.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import time
import traceback
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import __version__
from .budget import BudgetExhausted, TokenBudget
from .client import ProviderClient, StreamTiming
from .config import ProviderConfig
from .context import CheckContext, SharedRequests
from .embedded import serve_embedded
from .judge import COMMON_REASONS, Decided
from .redact import Redactor
from .reference.hub_process import Hub, make_hub
from .registry import Check
from .repeat import combine_runs, cut_short
from .results import CheckInfo, Latency, ProviderRun, RunResult
from .sdk import import_ahead
from .slots import Slots, groups_at_once, run_bound
from .sweep import MODELS_PATH, ModelSweep, SweepFailed, chosen, listed_ids
from .verdict import Exchange, Outcome, PackedExchanges, Status, Verdict

ProgressCallback = Callable[["RunState", Verdict], None]
_DEPENDENCY_OK = frozenset({Status.PASS, Status.WARN})


@dataclass
class RunState:
    """Everything decided so far; readable at any moment (e.g. after Ctrl-C)."""

    providers: list[ProviderConfig]
    checks: list[Check]
    """The checks to report."""
    redactor: Redactor
    prerequisites: list[Check] = field(default_factory=list)
    """Checks run only because a reported one depends on them (``--check`` selected a subset)."""
    started: float = field(default_factory=time.time)
    verdicts: list[Verdict] = field(default_factory=list)
    provider_runs: dict[str, ProviderRun] = field(default_factory=dict)
    repeat: int = 1
    """Each check runs this many times per provider (``--repeat N``); its verdicts are combined."""
    budget: TokenBudget = field(default_factory=TokenBudget)
    """Shared by all providers (``--max-tokens-total N``); unlimited by default, but always counting."""

    @property
    def total(self) -> int:
        return len(self.checks) * sum(1 for p in self.providers if not p.skipped_reason)

    def result(self, *, interrupted: bool = False) -> RunResult:
        """The run so far; checks that never finished are ``error: interrupted``."""
        verdicts = list(self.verdicts)
        if interrupted:
            done = {(v.provider, v.check_id) for v in verdicts}
            for provider in self.providers:
                if provider.skipped_reason:
                    continue
                for check in self.checks:
                    if (provider.name, check.id) not in done:
                        verdicts.append(Verdict(
                            check.id, provider.name, Status.ERROR, "run interrupted before this check finished", reason="interrupted",
                        ))
        order = {c.id: i for i, c in enumerate(self.checks)}
        names = [p.name for p in self.providers]
        verdicts.sort(key=lambda v: (names.index(v.provider), order.get(v.check_id, 0)))
        finished = time.time()
        return RunResult(
            tool_version=__version__,
            started_at=_iso(self.started),
            finished_at=_iso(finished),
            duration_s=finished - self.started,
            providers=[self.provider_runs.get(p.name) or _provider_run(p, self.redactor) for p in self.providers],
            checks=[CheckInfo(c.id, c.section, c.title, c.measures.value) for c in self.checks],
            verdicts=verdicts,
            interrupted=interrupted,
            notes=self._notes(),
        )

    def _notes(self) -> list[str]:
        notes = []
        if self.repeat > 1:
            notes.append(f"each check ran {self.repeat} times per provider; a check that passed in some runs only is warn \"flaky k/{self.repeat}\"")
        if self.budget.exhausted:
            notes.append(f"{self.budget.message}: the run stopped early; checks it left unjudged are error")
        return notes


async def run_checks(state: RunState, progress: ProgressCallback | None = None) -> RunResult:
    planned = {c.id for c in state.checks + state.prerequisites}
    unplanned = sorted({dep for c in state.checks + state.prerequisites for dep in c.depends_on} - planned)
    if unplanned:  # a caller's mistake: session.plan adds them (checklist.with_prerequisites)
        raise ValueError(f"prerequisite check(s) {', '.join(unplanned)} are not in the run")
    if any(c.id.startswith("sdk.") for c in state.checks + state.prerequisites):
        import_ahead()
    run_slots = asyncio.Semaphore(run_bound())
    admitted = asyncio.Semaphore(groups_at_once(run_bound()))
    hub = make_hub() if any(p.embedded and not p.skipped_reason for p in state.providers) else None
    try:
        async with asyncio.TaskGroup() as group:
            for provider in state.providers:
                state.provider_runs[provider.name] = _provider_run(provider, state.redactor)
            for members in _groups(state.providers):
                if not members[0].skipped_reason:
                    group.create_task(_admitted(admitted, _run_group(state, members, progress, hub, run_slots)))
    finally:
        if hub is not None:
            await asyncio.to_thread(hub.stop)
    return state.result()


async def _admitted(admitted: asyncio.Semaphore, run: Coroutine[Any, Any, None]) -> None:
    async with admitted:
        await run


def _groups(providers: list[ProviderConfig]) -> list[list[ProviderConfig]]:
    """Providers that share request slots: the columns of one providers.yaml entry."""
    groups: dict[str, list[ProviderConfig]] = {}
    for provider in providers:
        groups.setdefault(provider.group or provider.name, []).append(provider)
    return list(groups.values())


async def _run_group(
    state: RunState, members: list[ProviderConfig], progress: ProgressCallback | None, hub: Hub | None, run_slots: asyncio.Semaphore,
) -> None:
    """One providers.yaml entry: its column, or a column per model, side by side on shared slots."""
    first = members[0]
    # This provider's own secrets only: it can echo nothing else (it was sent nothing else), and a
    # pattern of every provider's keys would make each redaction slower as providers are added.
    redactor = Redactor(first.secrets())
    base_url, api_key = first.base_url, first.api_key
    if first.embedded:
        api_key = api_key or "sk-" + secrets.token_hex(24)  # no word in it, so redaction cannot mask "reference-chat"
        state.redactor.add(api_key)
        redactor.add(api_key)
        served = sorted({m for p in members for m in p.models.values()})
        assert hub is not None
        base_url = await asyncio.to_thread(serve_embedded, hub, first.base_url, api_key, served)
    slots = Slots(first.settings.max_concurrency, run_slots)

    def client_for(provider: ProviderConfig) -> ProviderClient:
        return ProviderClient(
            base_url=base_url,
            api_key=api_key,
            headers=provider.headers,
            settings=provider.settings,
            redactor=redactor,
            budget=state.budget,
            auth=provider.auth,
            query=provider.query,
            request_defaults=provider.request_defaults,
            slots=slots,
        )

    async with AsyncExitStack() as stack:
        clients = [client_for(p) for p in members]
        for client in clients:
            stack.push_async_callback(client.aclose)
        if first.sweep is not None:
            # The listing is sent by the first column's client, and counted in its requests.
            try:
                members = await _swept(state, first, first.sweep, clients[0])
            except _Unswept as failed:
                state.provider_runs[first.name].requests = clients[0].stats.requests
                _report(state, progress, [failed.verdict(c.id, first.name) for c in state.checks])
                return
            clients += [client_for(p) for p in members[1:]]
            for client in clients[1:]:
                stack.push_async_callback(client.aclose)
        async with asyncio.TaskGroup() as group:
            for provider, client in zip(members, clients, strict=True):
                group.create_task(_run_provider(state, replace(provider, api_key=api_key), client, progress))


class _Unswept(Exception):
    def __init__(self, summary: str, exchange: Exchange | None) -> None:
        super().__init__(summary)
        self.summary, self.exchange = summary, exchange

    def verdict(self, check_id: str, provider: str) -> Verdict:
        return Verdict(check_id, provider, Status.ERROR, self.summary, exchanges=[self.exchange] if self.exchange else [], reason="model_sweep")


async def _swept(state: RunState, provider: ProviderConfig, sweep: ModelSweep, client: ProviderClient) -> list[ProviderConfig]:
    """The columns of a ``models.chat: "*"`` provider, in its place in the run."""
    listing = await client.send("model sweep: GET /models", "GET", MODELS_PATH)
    why = f"not run: models.chat is \"*\" ({sweep.describe()}), but GET {client.redactor.text(client.url(MODELS_PATH))}"
    if listing.error or not listing.ok:
        raise _Unswept(f"{why} answered {listing.error or f'HTTP {listing.status}'}", listing.exchange)
    try:
        models = chosen(sweep, listed_ids(listing.json))
    except SweepFailed as exc:
        raise _Unswept(f"{why} {exc}", listing.exchange) from None
    swept = provider.columns(models)
    at = state.providers.index(provider)
    state.providers[at : at + 1] = swept
    del state.provider_runs[provider.name]
    for column in swept:
        state.provider_runs[column.name] = _provider_run(column, state.redactor)
    return swept


def _report(state: RunState, progress: ProgressCallback | None, verdicts: list[Verdict]) -> None:
    for verdict in verdicts:
        state.verdicts.append(verdict)
        if progress:
            progress(state, verdict)


async def _run_provider(state: RunState, provider: ProviderConfig, client: ProviderClient, progress: ProgressCallback | None) -> None:
    reported = {c.id for c in state.checks}
    to_run = state.checks + [c for c in state.prerequisites if c.id not in reported]
    tally = _Tally()
    # Repeated runs go one after the other against the same server and client: a check meets
    # the provider afresh (nothing shared between runs), as a flapping CI job would.
    for round_number in range(1, state.repeat + 1):
        await _run_round(state, provider, client, to_run, tally, last=round_number == state.repeat, progress=progress)
    state.provider_runs[provider.name].latency = latency_of(client.stats.timings, client.base_url)


@dataclass
class _Tally:
    """One provider's verdicts over the rounds of ``--repeat``."""

    runs: dict[str, list[Verdict]] = field(default_factory=dict)
    stopped: dict[str, Verdict] = field(default_factory=dict)
    """Checks the token budget left unjudged in some run: not flaky, just not finished."""


async def _run_round(
    state: RunState,
    provider: ProviderConfig,
    client: ProviderClient,
    to_run: list[Check],
    tally: _Tally,
    *,
    last: bool,
    progress: ProgressCallback | None,
) -> None:
    """Every check once, each as soon as its prerequisites are decided; verdicts are reported after the last round."""
    run = state.provider_runs[provider.name]
    reported = {c.id for c in state.checks}
    shared = SharedRequests()
    decided: dict[str, asyncio.Future[Decision]] = {c.id: asyncio.get_running_loop().create_future() for c in to_run}

    async def run_one(check: Check) -> None:
        if check.after_all:
            await asyncio.gather(*(decided[c.id] for c in to_run if not c.after_all))
        decision = await _decide(check, provider, client, shared, decided)
        decided[check.id].set_result(decision)
        run.requests, run.tokens = client.stats.requests, client.stats.tokens
        if check.id not in reported:
            return
        tally.runs.setdefault(check.id, []).append(decision.verdict)
        if decision.budget_stopped:
            tally.stopped.setdefault(check.id, decision.verdict)
        if not last:
            return
        runs = tally.runs[check.id]
        verdict = cut_short(runs, tally.stopped[check.id]) if check.id in tally.stopped else combine_runs(runs)
        # Kept compressed until the reports: a large run's memory is mostly its evidence.
        state.verdicts.append(replace(verdict, exchanges=PackedExchanges(verdict.exchanges)))
        if progress:
            progress(state, verdict)

    async with asyncio.TaskGroup() as group:
        for check in to_run:
            group.create_task(run_one(check))


async def _decide(
    check: Check,
    provider: ProviderConfig,
    client: ProviderClient,
    shared: SharedRequests,
    decided: dict[str, asyncio.Future[Decision]],
) -> Decision:
    missing_roles = [role for role in check.needs if not provider.models.get(role)]
    if missing_roles:
        roles = ", ".join(f"models.{r}" for r in missing_roles)
        return Decision(Verdict(
            check.id, provider.name, Status.SKIP, f"not applicable: no {roles} configured for this provider", reason="no_model",
        ))
    prerequisites = [await decided[dep] for dep in check.depends_on]
    if client.budget.exhausted:
        stopped = Verdict(check.id, provider.name, Status.ERROR, f"not run: {client.budget.message}", reason="budget")
        return Decision(stopped, budget_stopped=True)
    for dep, prerequisite in zip(check.depends_on, prerequisites, strict=True):
        if not prerequisite.dependents_may_run:
            verdict = prerequisite.verdict
            return Decision(Verdict(
                check.id, provider.name, Status.SKIP, _prerequisite_summary(dep, verdict), reason="prerequisite",
            ))
    ctx = CheckContext(provider, client, shared)
    started = time.perf_counter()
    budget_stopped = False
    try:
        outcome = await decide(check, ctx)
    except BudgetExhausted as exc:  # the budget ran out under this check: it was never judged
        outcome = Outcome(Status.ERROR, "budget", f"not judged: {exc} before its request could be sent")
        budget_stopped = True
    except Exception as exc:  # noqa: BLE001 - a bug in a check must show as that check's error, not end the run
        ctx.note("".join(traceback.format_exception(exc)[-3:]))
        outcome = Outcome(Status.ERROR, "internal", f"internal error in the check: {type(exc).__name__}: {exc}")
    verdict = Verdict(
        check_id=check.id,
        provider=provider.name,
        status=outcome.status,
        summary=client.redactor.text(outcome.summary),
        reason=outcome.reason,
        exchanges=ctx.evidence.exchanges,
        schema_issues=ctx.evidence.schema_issues,
        notes=ctx.evidence.notes,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return Decision(verdict, outcome.status in _DEPENDENCY_OK or outcome.dependents_may_run, budget_stopped)


async def decide(check: Check, ctx: CheckContext) -> Outcome:
    """The check's outcome: what it returned, or what a shared guard decided on its way (an
    exception of any other kind propagates: it is a bug in the check)."""
    try:
        outcome = await check(ctx)
    except Decided as decided:
        outcome = decided.outcome
    return _declared(check, outcome)


def _declared(check: Check, outcome: Outcome) -> Outcome:
    """The outcome, if its code is one the check (or a shared guard) declares; otherwise an internal
    error, so a code missing from the documentation cannot reach a report unnoticed."""
    if outcome.code in check.reasons or outcome.code in COMMON_REASONS:
        return outcome
    return Outcome(
        Status.ERROR, "internal",
        f"internal error in the check: undeclared reason code {outcome.code!r} ({outcome.summary})",
    )


def _prerequisite_summary(dep: str, verdict: Verdict) -> str:
    # A skipped prerequisite already names its own cause; quoting it again would nest
    # "prerequisite A did not pass (skip: prerequisite B did not pass (...))" down the chain.
    if verdict.status == Status.SKIP:
        return f"prerequisite {dep} was skipped, see its verdict"
    return f"prerequisite {dep} did not pass ({verdict.status.value}: {verdict.summary})"


@dataclass(frozen=True)
class Decision:
    """A check's verdict, and whether the checks that depend on it may run."""

    verdict: Verdict
    dependents_may_run: bool = False
    budget_stopped: bool = False
    """The token budget ran out before this check could be judged."""


def _provider_run(provider: ProviderConfig, redactor: Redactor) -> ProviderRun:
    return ProviderRun(
        name=provider.name,
        base_url=redactor.text(provider.base_url),
        models=dict(provider.models),
        skipped_reason=provider.skipped_reason,
        group=provider.group,
    )


def latency_of(timings: list[StreamTiming], base_url: str) -> Latency | None:
    """The provider's latency figures (median, max) from its streams; None without any."""
    if not timings:
        return None

    def spread(values: list[float]) -> tuple[float, float]:
        return round(statistics.median(values), 1), round(max(values), 1)

    rates = [
        t.output_tokens / (t.total_s - t.first_token_s)
        for t in timings if t.output_tokens and t.output_tokens > 1 and t.total_s - t.first_token_s > 0.001
    ]
    host = urlsplit(base_url).hostname or ""
    return Latency(
        measured="loopback" if host in ("127.0.0.1", "localhost", "::1") else "network",
        streams=len(timings),
        first_byte_ms=spread([t.first_byte_s * 1000 for t in timings]),
        first_token_ms=spread([t.first_token_s * 1000 for t in timings]),
        total_ms=spread([t.total_s * 1000 for t in timings]),
        tokens_per_s=spread(rates) if rates else None,
    )


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds")

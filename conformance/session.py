"""The application layer: providers.yaml → redactor → run → reports. The CLI, ``compare`` and the
pytest plugin all go through here, so a run means the same thing whichever door it came in by.

    session = Session.open(providers_file, names)
    state = session.plan(select_checks(patterns))
    result, interrupted = session.run(state, progress)
    write_reports(result, out)
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .budget import TokenBudget
from .checklist import matches_any, with_prerequisites
from .config import Config, ProviderConfig, default_providers_path, load_config, select_providers
from .errors import ConfigError
from .policy import Policy
from .redact import Redactor
from .registry import Check
from .report import write_reports
from .results import RunResult
from .runner import ProgressCallback, RunState, run_checks

__all__ = ["Session", "write_reports"]

DEFAULT_NOTE = "no providers.yaml here: using the built-in default (the embedded reference provider)"


def providers_file(explicit: Path | None) -> tuple[Path, str | None]:
    """The file to read, and a note when it is the built-in default (no ./providers.yaml)."""
    if explicit is not None:
        return explicit, None
    local = Path("providers.yaml")
    if local.exists():
        return local, None
    return default_providers_path(), DEFAULT_NOTE


def build_redactor(config: Config) -> Redactor:
    """Every secret the configuration holds (see ``ProviderConfig.secrets``), for run-level text."""
    return Redactor(secret for provider in config.providers for secret in provider.secrets())


def check_requirements_exist(config: Config) -> None:
    """Every ``requirements:`` pattern in the file must name a check (a typo would require nothing)."""
    policies: list[Policy] = [config.policy, *(p.policy for p in config.providers)]
    for policy in policies:
        for requirement in policy.require:
            if requirement.where and not matches_any(requirement.pattern):
                raise ConfigError(f"{requirement.where}: {requirement.pattern!r} matches no check; see `conformance list-checks`")


@dataclass
class Session:
    """One providers file and the providers chosen from it."""

    config: Config
    providers: list[ProviderConfig]
    redactor: Redactor
    notes: list[str] = field(default_factory=list)
    """Things the user should read before the run (e.g. that the built-in providers file is used)."""

    @classmethod
    def open(
        cls, explicit: Path | None, names: Sequence[str] = (), *, option: str = "--provider", file_option: str = "--providers",
    ) -> Session:
        """``option`` and ``file_option`` name the command-line options the errors should point at."""
        path, note = providers_file(explicit)
        config = load_config(path, file_option=file_option)
        check_requirements_exist(config)
        chosen = select_providers(config, list(names), option=option)
        return cls(config, chosen, build_redactor(config), [note] if note else [])

    def plan(self, checks: Sequence[Check], *, repeat: int = 1, max_tokens_total: int | None = None) -> RunState:
        """A run of ``checks`` (and whatever they depend on) against the chosen providers."""
        reported = list(checks)
        return RunState(
            providers=self.providers,
            checks=reported,
            prerequisites=[c for c in with_prerequisites(reported) if c not in reported],
            redactor=self.redactor,
            repeat=repeat,
            budget=TokenBudget(max_tokens_total),
        )

    @staticmethod
    def run(state: RunState, progress: ProgressCallback | None = None) -> tuple[RunResult, bool]:
        """The run; Ctrl-C keeps what finished. Returns (result, interrupted)."""
        try:
            with _fewer_collections():
                return asyncio.run(run_checks(state, progress)), False
        except KeyboardInterrupt:
            return state.result(interrupted=True), True


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector tuned for a run, and restored after it (the pytest plugin runs in
    a process that goes on). A run allocates many short-lived objects per request (tasks, futures,
    parsed bodies) among many live ones; at the default thresholds collections cost about a fifth of the
    suite's CPU per request at 45 providers. What exists before the run (modules, compiled schemas)
    is frozen out of the collector's sight, and the youngest generation is collected less often."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()

"""The outcome of a run: what the reporters read and what results.json stores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .verdict import Status, Verdict

SCHEMA_VERSION = 2
"""2: verdicts carry their reason code. Version 1 files are still read (their verdicts have no code)."""


@dataclass
class CheckInfo:
    """A check as listed in reports: stable id, its checklist section and what it establishes."""

    id: str
    section: str
    title: str
    measures: str
    """``protocol`` or ``model`` (see verdict.Measures)."""


@dataclass
class Latency:
    """How fast the provider answered the streams the checks sent anyway, measured at run time from
    where the suite ran (over ``loopback`` or the ``network``): what a client there would see, not a
    benchmark of the model (the checks' prompts are short and their replies capped)."""

    measured: str
    """``loopback`` (the provider ran on this machine) or ``network``."""
    streams: int
    """How many streamed answers the figures come from."""
    first_byte_ms: tuple[float, float]
    """Time to the response headers: (median, max)."""
    first_token_ms: tuple[float, float]
    """Time to the first piece of content: (median, max)."""
    total_ms: tuple[float, float]
    """Time to the end of the stream: (median, max)."""
    tokens_per_s: tuple[float, float] | None = None
    """Output tokens a second after the first one (median, max), from the streams that reported usage."""


@dataclass
class ProviderRun:
    """One provider's column of the matrix."""

    name: str
    base_url: str
    models: dict[str, str]
    skipped_reason: str | None = None
    """Set when the whole provider was not run (e.g. its key variable is unset)."""
    requests: int = 0
    tokens: int = 0
    """Sum of ``usage.total_tokens`` the provider reported."""
    latency: Latency | None = None
    """None when no stream was answered (or in results written before latency was recorded)."""
    group: str | None = None
    """The providers.yaml entry this column is one model of (a model list or sweep); None for a
    provider that is its own column (and in results written before sweeps)."""


@dataclass
class RunSource:
    """One run that a merged result was built from (``conformance report A.json B.json``).

    Merging keeps each run's own metadata here, so a matrix assembled from runs made on different
    days or machines still says which tool version ran which provider, and when.
    """

    file: str
    """The results file as it was named on the command line."""
    tool_version: str
    started_at: str
    finished_at: str
    duration_s: float
    interrupted: bool
    providers: list[str]
    """The providers whose columns come from this run."""


@dataclass
class WorseCheck:
    """One matrix cell that is worse than its counterpart in the comparison's baseline."""

    provider: str
    """The column of this run's matrix."""
    check_id: str
    before: str
    """The baseline's status (``pass``, ...)."""
    after: str | None
    """This run's status; None when this run has no verdict for it (e.g. the provider was skipped)."""


@dataclass
class Comparison:
    """Set by ``run --baseline`` and ``compare``: which cells got worse, so reports can highlight
    those rows. Worse means later in verdict.STATUS_ORDER (pass, warn, unsupported, skip, error, fail)."""

    baseline: str
    """What this run was compared with: a results file, or ``provider NAME``."""
    worse: list[WorseCheck] = field(default_factory=list)


@dataclass
class RunResult:
    tool_version: str
    started_at: str
    """ISO 8601, UTC."""
    finished_at: str
    duration_s: float
    providers: list[ProviderRun]
    checks: list[CheckInfo]
    verdicts: list[Verdict]
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)
    sources: list[RunSource] = field(default_factory=list)
    """Empty for a single run; one entry per merged run otherwise (optional in results.json)."""
    comparison: Comparison | None = None
    """Only with ``run --baseline`` or ``compare`` (optional in results.json)."""

    def source_of(self, provider: str) -> RunSource | None:
        """The merged run a provider's column comes from (None for a single run)."""
        for source in self.sources:
            if provider in source.providers:
                return source
        return None

    def verdict(self, provider: str, check_id: str) -> Verdict | None:
        for v in self.verdicts:
            if v.provider == provider and v.check_id == check_id:
                return v
        return None

    def counts(self, provider: str) -> dict[Status, int]:
        tally = {s: 0 for s in Status}
        for v in self.verdicts:
            if v.provider == provider:
                tally[v.status] += 1
        return tally

    def to_dict(self, *, with_results: bool = True) -> dict[str, Any]:
        """The results.json document; ``with_results=False`` leaves ``results`` empty (in its place), for a
        writer that serializes the verdicts one at a time rather than all at once."""
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "conformance", "version": self.tool_version},
            "run": {
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "duration_s": round(self.duration_s, 3),
                "interrupted": self.interrupted,
                "notes": list(self.notes),
            },
            "providers": [_provider_dict(p) for p in self.providers],
            "checks": [asdict(c) for c in self.checks],
            "results": [v.to_dict() for v in self.verdicts] if with_results else [],
        }
        if self.sources:  # written only for merged results, so a single run's file is unchanged
            data["sources"] = [asdict(s) for s in self.sources]
        if self.comparison is not None:
            data["comparison"] = asdict(self.comparison)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        run = data["run"]
        return cls(
            tool_version=data["tool"]["version"],
            started_at=run["started_at"],
            finished_at=run["finished_at"],
            duration_s=run["duration_s"],
            interrupted=run.get("interrupted", False),
            notes=list(run.get("notes", [])),
            providers=[_provider(p) for p in data["providers"]],
            checks=[CheckInfo(**c) for c in data["checks"]],
            verdicts=[Verdict.from_dict(r) for r in data["results"]],
            sources=[RunSource(**s) for s in data.get("sources", [])],
            comparison=(
                Comparison(data["comparison"]["baseline"], [WorseCheck(**w) for w in data["comparison"]["worse"]])
                if data.get("comparison") else None
            ),
        )


def _provider_dict(run: ProviderRun) -> dict[str, Any]:
    data = asdict(run)
    if data["latency"]:  # (median, max) pairs as JSON has them, so a loaded file compares equal to its dict
        data["latency"] = {k: list(v) if isinstance(v, tuple) else v for k, v in data["latency"].items()}
    return data


def _provider(data: dict[str, Any]) -> ProviderRun:
    fields = dict(data)
    latency = fields.pop("latency", None)
    run = ProviderRun(**fields)
    if latency:
        pairs = {k: tuple(v) for k, v in latency.items() if isinstance(v, list)}
        run.latency = Latency(**{**latency, **pairs})
    return run

"""The outcome of a run: what the reporters read and what results.json stores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .verdict import Status, Verdict

SCHEMA_VERSION = 1


@dataclass
class CheckInfo:
    """A check as listed in reports: stable id, its checklist section and what it establishes."""

    id: str
    section: str
    title: str
    measures: str
    """``protocol`` or ``model`` (see verdict.Measures)."""


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "conformance", "version": self.tool_version},
            "run": {
                "started_at": self.started_at,
                "finished_at": self.finished_at,
                "duration_s": round(self.duration_s, 3),
                "interrupted": self.interrupted,
                "notes": list(self.notes),
            },
            "providers": [asdict(p) for p in self.providers],
            "checks": [asdict(c) for c in self.checks],
            "results": [v.to_dict() for v in self.verdicts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunResult":
        run = data["run"]
        return cls(
            tool_version=data["tool"]["version"],
            started_at=run["started_at"],
            finished_at=run["finished_at"],
            duration_s=run["duration_s"],
            interrupted=run.get("interrupted", False),
            notes=list(run.get("notes", [])),
            providers=[ProviderRun(**p) for p in data["providers"]],
            checks=[CheckInfo(**c) for c in data["checks"]],
            verdicts=[Verdict.from_dict(r) for r in data["results"]],
        )

"""Verdicts and the evidence behind them: plain dataclasses, no behaviour beyond (de)serialisation.

A check decides an :class:`Outcome` (status, stable reason code, summary); the runner turns it
into a :class:`Verdict` with the evidence it gathered. Everything a reporter shows comes from
these objects, so they hold only redacted text.
"""

from __future__ import annotations

import enum
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload


class Status(enum.StrEnum):
    """The verdict of one check on one provider."""

    PASS = "pass"
    """Conformant."""
    FAIL = "fail"
    """Accepted but non-conformant: a client written for OpenAI would break or be misled."""
    UNSUPPORTED = "unsupported"
    """Cleanly refused with a well-formed 4xx error: the feature is absent, honestly."""
    WARN = "warn"
    """Works, with a tolerated deviation (a strict-spec-only violation, or model behaviour)."""
    SKIP = "skip"
    """Not applicable, or a prerequisite check did not pass."""
    ERROR = "error"
    """Inconclusive: network failure, timeout, repeated 429/5xx, interrupted run."""

    def __str__(self) -> str:
        return self.value


STATUS_ORDER: tuple[Status, ...] = (
    Status.PASS,
    Status.WARN,
    Status.UNSUPPORTED,
    Status.SKIP,
    Status.ERROR,
    Status.FAIL,
)
"""Best to worst; used to sort and to compare runs."""


class Measures(enum.StrEnum):
    """What a check's verdict speaks about."""

    PROTOCOL = "protocol"
    """What the server must do whatever the model says (status codes, schemas, framing)."""
    MODEL = "model"
    """What the model chose to say; a tiny model may fail it on a conformant server."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Outcome:
    """What a check decided. ``reason`` is a stable code (``no_done``, ``clean_4xx``): tests, diffs
    and filters key on ``status/reason``; people read ``summary``, whose wording may change."""

    status: Status
    reason: str
    summary: str
    dependents_may_run: bool = False
    """A failed prerequisite that found a way round (e.g. the base URL that does work), so the
    checks depending on it can still be judged instead of skipped."""

    @property
    def code(self) -> str:
        return f"{self.status.value}/{self.reason}"


def passed(reason: str, summary: str) -> Outcome:
    return Outcome(Status.PASS, reason, summary)


def failed(reason: str, summary: str, *, dependents_may_run: bool = False) -> Outcome:
    return Outcome(Status.FAIL, reason, summary, dependents_may_run)


def warned(reason: str, summary: str) -> Outcome:
    return Outcome(Status.WARN, reason, summary)


def unsupported(reason: str, summary: str) -> Outcome:
    return Outcome(Status.UNSUPPORTED, reason, summary)


def skipped(reason: str, summary: str) -> Outcome:
    return Outcome(Status.SKIP, reason, summary)


def inconclusive(reason: str, summary: str) -> Outcome:
    return Outcome(Status.ERROR, reason, summary)


@dataclass
class RequestRecord:
    method: str
    url: str
    headers: dict[str, str]
    body: Any = None
    """Parsed JSON body, or the raw text when the request is deliberately not JSON."""


@dataclass
class ResponseRecord:
    status: int
    headers: dict[str, str]
    body: str = ""
    """Decoded body text, cut to the evidence cap (see ``truncated``)."""
    truncated: bool = False
    size_bytes: int = 0
    """Bytes actually received (may exceed what ``body`` keeps)."""
    sse_lines: list[str] | None = None
    """For streams: the raw lines as received, cut to the evidence cap."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "headers": self.headers, "body": self.body, "truncated": self.truncated,
            "size_bytes": self.size_bytes, "sse_lines": self.sse_lines,
        }


@dataclass
class Exchange:
    """One HTTP request and what came back (or why nothing did)."""

    label: str
    request: RequestRecord
    response: ResponseRecord | None = None
    error: str | None = None
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """For serialising: the field order of ``dataclasses.asdict``, but bodies and lists are shared,
        not deep-copied (copying every exchange's evidence was a tenth of a run's CPU)."""
        request = self.request
        return {
            "label": self.label,
            "request": {"method": request.method, "url": request.url, "headers": request.headers, "body": request.body},
            "response": self.response.to_dict() if self.response is not None else None,
            "error": self.error,
            "elapsed_ms": self.elapsed_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exchange:
        return cls(
            label=data["label"],
            request=RequestRecord(**data["request"]),
            response=ResponseRecord(**data["response"]) if data.get("response") else None,
            error=data.get("error"),
            elapsed_ms=data.get("elapsed_ms", 0.0),
        )


class PackedExchanges(Sequence[Exchange]):
    """A decided verdict's exchanges, kept compressed until a report reads them.

    A run holds every verdict's evidence until the reports are written: as objects that was about
    a megabyte and a half per provider (stream lines, headers, bodies), most of a 300-provider run's
    memory. Compressed JSON is about a tenth of it, in one object per verdict. Reading unpacks a
    fresh list each time (nothing is cached back), which the reporters do once or twice each."""

    __slots__ = ("_count", "_packed")

    def __init__(self, exchanges: Sequence[Exchange]) -> None:
        self._count = len(exchanges)
        # ASCII escapes keep any lone surrogate of a decoded body intact through the round trip.
        text = json.dumps([exchange.to_dict() for exchange in exchanges], separators=(",", ":"))
        self._packed = zlib.compress(text.encode("ascii"), 1)

    def unpacked(self) -> list[Exchange]:
        return [Exchange.from_dict(item) for item in self.dicts()]

    def dicts(self) -> list[dict[str, Any]]:
        """Each exchange's ``to_dict()``, as packed: what results.json writes, without building the objects."""
        items: list[dict[str, Any]] = json.loads(zlib.decompress(self._packed))
        return items

    @property
    def packed_size(self) -> int:
        return len(self._packed)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self.unpacked())

    @overload
    def __getitem__(self, index: int) -> Exchange: ...
    @overload
    def __getitem__(self, index: slice) -> list[Exchange]: ...
    def __getitem__(self, index: int | slice) -> Exchange | list[Exchange]:
        return self.unpacked()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return self.unpacked() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackedExchanges({self._count} exchanges, {len(self._packed)} bytes)"


@dataclass
class SchemaIssue:
    """A JSON-Schema violation found in a response document."""

    schema: str
    """Which schema, e.g. ``chat_completion``."""
    level: str
    """``compat`` (clients break: a failure) or ``strict`` (spec only: a warning)."""
    path: str
    """JSON path of the offending value, e.g. ``$.choices[0].message.tool_calls[0].function.arguments``."""
    message: str
    where: str = ""
    """Which document: e.g. ``response`` or ``chunk 3``."""
    keyword: str = ""
    """The JSON-Schema keyword that failed (``required``, ``type``, ``enum``...), or ``plausible`` for a
    value of the right type that no real one has (see schemas/README.md); empty in older results."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema, "level": self.level, "path": self.path, "message": self.message, "where": self.where,
            "keyword": self.keyword,
        }


@dataclass
class Verdict:
    check_id: str
    provider: str
    status: Status
    summary: str
    exchanges: Sequence[Exchange] = field(default_factory=list)
    """A list while the check runs; :class:`PackedExchanges` once the runner has the final verdict."""
    schema_issues: list[SchemaIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duration_ms: float = 0.0
    runs: list[str] | None = None
    """With ``--repeat N``: the status of each run, in order (the pass rate); None otherwise."""
    reason: str = ""
    """The outcome's stable code (see :class:`Outcome`); empty only for verdicts read from a results
    file written before codes existed (schema version 1)."""

    @property
    def code(self) -> str:
        """``status/reason``, or the bare status for a verdict read from a results file without codes."""
        return f"{self.status.value}/{self.reason}" if self.reason else self.status.value

    def to_dict(self) -> dict[str, Any]:
        """For serialising (shares the evidence, see :meth:`Exchange.to_dict`). The code sits beside
        the status it qualifies."""
        data: dict[str, Any] = {
            "check_id": self.check_id, "provider": self.provider, "status": self.status.value, "summary": self.summary,
            "reason": self.reason,
            "exchanges": self.exchanges.dicts() if isinstance(self.exchanges, PackedExchanges) else [e.to_dict() for e in self.exchanges],
            "schema_issues": [issue.to_dict() for issue in self.schema_issues],
            "notes": list(self.notes),
            "duration_ms": self.duration_ms,
        }
        if self.runs is not None:  # optional in results.json: a single run's file is unchanged
            data["runs"] = list(self.runs)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        exchanges = [Exchange.from_dict(e) for e in data.get("exchanges", [])]
        return cls(
            check_id=data["check_id"],
            provider=data["provider"],
            status=Status(data["status"]),
            summary=data["summary"],
            reason=data.get("reason", ""),
            exchanges=exchanges,
            schema_issues=[SchemaIssue(**s) for s in data.get("schema_issues", [])],
            notes=list(data.get("notes", [])),
            duration_ms=data.get("duration_ms", 0.0),
            runs=list(data["runs"]) if data.get("runs") is not None else None,
        )

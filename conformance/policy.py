"""Requirements and policies as plain data: which checks an application relies on, and which
verdicts other than ``pass`` it tolerates for them.

A policy comes from ``--require`` and from ``requirements:`` blocks in providers.yaml (global, and
per provider, where it adds to the global one). Whether each pattern names a check is decided
where the run is assembled (``conformance.session``): this module knows no check.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .text import field_path
from .verdict import Status


@dataclass(frozen=True)
class Requirement:
    pattern: str
    """A check id or an fnmatch glob (``tools.*``)."""
    origin: str
    """Where it was written: ``--require`` or ``providers.yaml:12``."""
    where: str = ""
    """For a pattern from a file: ``FILE:LINE: FIELD``, to name it if it matches no check."""

    def matches(self, check_id: str) -> bool:
        return fnmatch.fnmatchcase(check_id, self.pattern)

    def describe(self) -> str:
        return f"{self.origin} {self.pattern!r}"


@dataclass(frozen=True)
class Policy:
    require: tuple[Requirement, ...] = ()
    allow_warn: bool = True
    """A tolerated deviation (or "flaky k/N" with --repeat) is good enough by default."""
    allow_unsupported: bool = False
    """A required feature that is cleanly refused is still missing."""
    allow_skip: bool = False
    """A required check that was not applicable (no vision model, failed prerequisite) was not shown to work."""

    @property
    def allowed(self) -> tuple[Status, ...]:
        extra = [(self.allow_warn, Status.WARN), (self.allow_unsupported, Status.UNSUPPORTED), (self.allow_skip, Status.SKIP)]
        return (Status.PASS, *(status for ok, status in extra if ok))

    def requiring(self, more: Iterable[Requirement]) -> Policy:
        known = set(self.require)
        return replace(self, require=self.require + tuple(r for r in more if r not in known))

    def requirement_for(self, check_id: str) -> Requirement | None:
        return next((r for r in self.require if r.matches(check_id)), None)


def policy_from_yaml(
    base: Policy, block: Mapping[str, Any] | None, where: tuple[Any, ...], file: str, line_of: Callable[[tuple[Any, ...]], Any]
) -> Policy:
    """A ``requirements:`` block (already schema-checked) on top of ``base``: its patterns are
    added, its ``allow`` keys override."""
    if not block:
        return base
    added: list[Requirement] = []
    for index, pattern in enumerate(block.get("require") or []):
        at = where + ("require", index)
        added.append(Requirement(pattern, f"{_basename(file)}:{line_of(at)}", f"{file}:{line_of(at)}: {field_path(at)}"))
    allow = block.get("allow") or {}
    policy = base.requiring(added)
    return replace(
        policy,
        allow_warn=allow.get("warn", policy.allow_warn),
        allow_unsupported=allow.get("unsupported", policy.allow_unsupported),
        allow_skip=allow.get("skip", policy.allow_skip),
    )


def _basename(file: str) -> str:
    return file.replace("\\", "/").rsplit("/", 1)[-1]

"""The checklist as a whole: every check in order, and choosing among them by id or glob.

This is where the probes meet the rest of the suite: the runner is handed checks, and never
imports them itself."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from functools import cache

from .errors import UsageError
from .probes import CHECKS
from .registry import Check


@cache
def _checks() -> tuple[Check, ...]:
    ids = [c.id for c in CHECKS]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RuntimeError(f"check id(s) listed twice: {', '.join(duplicates)}")
    return CHECKS


def all_checks() -> list[Check]:
    """Every check, in checklist order (section, then the order its area lists them)."""
    return list(_checks())


def check_ids() -> list[str]:
    return [c.id for c in _checks()]


def matches_any(pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(i, pattern) for i in check_ids())


def select_checks(patterns: Iterable[str], option: str = "--check") -> list[Check]:
    """Checks matching any id or glob; every pattern must match something (or it is a usage
    error naming ``option``)."""
    checks = all_checks()
    patterns = list(patterns)
    if not patterns:
        return checks
    chosen: set[str] = set()
    for pattern in patterns:
        matched = {c.id for c in checks if fnmatch.fnmatchcase(c.id, pattern)}
        if not matched:
            raise UsageError(f"{option} {pattern!r} matches no check; see `conformance list-checks`")
        chosen |= matched
    return [c for c in checks if c.id in chosen]


def with_prerequisites(selected: Iterable[Check]) -> list[Check]:
    """The selected checks plus every check they depend on, transitively, in checklist order."""
    by_id = {c.id: c for c in all_checks()}
    wanted = {c.id for c in selected}
    stack = list(wanted)
    while stack:
        for dep in by_id[stack.pop()].depends_on:
            if dep not in wanted:
                wanted.add(dep)
                stack.append(dep)
    return [c for c in all_checks() if c.id in wanted]

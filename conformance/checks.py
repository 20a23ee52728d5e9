"""The check registry: each check is a small async function declared with :func:`check`.

A check declares what it needs (model roles, prerequisite checks) instead of reaching into
other checks' results; the runner resolves order and skips.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import UsageError
from .verdict import Measures

if TYPE_CHECKING:
    from .probe import Outcome, Probe

CheckFunc = Callable[["Probe"], Awaitable["Outcome"]]

SECTIONS: tuple[str, ...] = (
    "base_url", "auth", "models", "chat", "system", "vision", "tools", "streaming", "tokens", "errors", "limits",
)


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    """One line: what a pass establishes."""
    func: CheckFunc
    measures: Measures
    needs: tuple[str, ...]
    """Model roles from providers.yaml (``chat``, ``vision``); missing → skip."""
    depends_on: tuple[str, ...]
    """Checks that must pass (or warn) first; otherwise this one is skipped, naming them."""

    @property
    def section(self) -> str:
        return self.id.split(".", 1)[0]


_REGISTRY: dict[str, Check] = {}


def check(
    check_id: str,
    title: str,
    *,
    measures: Measures = Measures.PROTOCOL,
    needs: tuple[str, ...] = ("chat",),
    depends_on: tuple[str, ...] = ("auth.bearer",),
) -> Callable[[CheckFunc], CheckFunc]:
    def register(func: CheckFunc) -> CheckFunc:
        if check_id in _REGISTRY:
            raise RuntimeError(f"check id {check_id!r} registered twice")
        _REGISTRY[check_id] = Check(check_id, title, func, measures, needs, depends_on)
        return func

    return register


def all_checks() -> list[Check]:
    """Every registered check, in checklist order (section, then declaration order)."""
    import conformance.probes  # noqa: F401  (registers the checks on import)

    order = {s: i for i, s in enumerate(SECTIONS)}
    return sorted(_REGISTRY.values(), key=lambda c: order.get(c.section, len(order)))


def select_checks(patterns: Iterable[str]) -> list[Check]:
    """Checks matching any id or glob; every pattern must match something."""
    checks = all_checks()
    patterns = list(patterns)
    if not patterns:
        return checks
    chosen: list[Check] = []
    for pattern in patterns:
        matched = [c for c in checks if fnmatch.fnmatchcase(c.id, pattern)]
        if not matched:
            raise UsageError(f"--check {pattern!r} matches no check; see `conformance list-checks`")
        chosen.extend(c for c in matched if c not in chosen)
    return [c for c in checks if c in chosen]


def with_prerequisites(selected: list[Check]) -> list[Check]:
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

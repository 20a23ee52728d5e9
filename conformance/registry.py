"""What a check is: an async function ``(CheckContext) -> Outcome`` with its id, title, what it
measures, what it needs, and every reason code it can give. Declared with :func:`check`.

A check declares its prerequisites (``depends_on``) and model roles (``needs``) instead of
reaching into other checks' results; the runner resolves order and skips. The checklist itself
(which checks exist, in which order) is assembled in ``conformance.checklist``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .verdict import Measures, Outcome, Status

if TYPE_CHECKING:
    from .context import CheckContext

CheckFunc = Callable[["CheckContext"], Awaitable[Outcome]]
_CODE = re.compile(r"^(pass|fail|warn|unsupported|skip|error)/[a-z][a-z0-9_]*$")


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
    reasons: tuple[str, ...]
    """Every ``status/reason`` code this check's own logic can decide (the shared guards' and the
    runner's codes, ``conformance.judge.COMMON_REASONS``, come on top)."""
    after_all: bool = False
    """Judged once every other check of the provider is decided (it reads what the run met)."""

    @property
    def section(self) -> str:
        return self.id.split(".", 1)[0]

    async def __call__(self, ctx: CheckContext) -> Outcome:
        return await self.func(ctx)


def check(
    check_id: str,
    title: str,
    *,
    reasons: Iterable[str],
    measures: Measures = Measures.PROTOCOL,
    needs: tuple[str, ...] = ("chat",),
    depends_on: tuple[str, ...] = ("auth.bearer",),
    after_all: bool = False,
) -> Callable[[CheckFunc], Check]:
    """Make an async function a :class:`Check`; the area's ``__init__`` lists it in ``CHECKS``."""
    codes = tuple(dict.fromkeys(reasons))
    bad = [c for c in codes if not _CODE.match(c)]
    if bad:
        raise ValueError(f"{check_id}: reason codes must look like 'fail/no_done', got {bad}")
    if not any(c.startswith(f"{Status.PASS.value}/") for c in codes):
        raise ValueError(f"{check_id}: declares no pass/... reason: how would it ever pass?")

    def make(func: CheckFunc) -> Check:
        return Check(check_id, title, func, measures, needs, depends_on, codes, after_all)

    return make

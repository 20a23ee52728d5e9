"""A token budget shared by every provider of a run (``--max-tokens-total N``).

Tokens are counted from the ``usage`` the providers report. Once the count reaches the budget,
no new request starts (the client refuses it, raising :class:`BudgetExhausted`); requests already
in flight finish, so the final count may pass the budget by what those cost.
"""

from __future__ import annotations

from dataclasses import dataclass


class BudgetExhausted(Exception):
    """Raised instead of sending a request once the budget is spent; the runner makes it the
    check's ``error`` verdict."""


@dataclass
class TokenBudget:
    limit: int | None = None
    """None: no limit (only counted)."""
    used: int = 0

    def spend(self, tokens: int) -> None:
        self.used += tokens

    @property
    def exhausted(self) -> bool:
        return self.limit is not None and self.used >= self.limit

    @property
    def message(self) -> str:
        return f"token budget of {self.limit} reached ({self.used} tokens used)"

    def check(self) -> None:
        """Called right before a request would be sent."""
        if self.exhausted:
            raise BudgetExhausted(self.message)

"""Switches that make the reference provider misbehave like real-world providers do.

The suite's own tests need servers that get specific things wrong (no ``[DONE]``,
tool arguments sent as an object, ...) to prove each check can fail. Each
deviation is a name; the code that implements it asks ``flavour.has(name)``.
"""

from __future__ import annotations

from dataclasses import dataclass

KNOWN_DEVIATIONS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Flavour:
    deviations: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Accept any iterable of names for convenience, but keep the field hashable.
        object.__setattr__(self, "deviations", frozenset(self.deviations))

    def has(self, name: str) -> bool:
        return name in self.deviations

    def check_known(self) -> None:
        """Raise ValueError if a deviation is not implemented, so a typo cannot pass silently."""
        unknown = self.deviations - KNOWN_DEVIATIONS
        if unknown:
            known = ", ".join(sorted(KNOWN_DEVIATIONS)) or "none"
            raise ValueError(f"unknown deviation(s): {', '.join(sorted(unknown))} (known: {known})")

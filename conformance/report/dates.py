"""The one date format every report shows: ``2024-05-01 12:00 UTC``."""

from __future__ import annotations

from datetime import UTC, datetime


def when(stamp: str) -> str:
    """``2024-05-01 12:00 UTC`` from an ISO 8601 stamp (``Z`` and offsets are converted to UTC);
    ``2024-05-01 12:00`` for a stamp without a zone (its zone is unknown); the text as given if it
    does not parse."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return stamp
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

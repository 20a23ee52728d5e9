"""Whether to send a request again after an answer, and how long to wait first.

Only answers that say "not now" are retried: 429 and the 5xx statuses that OpenAI's own SDKs
retry. Any other 4xx is the provider's considered answer to the request, and retrying it would
hide exactly what a check must judge. The wait honours ``Retry-After`` (and OpenAI's
``retry-after-ms``), capped so that a hostile provider cannot stall a run; without one it is an
exponential backoff. There is no jitter: a run's timing stays reproducible, and the per-provider
concurrency bound already keeps a run from stampeding a provider.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from .settings import Settings

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
"""Answers worth asking again: rate limited, or a server error that is often momentary."""

UNAVAILABLE_STATUSES = frozenset({429, 502, 503, 504})
"""Answers that say nothing about the request itself. When they persist after the retries, the
check could not be judged (``error``). A persistent 500 is different: it is the provider's answer
to that request (a crash on an image, on a malformed body, ...), so the check judges it."""

_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


@dataclass(frozen=True)
class Wait:
    seconds: float
    reason: str
    """Why this long, for the evidence: ``Retry-After: 1``, ``backoff``, ``... capped at 30 s``."""


def should_retry(status: int | None) -> bool:
    return status in RETRY_STATUSES


def wait_before_retry(retry_number: int, headers: Mapping[str, str], settings: Settings, now: float | None = None) -> Wait:
    """The pause before retry ``retry_number`` (1 for the first retry)."""
    cap = settings.retry_after_max_s
    asked = retry_after(headers, now)
    if asked is not None:
        seconds, header = asked
        if seconds > cap:
            return Wait(cap, f"{header} capped at {cap:g} s")
        return Wait(seconds, header)
    backoff = settings.retry_backoff_s * 2 ** (retry_number - 1)
    return Wait(min(backoff, cap), "backoff, no Retry-After")


def retry_after(headers: Mapping[str, str], now: float | None = None) -> tuple[float, str] | None:
    """Seconds the provider asked us to wait, and the header as quoted for the evidence.

    ``retry-after-ms`` (sent by OpenAI) wins over ``Retry-After``; ``Retry-After`` is either
    delta-seconds (ASCII digits only) or an HTTP date. An unparseable value is ignored."""
    ms = (headers.get("retry-after-ms") or "").strip()
    if _DECIMAL.fullmatch(ms):
        return float(ms) / 1000, f"retry-after-ms: {ms}"
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    quoted = f"Retry-After: {value[:40]}"
    if _DIGITS.fullmatch(value):
        return float(value), quoted
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current), quoted


def gave_up(status: int, attempts: int) -> str:
    """The inconclusive reason when a "not now" answer outlasts the retries."""
    tries = f"{attempts} attempt" + ("s" if attempts != 1 else "")
    if status == 429:
        return f"rate limited: HTTP 429 after {tries}"
    return f"provider unavailable: HTTP {status} after {tries}"

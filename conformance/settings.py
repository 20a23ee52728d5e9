"""Knobs users may want to change, in one place, with defaults.

Overridable globally (``settings:`` at the top of providers.yaml) and per provider
(``settings:`` inside a provider, or its ``timeout_s`` / ``max_concurrency`` shorthands).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Settings:
    timeout_s: float = 60.0
    """Per request: connect, read gaps and total time of one exchange."""
    max_concurrency: int = 4
    """Requests in flight at once to one provider."""
    max_body_bytes: int = 2_000_000
    """A response body (or stream) larger than this is cut off and judged on what arrived."""
    max_stream_events: int = 10_000
    """A stream with more SSE events than this is cut off too: tiny events would otherwise cost far
    more memory and parsing than their bytes suggest (a 64-token reply is about 70 events)."""
    evidence_body_chars: int = 20_000
    """How much of each body the evidence keeps."""
    token_limit: int = 5
    """The small completion limit the token checks ask for (must be enforced)."""
    reply_tokens: int = 64
    """Bound on every other reply, so a run stays cheap and a rambling model cannot stall it."""
    bound_field: str = "max_tokens"
    """Which request field carries ``reply_tokens``: ``max_tokens`` (honoured most widely),
    ``max_completion_tokens`` (for models that reject ``max_tokens``) or ``none``."""
    temperature: float | None = 0.0
    """Sent with every chat request (None: not sent) so replies are as repeatable as the model allows."""
    max_retries: int = 2
    """How many times a request answered 429/500/502/503/504 is sent again (0: never). Small, so a
    provider that stays unavailable costs seconds, not minutes."""
    retry_backoff_s: float = 0.5
    """First pause before a retry when the provider sends no Retry-After; doubled each retry."""
    retry_after_max_s: float = 30.0
    """Cap on any pause (Retry-After included), so a hostile provider cannot stall a run."""

    def merged(self, overrides: dict[str, Any] | None) -> Settings:
        if not overrides:
            return self
        known = {f.name for f in fields(self)}
        return replace(self, **{k: v for k, v in overrides.items() if k in known})

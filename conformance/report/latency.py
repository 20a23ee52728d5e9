"""The latency figures of a run (``ProviderRun.latency``) in words, the same in report.html and summary.md.

They come from the streams the checks sent anyway: short prompts, capped replies, sent alongside the
other checks. So every report says where they were measured and that they are what a client there
saw, not a benchmark of the model.
"""

from __future__ import annotations

from ..results import Latency, ProviderRun
from ..text import plural

NO_STREAM = "no stream completed"
"""Why a column has no figures: latency is None when no streamed answer came back (or the results
file predates latency)."""


def duration(ms: float) -> str:
    """``85 ms``, ``1.2 s``: milliseconds while they read well, seconds beyond (999.6 ms is ``1.0 s``,
    not ``1000 ms``: the choice is made on the figure as it is shown)."""
    return f"{ms:.0f} ms" if round(ms) < 1000 else f"{ms / 1000:.1f} s"


def spread_ms(pair: tuple[float, float]) -> str:
    """A (median, max) pair of milliseconds: ``120 ms (max 340 ms)``."""
    median, most = pair
    return f"{duration(median)} (max {duration(most)})"


def tokens_rate(latency: Latency) -> str:
    """``85 (max 120)`` tokens a second; ``—`` when no stream reported its usage."""
    if latency.tokens_per_s is None:
        return "—"
    median, most = latency.tokens_per_s
    return f"{median:.0f} (max {most:.0f})"


def measured_where(providers: list[ProviderRun]) -> str:
    """``loopback``, ``network`` or ``loopback and network``: where the run's figures were measured."""
    where = sorted({p.latency.measured for p in providers if p.latency is not None})
    return " and ".join(where)


def caveat(providers: list[ProviderRun]) -> str:
    """The sentence that goes with the figures, naming where they were measured."""
    return (
        f"Latency measured at run time over {measured_where(providers)}, from the streams the checks sent "
        "anyway (short prompts, capped replies): what a client here saw, not a benchmark of the model."
    )


def latency_line(latency: Latency | None) -> str:
    """All of one provider's figures on one line, for summary.md."""
    if latency is None:
        return f"— ({NO_STREAM})"
    rate = f", {tokens_rate(latency)} tokens/s" if latency.tokens_per_s is not None else ""
    return (
        f"first byte {spread_ms(latency.first_byte_ms)}, first token {spread_ms(latency.first_token_ms)}, "
        f"whole stream {spread_ms(latency.total_ms)}{rate}; median over {plural(latency.streams, 'stream')}, "
        f"over {latency.measured}"
    )

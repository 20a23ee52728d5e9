"""How many requests may be in flight: per provider, and across the whole run.

A provider's ``max_concurrency`` bounds what the suite sends it at once, shared by every column
of a model sweep (one gateway, one limit). A run-wide bound keeps hundreds of providers from
opening more sockets than the process may hold. After a 429 the provider's slots pause for the
wait it asked for, so the columns of a sweep do not each walk into the same rate limit.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType

RUN_BOUND_MAX = 256
"""Requests in flight across all providers at most; far above what one provider is sent."""
_SOCKETS_PER_REQUEST = 3
"""A request in flight can hold the client's socket, an embedded server's socket for it, and an
idle pooled connection waiting to expire."""
_SPARE_DESCRIPTORS = 64


def run_bound(soft_descriptor_limit: int | None = None) -> int:
    """The run-wide bound: ``RUN_BOUND_MAX``, or less when the process may open few files."""
    if soft_descriptor_limit is None:
        soft_descriptor_limit = _descriptor_limit()
    if soft_descriptor_limit is None:
        return RUN_BOUND_MAX
    return max(4, min(RUN_BOUND_MAX, (soft_descriptor_limit - _SPARE_DESCRIPTORS) // _SOCKETS_PER_REQUEST))


GROUPS_PER_RUN_SLOT = 0.25


def groups_at_once(bound: int) -> int:
    """How many providers.yaml entries run at the same time; the others wait their turn, in file order.

    Each running provider holds its connection pool, its checks' pending requests and the answers
    they share until its last check is decided: with every one of hundreds of providers started at
    once, the run held all of that at once. Enough run at a time to keep the run's request slots
    busy at the default four requests a provider; more would only wait for slots."""
    return max(2, int(bound * GROUPS_PER_RUN_SLOT))


def _descriptor_limit() -> int | None:
    try:
        import resource
    except ImportError:  # Windows: no RLIMIT_NOFILE; its handle limit is far higher
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


class Slots:
    """One provider's request slots (``async with slots:`` around each request)."""

    def __init__(self, per_provider: int, run: asyncio.Semaphore | None = None) -> None:
        self._provider = asyncio.Semaphore(per_provider)
        self._run = run
        self._not_before = 0.0

    def pause(self, seconds: float) -> None:
        """No new request to this provider for ``seconds`` (it answered 429 and asked us to wait)."""
        self._not_before = max(self._not_before, time.monotonic() + seconds)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def acquire(self) -> None:
        """Take a slot (``async with`` does this); ``release`` gives it back, for a request whose body
        outlives the block that sent it (the SDK's streams)."""
        # Wait out a pause before taking a slot, so that waiting holds nothing others could use; and
        # again after, for a pause that began while this request queued for the slot.
        while True:
            while (left := self._not_before - time.monotonic()) > 0:
                await asyncio.sleep(left)
            await self._provider.acquire()
            if self._not_before <= time.monotonic():
                break
            self._provider.release()
        if self._run is not None:
            # Provider first, then the run: every request takes them in this order, so none can
            # hold a run slot while it waits for its provider.
            try:
                await self._run.acquire()
            except BaseException:
                self._provider.release()
                raise

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.release()

    def release(self) -> None:
        if self._run is not None:
            self._run.release()
        self._provider.release()

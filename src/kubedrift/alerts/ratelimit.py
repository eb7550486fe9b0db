"""A token bucket: how many requests a sink may get, and how long to wait for the next one.

The bucket holds up to `burst` tokens and gains `rate_per_minute / 60` a second; a request
takes one. `take()` never blocks: it answers how long until a token is there, and the
caller (the sink's worker) sleeps meanwhile — while alerts keep joining its queue, so being
over the limit makes the next request bigger, not later alerts lost. The clock and the
sleep are parameters (alerts/timing.py) so tests can drive them by hand or in virtual time.
"""

from __future__ import annotations

import asyncio
import time

from kubedrift.alerts.timing import Clock, Sleep


class TokenBucket:
    """Requests per minute with bursts, on a monotonic clock (seconds)."""

    def __init__(
        self,
        rate_per_minute: float,
        burst: int,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_minute <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate_per_minute > 0 and burst >= 1")
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._stamp = clock()

    @property
    def tokens(self) -> float:
        """The tokens available now (fractions included)."""
        self._refill()
        return self._tokens

    def take(self) -> float:
        """Take a token and return 0.0, or take nothing and return the seconds to wait."""
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        return (1.0 - self._tokens) / self.rate

    async def acquire(self) -> None:
        """Wait until a token is there, and take it."""
        while (delay := self.take()) > 0:
            await self._sleep(delay)

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)

"""The clock and sleep of alert delivery, injectable so tests run in virtual time.

Every wait of the alert path — the group window, the token bucket, a retry's backoff, the
shutdown's grace — goes through one `Clock` (monotonic seconds) and one `Sleep` given to
`AlertDispatcher`. Production passes `time.monotonic` and `asyncio.sleep`; tests pass
`support.aio.VirtualClock`, whose time moves only when every task sleeps, so a test of
"waited for its token" asserts exact virtual seconds that no CPU load can stretch (the
approach of tests/cluster/test_lease_timing.py). A wait that may also end early (an alert
arrived, the workers finished) races the sleep with `within`, not `asyncio.timeout`, which
reads the event loop's real clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

Clock = Callable[[], float]
"""Monotonic seconds."""
Sleep = Callable[[float], Awaitable[None]]
"""Suspend for that many seconds of `Clock`."""


async def within(waiting: Awaitable[Any], seconds: float | None, sleep: Sleep) -> bool:
    """Await `waiting` for at most `seconds` of `sleep`'s clock (None: no limit).

    True when it finished in time; False when the time ran out first (it is cancelled)."""
    if seconds is None:
        await waiting
        return True
    task = asyncio.ensure_future(waiting)
    timer = asyncio.ensure_future(sleep(max(0.0, seconds)))
    try:
        await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, timer):
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
    return task.done() and not task.cancelled()

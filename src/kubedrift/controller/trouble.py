"""Trouble the controller can be in — the store failing, the cluster out of sight — said out loud.

A watcher that cannot write its timeline or cannot see its cluster keeps trying, and must
not look healthy meanwhile (issue 12.1, 12.9). A `Trouble` is one such condition. Whoever
meets the failure calls `failed(reason)` at each failed attempt and `recovered()` at the
next success; the `Trouble` then

- logs the first failure at once, then at most once per `log_every` seconds while it lasts
  (with how long and how many attempts), and its recovery: an outage of hours writes a
  few hundred lines, not one per retry;
- tells its `Listener` (the controller: `/readyz` and the `kubedrift_degraded` gauge) when
  it starts, what the latest reason is, and when it ends.

`supervised()` runs a background coroutine that must never end on an error: an exception
is logged with its traceback, counted as trouble, and the coroutine is started again after
a backoff, so no task can fail unobserved.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from kubedrift.model.backoff import Backoff

log = logging.getLogger("kubedrift.controller")

LOG_EVERY = 30.0
"""Seconds between two log lines about one trouble that goes on."""


class Listener(Protocol):
    """Told when a trouble starts or changes reason (`reason`: what and why, one line), and
    when it ends (None)."""

    def __call__(self, name: str, reason: str | None, since: float) -> None:
        """`since` is the `time.monotonic()` of the first failure."""


class Trouble:
    """One condition that makes the controller unready while it lasts."""

    def __init__(
        self,
        name: str,
        what: str,
        listener: Listener,
        *,
        log_every: float = LOG_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.what = what
        """How a log line says it, e.g. `cannot write the timeline store`."""
        self.failures = 0
        self.since: float | None = None
        self.reason: str | None = None
        self._listener = listener
        self._log_every = log_every
        self._clock = clock
        self._logged = 0.0

    @property
    def active(self) -> bool:
        """True from the first failure to the next success."""
        return self.since is not None

    def failed(self, reason: str) -> None:
        """One more failed attempt, for `reason` (one line, no secrets)."""
        now = self._clock()
        self.failures += 1
        if self.since is None:
            self.since, self._logged = now, now
            log.error("%s: %s (retrying)", self.what, reason)
        elif now - self._logged >= self._log_every:
            self._logged = now
            log.error(
                "%s for %.0fs (%d failed attempts): %s",
                self.what,
                now - self.since,
                self.failures,
                reason,
            )
        if reason != self.reason:
            self.reason = reason
            self._listener(self.name, f"{self.what}: {reason}", self.since)

    def recovered(self) -> None:
        """The next attempt succeeded: the trouble is over (nothing happens if there was none)."""
        if self.since is None:
            return
        since, failures = self.since, self.failures
        self.since, self.reason, self.failures = None, None, 0
        log.warning(
            "%s: recovered after %.1fs (%d failed attempts)",
            self.what,
            self._clock() - since,
            failures,
        )
        self._listener(self.name, None, since)


async def supervised(
    name: str,
    start: Callable[[], Awaitable[None]],
    trouble: Trouble,
    *,
    backoff: Backoff | None = None,
) -> None:
    """Run `start()` until it returns; after an exception, log it and start it again.

    Cancellation passes through. `trouble` is marked while the coroutine is down and
    cleared when a new run has lasted one backoff step without failing.
    """
    backoff = backoff or Backoff(1.0, 30.0)
    while True:
        run = asyncio.ensure_future(start())
        try:
            if trouble.active:
                await _clear_when_steady(run, trouble, backoff.initial)
            await run
            return
        except Exception as err:
            log.exception("%s stopped on an unexpected error; restarting it", name)
            trouble.failed(f"{name} stopped: {err!r}")
        finally:
            if not run.done():  # we were cancelled while it ran: stop it with us
                run.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await run
        await asyncio.sleep(backoff.next_delay())


async def _clear_when_steady(run: asyncio.Future[None], trouble: Trouble, after: float) -> None:
    """Clear `trouble` once `run` has gone `after` seconds without failing."""
    done, _ = await asyncio.wait({run}, timeout=after)
    if not done:
        trouble.recovered()

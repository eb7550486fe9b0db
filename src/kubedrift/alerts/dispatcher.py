"""`AlertDispatcher`: turns the store's deltas into alerts and runs one worker per sink.

    async with AlertDispatcher(sinks, AlertPolicy()) as alerts:
        delta = store.record_event("prod-a", ref, findings, at=now)
        alerts.submit("prod-a", delta)          # returns at once
    # leaving the block flushes what waits (bounded by `close_timeout`)

`submit` only queues; each sink's worker task sends on its own schedule, so a sink that is
down or rate-limited delays nobody else. All sinks share one httpx2 client, opened by
`start()` and closed by `aclose()`; `transport` is the one I/O seam (an
`httpx2.MockTransport` in unit tests), and `clock` and `sleep` (alerts/timing.py) the one
time seam (virtual time in unit tests). After a restart, `restore` hands the dispatcher
the episodes that are still open, so their resolution is announced and Alertmanager keeps
receiving them, without announcing them again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import httpx2

from kubedrift.alerts.events import Alert, AlertEvent, alerts_from_delta
from kubedrift.alerts.policy import AlertPolicy
from kubedrift.alerts.sinks import Sink
from kubedrift.alerts.stats import AlertStats
from kubedrift.alerts.timing import Clock, Sleep, within
from kubedrift.alerts.worker import SinkWorker
from kubedrift.net.httpcore_seam import close_interrupted_handshakes
from kubedrift.store.records import ScanDelta, StoredFinding

USER_AGENT = "kubedrift-alerts/1"
log = logging.getLogger("kubedrift.alerts")


class AlertDispatcher:
    """Delivers the alerts of submitted deltas to every sink (see the module docstring)."""

    def __init__(
        self,
        sinks: Sequence[Sink],
        policy: AlertPolicy | None = None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        now: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        close_timeout: float = 10.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.policy = policy or AlertPolicy()
        self.close_timeout = close_timeout
        self._transport = transport
        self._pause = sleep
        rng = rng or random.Random()
        wall = now or (lambda: datetime.now(UTC))
        self._workers = [
            SinkWorker(name, sink, self.policy, now=wall, rng=rng, clock=clock, sleep=sleep)
            for name, sink in zip(_names(sinks), sinks, strict=True)
        ]
        self._client: httpx2.AsyncClient | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.crashes = 0
        """Worker tasks restarted after an unexpected error."""

    @property
    def sinks(self) -> tuple[Sink, ...]:
        """The sinks, in the order given."""
        return tuple(w.sink for w in self._workers)

    def submit(self, cluster: str, delta: ScanDelta, *, summarize: bool = False) -> None:
        """Queue the alerts of one recorded scan or event of `cluster` (does not block).

        With `summarize` (the watcher's start), the new findings go out as one digest per
        sink (`alerts.digest`) instead of one alert each; changes and resolutions do not.
        """
        if self._closed:
            raise RuntimeError("AlertDispatcher.submit after aclose()")
        alerts = alerts_from_delta(cluster, delta)
        if summarize:
            new = [a for a in alerts if a.event is AlertEvent.NEW]
            for worker in self._workers:
                worker.summarize(cluster, new)
            alerts = [a for a in alerts if a.event is not AlertEvent.NEW]
        for alert in alerts:
            for worker in self._workers:
                worker.offer(alert)

    def announce(self, alerts: Iterable[Alert]) -> None:
        """Queue alerts that come from no delta: actions (`events.action_alert`)."""
        if self._closed:
            raise RuntimeError("AlertDispatcher.announce after aclose()")
        for alert in alerts:
            for worker in self._workers:
                worker.offer(alert)

    def restore(self, cluster: str, open_findings: Iterable[StoredFinding]) -> None:
        """Take open episodes as already announced (e.g. `store.open_findings()` at start).

        A suppressed one was never announced: held as open, its expiry would be taken for
        a duplicate and the "suppression expired" alert lost after a restart.
        """
        for stored in open_findings:
            if stored.is_open and stored.finding.suppression is None:
                alert = Alert(cluster, AlertEvent.NEW, stored)
                for worker in self._workers:
                    worker.ledger.restore(alert)

    async def start(self) -> None:
        """Open the HTTP client and start one worker task per sink."""
        if self._tasks or self._closed:
            return
        self._client = httpx2.AsyncClient(
            transport=self._transport,
            timeout=httpx2.Timeout(self.policy.timeout),
            follow_redirects=False,
            trust_env=self.policy.trust_env,
            headers={"User-Agent": USER_AGENT},
        )
        close_interrupted_handshakes(self._client)  # aclose cancels late senders
        self._tasks = [self._spawn(w, self._client) for w in self._workers]

    def _spawn(self, worker: SinkWorker, client: httpx2.AsyncClient) -> asyncio.Task[None]:
        task = asyncio.create_task(worker.run(client), name=f"kubedrift-alerts {worker.name}")
        task.add_done_callback(lambda done: self._crashed(worker, client, done))
        return task

    def _crashed(
        self, worker: SinkWorker, client: httpx2.AsyncClient, task: asyncio.Task[None]
    ) -> None:
        """A worker that stops on an unexpected error is logged and started again (its
        queue and ledger live in `worker`, so nothing waiting is lost)."""
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        if self._closed:
            log.error("alert worker %s stopped: %r", task.get_name(), error)
            return
        log.error(
            "alert worker %s stopped on an unexpected error; restarting it",
            task.get_name(),
            exc_info=error,
        )
        self.crashes += 1
        self._tasks[self._tasks.index(task)] = self._spawn(worker, client)

    async def aclose(self, timeout: float | None = None) -> None:
        """Send what waits (for at most `timeout` s, default `close_timeout`), then close.

        Alerts still waiting when the time is up are counted as dropped.
        """
        if self._closed:
            return
        if not self._tasks:
            await self.start()
        self._closed = True
        for worker in self._workers:
            worker.close()
        wait = self.close_timeout if timeout is None else timeout
        if self._tasks:
            await within(asyncio.wait(self._tasks), wait, self._pause)
        late = {task for task in self._tasks if not task.done()}
        for task in late:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for worker, task in zip(self._workers, self._tasks, strict=True):
            if task in late:
                worker.abandon()
        if self._client is not None:
            await self._client.aclose()

    def stats(self) -> AlertStats:
        """A frozen snapshot of every sink's counters."""
        return AlertStats(tuple(w.stats() for w in self._workers))

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _names(sinks: Sequence[Sink]) -> list[str]:
    """`kind:scheme://host`, with `#2`, `#3`… for sinks that would share a name."""
    seen: Counter[str] = Counter()
    names = []
    for sink in sinks:
        base = f"{sink.kind.value}:{sink.target}"
        seen[base] += 1
        names.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return names

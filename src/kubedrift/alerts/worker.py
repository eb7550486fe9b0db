"""One sink's delivery loop: group window, rate limit, request, and Alertmanager re-sends.

    offer(alert) ─ ledger (filter, dedup) ─ queue ─┐
                                                   ├─ group window ─ token ─ POST (retries)
    every resend_interval: open alerts (AM only) ──┘

An alert waits until `group_wait` after it arrived, so alerts that arrive together leave
together: one request per cluster (at most `max_batch` alerts). Then the worker waits for a
token of the sink's bucket; alerts that arrive meanwhile join the queue and go in the next
request. Re-sends skip alerts that are waiting anyway. `close()` ends the group window at
once; `run()` returns when the queue is empty.

A start's new findings come through `summarize()` instead: held as announced by the
ledger, and sent as one `Digest` per cluster `digest_wait` after the first of them arrived
(findings of the same start arriving meanwhile join it).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx2

from kubedrift.alerts.alertmanager import alertmanager_body
from kubedrift.alerts.delivery import deliver
from kubedrift.alerts.digest import (
    Digest,
    digest_alertmanager_body,
    digest_slack_body,
    digest_webhook_body,
)
from kubedrift.alerts.events import Alert, AlertKey
from kubedrift.alerts.ledger import Ledger, Verdict
from kubedrift.alerts.policy import AlertPolicy
from kubedrift.alerts.queue import PendingQueue
from kubedrift.alerts.ratelimit import TokenBucket
from kubedrift.alerts.sinks import Sink, SinkKind
from kubedrift.alerts.slack import slack_body
from kubedrift.alerts.stats import SinkCounters, SinkStats, snapshot
from kubedrift.alerts.timing import Clock, Sleep, within
from kubedrift.alerts.webhook import webhook_body


@dataclass(frozen=True, slots=True)
class Batch:
    """The alerts of one request: one cluster's, new or re-sent."""

    cluster: str
    alerts: list[Alert]
    resend: bool = False


class SinkWorker:
    """Queue, ledger, bucket and counters of one sink, and the task that empties the queue."""

    def __init__(
        self,
        name: str,
        sink: Sink,
        policy: AlertPolicy,
        *,
        now: Callable[[], datetime],
        rng: random.Random,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self.sink = sink
        self.policy = policy
        self.ledger = Ledger(sink.min_severity, notify_changes=policy.notify_changes)
        self.queue = PendingQueue(policy.queue_size)
        self.bucket = TokenBucket(policy.rate_per_minute, policy.burst, clock, sleep)
        self.counters = SinkCounters()
        self._now, self._rng, self._clock, self._pause = now, rng, clock, sleep
        self._wakeup = asyncio.Event()
        self._closing = False
        self._backlog: deque[tuple[str, list[AlertKey]]] = deque()
        self._in_flight = 0
        self._resends = sink.kind is SinkKind.ALERTMANAGER and policy.resends
        self._next_resend = clock() + policy.resend_interval
        self._digests: dict[str, tuple[Digest, float]] = {}

    def offer(self, alert: Alert) -> None:
        """Filter, deduplicate and queue one alert (never blocks)."""
        verdict = self.ledger.admit(alert)
        if verdict is Verdict.FILTERED:
            self.counters.filtered += 1
        elif verdict is Verdict.DUPLICATE:
            self.counters.deduplicated += 1
        elif verdict is Verdict.SEND:
            self.counters.dropped += self.queue.put(alert, self._clock())
            self._wakeup.set()

    def summarize(self, cluster: str, alerts: Sequence[Alert]) -> None:
        """Hold these new alerts of a start as announced; announce them as one digest."""
        admitted = [a for a in alerts if self.ledger.restore(a, resend=False)]
        self.counters.filtered += len(alerts) - len(admitted)
        if not admitted:
            return
        waiting = self._digests.get(cluster)
        if waiting is None:
            self._digests[cluster] = (Digest(cluster, tuple(admitted)), self._clock())
        else:
            self._digests[cluster] = (waiting[0].merged(admitted), waiting[1])
        self._wakeup.set()

    def close(self) -> None:
        """Send what waits without waiting for the group window, then let `run` return."""
        self._closing = True
        self._wakeup.set()

    def abandon(self) -> int:
        """Count what could not be sent before shutdown timed out as dropped."""
        lost = self.queue.clear() + self._in_flight
        self._in_flight = 0
        self.counters.dropped += lost
        return lost

    def stats(self) -> SinkStats:
        """A frozen snapshot of this sink's counters."""
        return snapshot(self.name, self.sink.kind, self.sink.target, self.counters, len(self.queue))

    async def run(self, client: httpx2.AsyncClient) -> None:
        """Deliver until closed and drained."""
        while await self._work_due():
            # The batch is taken only once the token is there: whatever arrived while the
            # sink was over its limit goes in this request.
            await self.bucket.acquire()
            digest = self._due_digest(self._clock())
            if digest is not None:
                del self._digests[digest.cluster]
                await self._send_digest(client, digest)
                continue
            batch = self._take()
            if batch is None:
                continue
            self._in_flight = len(batch.alerts)
            await self._send(client, batch)
            self._in_flight = 0

    async def _work_due(self) -> bool:
        """Wait until a request is due; False once closed and drained."""
        while True:
            now = self._clock()
            if self._queue_due(now) or self._due_digest(now) is not None:
                return True
            if self._closing:
                return False
            if self._backlog:
                return True
            if self._resends and now >= self._next_resend:
                self._plan_resend(now)
                continue
            await self._sleep(self._wake_time(self.queue.oldest_arrival()))

    def _due_digest(self, now: float) -> Digest | None:
        wait = max(self.policy.digest_wait, self.policy.group_wait)
        for digest, since in self._digests.values():
            if self._closing or now >= since + wait:
                return digest
        return None

    def _queue_due(self, now: float) -> bool:
        oldest = self.queue.oldest_arrival()
        return oldest is not None and (self._closing or now >= oldest + self.policy.group_wait)

    def _take(self) -> Batch | None:
        if self._queue_due(self._clock()) or not self._backlog:
            return Batch(*self.queue.take(self.policy.max_batch)) if self.queue else None
        # A re-send is built from the ledger now, not when it was planned: an alert resolved
        # (or queued) since then must not be re-opened by a stale copy.
        cluster, keys = self._backlog.popleft()
        waiting = self.queue.keys()
        held = (self.ledger.held(k) for k in keys if k not in waiting)
        alerts = [a for a in held if a is not None]
        return Batch(cluster, alerts, resend=True) if alerts else None

    def _wake_time(self, oldest: float | None) -> float | None:
        times = [oldest + self.policy.group_wait] if oldest is not None else []
        wait = max(self.policy.digest_wait, self.policy.group_wait)
        times += [since + wait for _, since in self._digests.values()]
        if self._resends:
            times.append(self._next_resend)
        return min(times, default=None)

    async def _sleep(self, until: float | None) -> None:
        self._wakeup.clear()
        timeout = None if until is None else until - self._clock()
        await within(self._wakeup.wait(), timeout, self._pause)

    def _plan_resend(self, now: float) -> None:
        self._next_resend = now + self.policy.resend_interval
        waiting = self.queue.keys()
        by_cluster: dict[str, list[AlertKey]] = {}
        for alert in self.ledger.open_alerts():
            if alert.key not in waiting:
                by_cluster.setdefault(alert.cluster, []).append(alert.key)
        size = self.policy.max_batch
        for cluster, keys in by_cluster.items():
            for i in range(0, len(keys), size):
                self._backlog.append((cluster, keys[i : i + size]))

    async def _send(self, client: httpx2.AsyncClient, batch: Batch) -> None:
        body = self._body(batch)
        outcome = await deliver(
            client, self.sink, body, self.policy, rng=self._rng, sleep=self._pause
        )
        c, n = self.counters, len(batch.alerts)
        c.retried += outcome.attempts - 1
        if outcome.error is not None:
            c.failed += n
            c.last_error = str(outcome.error)
            return
        c.requests += 1
        if batch.resend:
            c.resent += n
        else:
            c.sent += n

    async def _send_digest(self, client: httpx2.AsyncClient, digest: Digest) -> None:
        outcome = await deliver(
            client,
            self.sink,
            self._digest_body(digest),
            self.policy,
            rng=self._rng,
            sleep=self._pause,
        )
        c = self.counters
        c.retried += outcome.attempts - 1
        if outcome.error is not None:
            c.failed += 1
            c.last_error = str(outcome.error)
            return
        c.requests += 1
        c.sent += 1

    def _digest_body(self, digest: Digest) -> object:
        kind, policy = self.sink.kind, self.policy
        if kind is SinkKind.ALERTMANAGER:
            return digest_alertmanager_body(
                digest, now=self._now(), ttl=policy.firing_ttl, generator_url=policy.generator_url
            )
        if kind is SinkKind.SLACK:
            return digest_slack_body(digest)
        return digest_webhook_body(digest, sent_at=self._now())

    def _body(self, batch: Batch) -> object:
        kind, policy = self.sink.kind, self.policy
        if kind is SinkKind.ALERTMANAGER:
            return alertmanager_body(
                batch.alerts,
                now=self._now(),
                ttl=policy.firing_ttl,
                generator_url=policy.generator_url,
            )
        if kind is SinkKind.SLACK:
            return slack_body(
                batch.cluster,
                batch.alerts,
                max_lines=policy.slack_max_lines,
                link=policy.generator_url,
            )
        return webhook_body(batch.cluster, batch.alerts, sent_at=self._now())

"""Leader election on a `coordination.k8s.io/v1` Lease, with client-go's semantics.

Several replicas of the watcher run at once; only the holder of the Lease acts. One
attempt reads the Lease, decides (`decide`, pure) and writes it back under its
`resourceVersion`, so of two racing writers one gets HTTP 409 and waits.

Remote clocks are never trusted: a Lease held by someone else expires
`leaseDurationSeconds` after *we* last saw its record change (`Observed.at`, our
monotonic clock), not at its `renewTime`. The leader renews every `retry_period`; when no
renewal has succeeded for `renew_deadline` (< lease duration, so it gives up before any
other candidate may take over) leadership is lost. Releasing clears `holderIdentity`, so a
candidate takes over at its next attempt instead of waiting for expiry.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kubedrift.cluster.connection import Connection
from kubedrift.cluster.errors import Conflict
from kubedrift.cluster.rest import send_json
from kubedrift.model import ClusterError

__all__ = [
    "LeaderElector",
    "LeadershipLost",
    "LeaseRecord",
    "Observed",
    "Step",
    "decide",
    "micro_time",
    "next_record",
    "observe",
]

API_VERSION = "coordination.k8s.io/v1"
_JITTER = 0.2  # candidates retry after retry_period * [1, 1.2): they do not move in step
_log = logging.getLogger(__name__)


class LeadershipLost(ClusterError):
    """We led, and could not renew the Lease within the renew deadline."""


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """The election record: the Lease's `spec` (times as RFC 3339 MicroTime strings)."""

    holder: str = ""
    duration: int = 0
    acquire_time: str | None = None
    renew_time: str | None = None
    transitions: int = 0

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> LeaseRecord:
        """Read a Lease `spec`; absent fields take the API's zero values."""
        return cls(
            holder=str(spec.get("holderIdentity") or ""),
            duration=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=spec.get("acquireTime"),
            renew_time=spec.get("renewTime"),
            transitions=int(spec.get("leaseTransitions") or 0),
        )

    def to_spec(self) -> dict[str, Any]:
        """The Lease `spec` for this record."""
        spec: dict[str, Any] = {
            "holderIdentity": self.holder,
            "leaseDurationSeconds": self.duration,
            "leaseTransitions": self.transitions,
        }
        if self.acquire_time is not None:
            spec["acquireTime"] = self.acquire_time
        if self.renew_time is not None:
            spec["renewTime"] = self.renew_time
        return spec


@dataclass(frozen=True, slots=True)
class Observed:
    """A record as we last saw it, and when (our clock) we first saw it so."""

    record: LeaseRecord
    at: float


class Step(enum.Enum):
    """What one attempt should do with the Lease it read."""

    CREATE = "create"  # there is no Lease yet
    ACQUIRE = "acquire"  # released, or expired by our observation: take it over
    RENEW = "renew"  # it is ours
    WAIT = "wait"  # someone else holds a live lease


def observe(previous: Observed | None, record: LeaseRecord, now: float) -> Observed:
    """The new observation: unchanged records keep the time they were first seen."""
    if previous is not None and previous.record == record:
        return previous
    return Observed(record, now)


def decide(observed: Observed | None, identity: str, now: float) -> Step:
    """The step for `identity` given what it observed (None: no Lease exists)."""
    if observed is None:
        return Step.CREATE
    record = observed.record
    if record.holder == identity:
        return Step.RENEW
    if not record.holder or now >= observed.at + record.duration:
        return Step.ACQUIRE
    return Step.WAIT


def next_record(current: LeaseRecord | None, identity: str, duration: int, now: str) -> LeaseRecord:
    """The record `identity` writes: a renewal keeps acquireTime, a takeover counts one."""
    if current is not None and current.holder == identity:
        return replace(current, duration=duration, renew_time=now)
    transitions = 0 if current is None else current.transitions + 1
    return LeaseRecord(identity, duration, now, now, transitions)


def micro_time(moment: datetime | None = None) -> str:
    """RFC 3339 MicroTime in UTC: `2026-12-01T08:00:00.000000Z`."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Campaigns for one Lease as `identity`; `lead(work)` runs work only while leading.

    `clock` (monotonic seconds) times observations and the renew deadline, and `sleep`
    waits between attempts: tests pass a virtual clock's pair (tests/support/aio.py).
    `release_on_cancel=False` leaves the Lease to expire when `lead` is cancelled.
    """

    def __init__(
        self,
        conn: Connection,
        *,
        namespace: str,
        name: str,
        identity: str,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_change: Callable[[bool], None] | None = None,
        release_on_cancel: bool = True,
    ) -> None:
        if not identity:
            raise ValueError("leader election needs a non-empty identity")
        if not lease_duration > renew_deadline > retry_period * (1 + _JITTER) > 0:
            raise ValueError("leader election needs lease_duration > renew_deadline > retry_period")
        self._conn = conn
        self.namespace, self.name, self.identity = namespace, name, identity
        self.lease_duration, self.renew_deadline = lease_duration, renew_deadline
        self.retry_period = retry_period
        self.release_on_cancel = release_on_cancel
        self._clock, self._sleep = clock, sleep
        self._on_change = on_change
        self._collection = f"/apis/{API_VERSION}/namespaces/{namespace}/leases"
        self._what = f"Lease/{namespace}/{name}"
        self._observed: Observed | None = None
        self._renewed_at = -math.inf
        self._leading = False

    @property
    def is_leader(self) -> bool:
        """True while we hold the Lease and are within the renew deadline."""
        return self._leading

    async def lead(self, work: Callable[[], Awaitable[None]]) -> None:
        """Wait until leader, then run `work()` while renewing.

        Returns (or raises) what `work` did, after releasing the Lease; raises
        `LeadershipLost` after cancelling `work` when a renewal fails. Cancelling `lead`
        cancels `work` and releases the Lease (unless `release_on_cancel` is off).
        """
        await self._acquire()
        work_task = asyncio.ensure_future(_call(work))
        renew_task = asyncio.ensure_future(self._keep_renewing())
        try:
            await asyncio.wait({work_task, renew_task}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await self._step_down([work_task, renew_task], release=self.release_on_cancel)
            raise
        if work_task.done():
            await self._step_down([renew_task], release=True)
            work_task.result()  # work's own exception, if any
            return
        await self._step_down([work_task], release=False)
        raise LeadershipLost(
            f"could not renew the lease within {self.renew_deadline:g}s", where=self._what
        )

    async def try_acquire_or_renew(self) -> bool:
        """One attempt: read the Lease, then take or renew it if we may. True if ours."""
        started = self._clock()
        lease = await self._conn.get_json(f"{self._collection}/{self.name}", what=self._what)
        now = self._clock()
        if lease is None:
            self._observed = None
        else:
            record = LeaseRecord.from_spec(lease.get("spec") or {})
            self._observed = observe(self._observed, record, now)
        if decide(self._observed, self.identity, now) is Step.WAIT:
            return False
        current = None if self._observed is None else self._observed.record
        mine = next_record(current, self.identity, math.ceil(self.lease_duration), micro_time())
        try:
            await self._write(lease, mine)
        except Conflict:
            return False  # someone else wrote first; read again at the next attempt
        self._observed = Observed(mine, self._clock())
        self._renewed_at = started
        return True

    async def release(self) -> None:
        """Give the Lease up (holderIdentity cleared) if we hold it; errors are logged."""
        try:
            async with asyncio.timeout(self.renew_deadline):
                await self._clear_holder()
        except (ClusterError, TimeoutError) as err:
            _log.warning("%s: release failed (it expires instead): %s", self._what, err)

    # -- internals -----------------------------------------------------------------------

    async def _acquire(self) -> None:
        while not await self._attempt(self.renew_deadline):
            await self._sleep(self.retry_period * (1 + _JITTER * random.random()))
        _log.info("%s: %s became the leader", self._what, self.identity)
        self._set_leading(True)

    async def _keep_renewing(self) -> None:
        """Renew every retry_period; return once a renewal missed the deadline."""
        while True:
            await self._sleep(self.retry_period)
            if not await self._renew_before(self._renewed_at + self.renew_deadline):
                return

    async def _renew_before(self, deadline: float) -> bool:
        while (remaining := deadline - self._clock()) > 0:
            if await self._attempt(remaining):
                return True
            if self._observed is not None and self._observed.record.holder != self.identity:
                _log.warning("%s: taken over by %s", self._what, self._observed.record.holder)
                return False
            await self._sleep(min(self.retry_period, max(0.0, deadline - self._clock())))
        _log.warning("%s: no renewal within %gs", self._what, self.renew_deadline)
        return False

    async def _attempt(self, limit: float) -> bool:
        """One attempt bounded by `limit` seconds; errors count as a failed attempt."""
        try:
            async with asyncio.timeout(limit):
                return await self.try_acquire_or_renew()
        except (ClusterError, TimeoutError) as err:
            _log.warning("%s: attempt failed: %s", self._what, err)
            return False

    async def _write(self, lease: dict[str, Any] | None, record: LeaseRecord) -> None:
        if lease is None:
            body = {
                "apiVersion": API_VERSION,
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": record.to_spec(),
            }
            await send_json(self._conn, "POST", self._collection, body, what=self._what)
            return
        # The fetched object, resourceVersion included: a stale write gets HTTP 409.
        body = {**lease, "spec": record.to_spec()}
        path = f"{self._collection}/{self.name}"
        await send_json(self._conn, "PUT", path, body, what=self._what)

    async def _clear_holder(self) -> None:
        lease = await self._conn.get_json(f"{self._collection}/{self.name}", what=self._what)
        if lease is None:
            return
        record = LeaseRecord.from_spec(lease.get("spec") or {})
        if record.holder != self.identity:
            return
        now = micro_time()
        await self._write(lease, replace(record, holder="", duration=1, renew_time=now))
        _log.info("%s: %s released the lease", self._what, self.identity)

    async def _step_down(self, tasks: list[asyncio.Future[None]], *, release: bool) -> None:
        """Stop acting as leader first, then (maybe) hand the Lease over."""
        self._set_leading(False)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if release:
            await self.release()

    def _set_leading(self, leading: bool) -> None:
        if leading == self._leading:
            return
        self._leading = leading
        if self._on_change is not None:
            self._on_change(leading)


async def _call(work: Callable[[], Awaitable[None]]) -> None:
    """`work()` inside the task, so even a synchronous failure is the task's outcome."""
    await work()

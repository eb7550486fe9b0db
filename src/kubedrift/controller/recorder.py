"""Writing the watcher's findings to the timeline, and fanning each change out.

Every store write runs on one worker thread, in order (the store's API is synchronous and a
SQLite or PostgreSQL commit must not stall the event loop). Each recorded `ScanDelta` goes
to the `Listener`s — the alert dispatcher, the metrics, a test or benchmark hook — and the
recorder keeps the count of open findings by category and severity that `/metrics` shows,
seeded from the store at start and moved by each delta, never re-read whole.

A write that fails raises the `StoreError` to the caller, which keeps what it wanted to
write and tries again (the watcher's consumer, with backoff); the recorder tells its
`StoreWatch` about every failure and the first success after one, so the outage is logged,
counted and shown on `/readyz` while it lasts.

Suppressions are applied here, on the way to the store, so every stream (object events,
fleet passes, the initial sync) is marked alike: those of the Git KubedriftConfigs
(`config_suppressions`, set by the watcher per revision) and those of `kubedrift suppress`
(read from the store by `refresh_suppressions`). Because a suppression ends on a date, not
on an event, `refresh_suppressions` also re-marks the open findings whose suppression
started or ended since they were last recorded; the store reports those transitions and
the alerts say "suppression expired". Time comes from `clock` (frozen in tests).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol, TypeVar

from kubedrift.engine.clock import Clock, utc_now
from kubedrift.model import Category, Finding, ObjectRef
from kubedrift.model.suppression import Suppression, apply_suppressions
from kubedrift.store import HistoryFilter, ScanDelta, ScanScope, Store, StoreError
from kubedrift.store.records import StoredFinding

OBJECT_SCOPE = frozenset({Category.OBJECT.value})
FLEET_SCOPE = frozenset({Category.NODE.value, Category.WORKLOAD.value})

Identity = tuple[str, str, str, str, str, str]
_MarkKey = tuple[tuple[Suppression, ...], date]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Recorded:
    """One write: what changed, which stream it came from, and when its input arrived."""

    delta: ScanDelta
    source: str
    """`objects:<plural>`, `fleet` or `initial`."""
    received: tuple[float, ...]
    """`time.monotonic()` of each input event (for the detection-latency histogram)."""
    committed: float


class Listener(Protocol):
    """Something that wants each recorded delta (alerts, metrics, tests)."""

    def __call__(self, recorded: Recorded) -> None:
        """Called on the event loop after the write committed; must not block."""


class StoreWatch(Protocol):
    """Told of each failed store call and of the success that ends a run of them."""

    def failed(self, reason: str) -> None:
        """A store call failed for `reason` (the `StoreError`'s one line)."""

    def recovered(self) -> None:
        """A store call succeeded."""


class _Unwatched:
    def failed(self, reason: str) -> None:
        pass

    def recovered(self) -> None:
        pass


class Recorder:
    """Serializes writes for one cluster and tells listeners what each one changed."""

    def __init__(
        self,
        store: Store,
        cluster: str,
        listeners: Sequence[Listener] = (),
        *,
        watch: StoreWatch | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.cluster = cluster
        self.listeners = list(listeners)
        self.watch: StoreWatch = watch or _Unwatched()
        self.failures = 0
        self.open: dict[Identity, tuple[str, str]] = {}
        self.writes = 0
        self.write_seconds = 0.0
        self.last_write_seconds = 0.0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kubedrift-store")
        self.clock: Clock = clock
        self.config_suppressions: tuple[Suppression, ...] = ()
        """`suppressions:` of the KubedriftConfigs of the desired revision watched."""
        self.stored_suppressions: tuple[Suppression, ...] = ()
        """`kubedrift suppress` entries, as last read from the store."""
        self._remarked_with: _MarkKey | None = None
        """(rules, UTC day) of the last full re-marking of the open findings."""
        self._marked_with: set[_MarkKey] = set()
        """(rules, UTC day) of each write since then."""

    async def start(self) -> None:
        """Read the cluster's open findings once, for the counts."""
        stored = await self._run(
            lambda: self.store.open_findings(HistoryFilter(cluster=self.cluster))
        )
        self.open = {s.finding.identity(): _labels(s.finding) for s in stored if _counted(s)}

    def close(self) -> None:
        """Wait for the last write and stop the worker thread."""
        self._executor.shutdown(wait=True)

    def counts(self) -> Counter[tuple[str, str]]:
        """Open findings by (category, severity)."""
        return Counter(self.open.values())

    async def record_objects(
        self,
        findings: Sequence[Finding],
        refs: Sequence[ObjectRef] | None,
        *,
        source: str,
        received: tuple[float, ...],
    ) -> Recorded:
        """Object findings: of these objects only (`refs`), or of every object (None)."""
        scope = (
            ScanScope(objects=ScanScope.of_objects(refs).objects, categories=OBJECT_SCOPE)
            if refs is not None
            else ScanScope(categories=OBJECT_SCOPE)
        )
        return await self._record(findings, scope, source, received)

    async def record_fleet(self, findings: Sequence[Finding], *, received: float) -> Recorded:
        """Node and workload findings of one whole fleet pass."""
        scope = ScanScope(categories=FLEET_SCOPE)
        return await self._record(findings, scope, "fleet", (received,))

    async def _record(
        self,
        findings: Sequence[Finding],
        scope: ScanScope,
        source: str,
        received: tuple[float, ...],
    ) -> Recorded:
        at = self.clock()
        rules = self.suppressions()
        marked = apply_suppressions(findings, rules, at)
        self._marked_with.add((rules, at.date()))
        started = time.perf_counter()
        delta = await self._run(
            lambda: self.store.record_scan(self.cluster, marked, at=at, scope=scope)
        )
        return self._recorded(delta, source, received, started)

    def suppressions(self) -> tuple[Suppression, ...]:
        """Every suppression that applies: Git's and the store's."""
        return (*self.config_suppressions, *self.stored_suppressions)

    async def refresh_suppressions(self) -> Recorded | None:
        """Re-read the store's suppressions, and re-record the open findings whose
        suppression started or ended since (None when there were none).

        The read of open findings and the write run as one call on the store's thread, so
        no other write of this recorder comes between them.
        """
        rows = await self._run(self.store.suppressions)
        self.stored_suppressions = tuple(row.suppression for row in rows)
        at = self.clock()
        key = (self.suppressions(), at.date())
        used, self._marked_with = self._marked_with, set()
        if key == self._remarked_with and used <= {key}:
            # Which suppression holds depends only on the rules and the UTC day (a
            # suppression ends when the day after `until` begins), and every open finding
            # was marked with these rules on this day: nothing can have moved. Reading
            # every open finding each minute was the idle watcher's largest periodic cost.
            return None
        started = time.perf_counter()
        try:
            delta = await self._run(lambda: self._remark(at))
        except BaseException:
            self._marked_with |= used  # not re-marked: the next pass must look again
            raise
        self._remarked_with = key
        if delta is None:
            return None
        return self._recorded(delta, "suppressions", (time.monotonic(),), started)

    def _remark(self, at: datetime) -> ScanDelta | None:
        """On the store's thread: the open findings of objects whose suppression state
        differs from now, all re-recorded with suppressions applied at `at`."""
        stored = self.store.open_findings(HistoryFilter(cluster=self.cluster))
        rules = self.suppressions()
        plain = [replace(s.finding, suppression=None) for s in stored]
        marked = apply_suppressions(plain, rules, at)
        moved = {
            m.object.pairing_key(): m.object
            for s, m in zip(stored, marked, strict=True)
            if (s.finding.suppression is None) != (m.suppression is None)
        }
        if not moved:
            return None
        again = [m for m in marked if m.object.pairing_key() in moved]
        scope = ScanScope.of_objects(list(moved.values()))
        return self.store.record_scan(self.cluster, again, at=at, scope=scope)

    def _recorded(
        self, delta: ScanDelta, source: str, received: tuple[float, ...], started: float
    ) -> Recorded:
        self.writes += 1
        self.last_write_seconds = time.perf_counter() - started
        self.write_seconds += self.last_write_seconds
        self._count(delta)
        recorded = Recorded(delta, source, received, time.monotonic())
        for listener in self.listeners:
            listener(recorded)
        return recorded

    def _count(self, delta: ScanDelta) -> None:
        """Move the open counts; a suppressed finding is shown but not counted."""
        for stored in (*delta.new, *(c.finding for c in delta.changed), *delta.suppressed):
            self._set(stored)
        for unsuppressed in delta.unsuppressed:
            self._set(unsuppressed.finding)
        for stored in delta.resolved:
            self.open.pop(stored.finding.identity(), None)

    def _set(self, stored: StoredFinding) -> None:
        if _counted(stored):
            self.open[stored.finding.identity()] = _labels(stored.finding)
        else:
            self.open.pop(stored.finding.identity(), None)

    async def read(self, call: Callable[[], T]) -> T:
        """Run a store read on the store's thread, reporting failures as writes do."""
        return await self._run(call)

    async def _run(self, call: Callable[[], T]) -> T:
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._executor, call)
        except StoreError as err:
            self.failures += 1
            self.watch.failed(str(err))
            raise
        self.watch.recovered()
        return result


def _counted(stored: StoredFinding) -> bool:
    return stored.finding.suppression is None


def _labels(finding: Finding) -> tuple[str, str]:
    return (finding.category.value, finding.severity.value)

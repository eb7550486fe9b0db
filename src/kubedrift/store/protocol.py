"""`Store`: the timeline of findings, as the controller, CLI and dashboard use it.

Two implementations: `SqlStore` (SQLite file or PostgreSQL) and `MemoryStore`, the fake
for unit tests of the layers above. Both pass the same test suite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from kubedrift.model import Finding, ObjectRef
from kubedrift.model.suppression import Suppression
from kubedrift.store.filters import ALL, HistoryFilter, ScanScope
from kubedrift.store.records import ScanDelta, StoredFinding, ValueChange
from kubedrift.store.stats import TimelineStats
from kubedrift.store.suppressions import StoredSuppression


class Store(Protocol):
    """A timeline of findings per cluster: episodes, their history, statistics."""

    def record_scan(
        self,
        cluster: str,
        findings: Sequence[Finding],
        *,
        at: datetime,
        scope: ScanScope | None = None,
    ) -> ScanDelta:
        """Record one scan atomically: open new episodes, record changed values, move
        `last_seen`, and resolve the cluster's open episodes within `scope` (default: all)
        that the scan did not see. `at` must carry a time zone."""
        ...

    def record_event(
        self, cluster: str, ref: ObjectRef, findings: Sequence[Finding], *, at: datetime
    ) -> ScanDelta:
        """Record the findings of one object (watch mode): its other open episodes resolve."""
        ...

    def open_findings(self, filters: HistoryFilter = ALL) -> list[StoredFinding]:
        """Open episodes matching `filters`, oldest first."""
        ...

    def history(self, filters: HistoryFilter = ALL) -> list[StoredFinding]:
        """Open and past episodes matching `filters`, oldest first."""
        ...

    def changes(self, finding_id: int) -> list[ValueChange]:
        """The value history of one episode, oldest first (empty for an unknown id)."""
        ...

    def stats(self, filters: HistoryFilter = ALL, *, now: datetime | None = None) -> TimelineStats:
        """Counts and durations of the episodes matching `filters` (open ages up to `now`)."""
        ...

    def secret_hash_key(self) -> bytes:
        """The store's own key for Secret value hashes: the same for every writer, forever.

        A per-process key would change every hash at each restart, and the timeline would
        record a value change of every Secret finding at each failover.
        """
        ...

    def add_suppression(self, suppression: Suppression, *, at: datetime) -> int:
        """Record a suppression (`kubedrift suppress`); its id for `--remove`."""
        ...

    def remove_suppression(self, suppression_id: int) -> bool:
        """Delete a suppression; False when no suppression has this id."""
        ...

    def suppressions(self) -> list[StoredSuppression]:
        """Every recorded suppression, expired ones included, oldest first."""
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

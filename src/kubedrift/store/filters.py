"""Which findings a scan covers (`ScanScope`) and which episodes a query wants (`HistoryFilter`).

Both are frozen values with a pure `covers` / `matches` predicate: the in-memory store
uses the predicates directly, the SQL store the same conditions written as SQL (reads.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from kubedrift.model import ObjectRef, Severity
from kubedrift.store.records import StoredFinding

ObjectKey = tuple[str, str, str, str]
"""group, kind, namespace ("" when cluster-scoped), name: `ObjectRef.pairing_key()`."""


@dataclass(frozen=True, slots=True)
class ScanScope:
    """What a scan looked at, so that only findings it could have seen get resolved.

    Each field left `None` does not limit; set fields must all match. `namespaces` holds
    "" for cluster-scoped objects (a scan of namespace `ml` does not cover Nodes).
    `categories` holds `Category` values: the watcher's node analysis covers `node`
    findings only, so it never resolves an object finding on the same kind.
    Findings outside the scope are still recorded when present; only resolution is limited.
    """

    kinds: frozenset[str] | None = None
    namespaces: frozenset[str] | None = None
    objects: frozenset[ObjectKey] | None = None
    categories: frozenset[str] | None = None

    @classmethod
    def of_objects(cls, refs: Iterable[ObjectRef]) -> ScanScope:
        """The scope of an incremental update: exactly these objects."""
        return cls(objects=frozenset(r.pairing_key() for r in refs))

    def covers(
        self, group: str, kind: str, namespace: str, name: str, category: str | None = None
    ) -> bool:
        """Whether a finding on this object (of this category) was in reach of the scan."""
        if self.categories is not None and category not in self.categories:
            return False
        if self.kinds is not None and kind not in self.kinds:
            return False
        if self.namespaces is not None and namespace not in self.namespaces:
            return False
        return self.objects is None or (group, kind, namespace, name) in self.objects


EVERYTHING = ScanScope()


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Which episodes a query returns; every field left at its default does not filter.

    `namespace` "" selects cluster-scoped objects. `since`/`until` select episodes open at
    some moment of that window: opened at or before `until`, and still open or resolved at
    or after `since`. `open_only` keeps episodes not resolved yet.
    """

    cluster: str | None = None
    namespace: str | None = None
    kind: str | None = None
    pool: str | None = None
    min_severity: Severity | None = None
    since: datetime | None = None
    until: datetime | None = None
    open_only: bool = False

    def severities(self) -> tuple[Severity, ...]:
        """The severities at or above `min_severity` (all when unset)."""
        floor = self.min_severity
        return tuple(s for s in Severity if floor is None or s >= floor)

    def matches(self, stored: StoredFinding) -> bool:
        """The predicate the SQL query implements, for the in-memory store and tests."""
        ref = stored.finding.object
        return (
            _equal(self.cluster, stored.cluster)
            and _equal(self.namespace, ref.namespace or "")
            and _equal(self.kind, ref.kind)
            and _equal(self.pool, stored.pool)
            and stored.finding.severity in self.severities()
            and (self.until is None or stored.first_seen <= self.until)
            and self._ends_after_since(stored)
            and not (self.open_only and not stored.is_open)
        )

    def _ends_after_since(self, stored: StoredFinding) -> bool:
        if self.since is None or stored.resolved_at is None:
            return True
        return stored.resolved_at >= self.since


ALL = HistoryFilter()
"""The filter that keeps everything."""


def _equal(wanted: str | None, value: str | None) -> bool:
    return wanted is None or wanted == value

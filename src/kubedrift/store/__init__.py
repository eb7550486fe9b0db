"""The drift timeline store (SQLite and PostgreSQL).

Every finding of every cluster over time: when it was first seen, last seen and resolved,
each change of its desired or live value and who made it, as *episodes* (a finding that is
resolved and comes back opens a new one, so durations stay right).

    with SqlStore.open("timeline.db") as store:                  # or "postgresql://…"
        delta = store.record_scan("prod-a", findings, at=now, scope=ScanScope(kinds=…))
        alerts_for(delta.new, delta.changed, delta.resolved)
        store.open_findings(HistoryFilter(cluster="prod-a", min_severity=Severity.HIGH))
        store.stats(HistoryFilter(since=last_week)).time_to_resolve.mean

Modules, one responsibility each:

    protocol     Store: the interface the layers above use
    sql          SqlStore: SQLAlchemy Core on SQLite or PostgreSQL
    memory       MemoryStore: the in-memory fake, same behaviour
    records      StoredFinding, ValueChange, Changed, ScanDelta
    filters      ScanScope (what a scan covered), HistoryFilter (what a query wants)
    delta        identity keys, value digests, a scan partitioned against open episodes
    stats        TimelineStats: counts, time to resolve, open ages
    writes       one scan as one transaction (upserts, history, resolution)
    reads        filters as SQL, rows back into records
    schema       the tables (migrations/ must match them)
    engine       URLs and engines: SQLite pragmas and locking, PostgreSQL via psycopg 3
    migrate      Alembic run from code, to head, under a lock
    errors       StoreError

Secret values never reach the store: findings hold keyed hashes by construction, and the
store writes exactly the values a finding holds.
"""

from kubedrift.store.errors import StoreError
from kubedrift.store.filters import ALL, EVERYTHING, HistoryFilter, ScanScope
from kubedrift.store.memory import MemoryStore
from kubedrift.store.protocol import Store
from kubedrift.store.records import Changed, ScanDelta, StoredFinding, ValueChange
from kubedrift.store.sql import SqlStore
from kubedrift.store.stats import DurationSummary, TimelineStats

__all__ = [
    "ALL",
    "EVERYTHING",
    "Changed",
    "DurationSummary",
    "HistoryFilter",
    "MemoryStore",
    "ScanDelta",
    "ScanScope",
    "SqlStore",
    "Store",
    "StoreError",
    "StoredFinding",
    "TimelineStats",
    "ValueChange",
]

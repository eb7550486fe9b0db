"""`SqlStore`: the timeline in SQLite (default, one file) or PostgreSQL (central, shared).

    with SqlStore.open("timeline.db") as store:          # or postgresql://…
        delta = store.record_scan("prod-a", findings, at=datetime.now(UTC))

`open` migrates the database to the newest schema. Each `record_scan` is one transaction:
a failure anywhere leaves the store as the previous commit left it. Every database error
leaves this class as a `StoreError` naming the database (password hidden).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from alembic.util import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from kubedrift.model import Finding
from kubedrift.model.suppression import Suppression
from kubedrift.store import reads, writes
from kubedrift.store import suppressions as stored_suppressions
from kubedrift.store.actions import ActionRecord, insert_actions, select_actions
from kubedrift.store.browse import FindingBrowser
from kubedrift.store.bulk import PastEpisode, import_episodes
from kubedrift.store.delta import check_scan
from kubedrift.store.derived import DerivedReads
from kubedrift.store.engine import create_store_engine, parse_url, reading, redacted, writing
from kubedrift.store.errors import StoreError
from kubedrift.store.filters import ALL, EVERYTHING, HistoryFilter, ScanScope
from kubedrift.store.migrate import upgrade_to_head
from kubedrift.store.records import ScanDelta, StoredFinding, ValueChange
from kubedrift.store.schema import SECRET_HASH_KEY
from kubedrift.store.stats import TimelineStats
from kubedrift.store.stats_sql import StatsGroups, read_groups, sql_stats
from kubedrift.store.suppressions import StoredSuppression


class SqlStore(DerivedReads):
    """The timeline in a SQL database, through SQLAlchemy Core."""

    def __init__(self, engine: Engine, where: str, location: str | None = None) -> None:
        """Wrap an engine whose database is already at the newest schema (see `open`);
        `location`: the path or URL it was opened from (`connect_url`)."""
        self._engine = engine
        self.where = where
        self._location = location

    @classmethod
    def open(cls, location: str) -> SqlStore:
        """Open (creating and migrating as needed) the store at a file path or URL."""
        url = parse_url(location)
        where = redacted(url)
        with _translated(where):
            engine = create_store_engine(url)
            try:
                upgrade_to_head(engine)
            except BaseException:
                engine.dispose()
                raise
        return cls(engine, where, location)

    def connect_url(self) -> str:
        """The database URL this store reads, password included: for opening the same store
        in a child process (the dashboard's chart drawing). Never log or show it (`where`
        is the redacted form)."""
        if self._location is not None:  # a read-only engine's URL is SQLite's `file:` form
            return self._location
        return self._engine.url.render_as_string(hide_password=False)

    def record_scan(
        self,
        cluster: str,
        findings: Sequence[Finding],
        *,
        at: datetime,
        scope: ScanScope | None = None,
    ) -> ScanDelta:
        """See `Store.record_scan`: one transaction, all or nothing."""
        check_scan(cluster, at)
        with _translated(self.where), writing(self._engine) as connection:
            return writes.record_scan(connection, cluster, findings, at, scope or EVERYTHING)

    def history(self, filters: HistoryFilter = ALL) -> list[StoredFinding]:
        """See `Store.history`."""
        with _translated(self.where), reading(self._engine) as connection:
            return reads.episodes(connection, filters)

    def changes(self, finding_id: int) -> list[ValueChange]:
        """See `Store.changes`."""
        with _translated(self.where), reading(self._engine) as connection:
            return reads.value_changes(connection, finding_id)

    def stats(self, filters: HistoryFilter = ALL, *, now: datetime | None = None) -> TimelineStats:
        """See `Store.stats`: added up by the database (stats_sql.py), not row by row."""
        with _translated(self.where), reading(self._engine) as connection:
            return sql_stats(connection, filters, now or datetime.now(UTC))

    def stats_groups(self, filters: HistoryFilter = ALL) -> StatsGroups:
        """The grouped episodes behind `stats` (stats_sql.py), for callers that keep them
        per store revision and age them per request (`StatsGroups.stats(since, now)`)."""
        with _translated(self.where), reading(self._engine) as connection:
            return read_groups(connection, filters)

    def secret_hash_key(self) -> bytes:
        """See `Store.secret_hash_key`: made by the migration that created `settings`."""
        with _translated(self.where), reading(self._engine) as connection:
            value = reads.setting(connection, SECRET_HASH_KEY)
        if value is None:
            raise StoreError("the store has no secret-hash-key setting", where=self.where)
        return bytes.fromhex(value)

    def add_suppression(self, suppression: Suppression, *, at: datetime) -> int:
        """See `Store.add_suppression`."""
        with _translated(self.where), writing(self._engine) as connection:
            return stored_suppressions.add(connection, suppression, at)

    def remove_suppression(self, suppression_id: int) -> bool:
        """See `Store.remove_suppression`."""
        with _translated(self.where), writing(self._engine) as connection:
            return stored_suppressions.remove(connection, suppression_id)

    def suppressions(self) -> list[StoredSuppression]:
        """See `Store.suppressions`."""
        with _translated(self.where), reading(self._engine) as connection:
            return stored_suppressions.read_all(connection)

    def record_actions(self, records: Sequence[ActionRecord]) -> None:
        """Append remediation actions (`kubedrift apply`) in one transaction."""
        with _translated(self.where), writing(self._engine) as connection:
            insert_actions(connection, records)

    def actions(self) -> list[ActionRecord]:
        """Every recorded remediation action, oldest first."""
        with _translated(self.where), reading(self._engine) as connection:
            return select_actions(connection)

    def browse(self) -> FindingBrowser:
        """The dashboard's and API's read queries on this store (pages, overview, fleet)."""
        return FindingBrowser(self._engine, self.where)

    def import_episodes(
        self,
        cluster: str,
        episodes: Sequence[PastEpisode],
        *,
        recorded_until: datetime | None = None,
    ) -> None:
        """Write whole past episodes in one transaction (see bulk.py; the simulator uses it)."""
        with _translated(self.where), writing(self._engine) as connection:
            import_episodes(connection, cluster, episodes, recorded_until)

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """One read transaction for queries the `Store` protocol has no method for.

        The prediction features read episodes and history rows before a cutoff with their
        own SQL (kubedrift.predict.source); database errors still become `StoreError`s.
        """
        with _translated(self.where), reading(self._engine) as connection:
            yield connection

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()


@contextmanager
def _translated(where: str) -> Iterator[None]:
    """Library errors become `StoreError`s; the driver's first line says what went wrong."""
    try:
        yield
    except SQLAlchemyError as err:
        cause = getattr(err, "orig", None) or err
        raise StoreError(str(cause).strip().splitlines()[0], where=where) from err
    except CommandError as err:
        raise StoreError(f"cannot migrate: {err}", where=where) from err

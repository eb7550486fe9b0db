"""`Store.stats` computed by the database: the numbers `timeline_stats` gives, exactly.

`timeline_stats` (stats.py) walks every episode in Python: 1.1-1.6 s for `/api/v1/stats`
with 100,000 stored findings (bench/bench_api.py). Here the database adds them up instead:

- one pass over the open episodes (grouped by severity) and one over the resolved ones
  give the counts, the reopened episodes, and the sum, largest and smallest of one
  microsecond value: an open episode's `first_seen`, a resolved one's time to resolve;
  each reads a covering partial index (migration 0006), never the rows and their JSON;
- each median is the middle one or two of those values (`ORDER BY … LIMIT 2 OFFSET`);
  an open episode's age is `now - first_seen`, so its median is read in the open index's
  own order (`first_seen` descending).

Exactness: times become integers in SQL, never floats: whole seconds and microseconds
(SQLite: `strftime('%s')` and the six digits SQLAlchemy always stores after the point;
PostgreSQL: `floor(extract(epoch …))` and `extract(microseconds …)`), sums are exact, and
mean and median are rounded here the way `DurationSummary.of` rounds them (`fmean` is
`fsum(data) / n`, the float of the exact sum divided by n). tests/store/test_stats_sql.py
checks every figure against `timeline_stats` on both backends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, case, cast, func, select
from sqlalchemy.types import BigInteger, Integer

from kubedrift.model import Severity
from kubedrift.store import reads
from kubedrift.store.filters import HistoryFilter
from kubedrift.store.schema import findings
from kubedrift.store.stats import DurationSummary, TimelineStats

f = findings.c
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


OPEN_INDEX = "ix_findings_open_first_seen"
RESOLVED_INDEX = "ix_findings_resolved_at"


@dataclass(frozen=True, slots=True)
class _Sums:
    """One state's episodes: count, reopened, and the exact sum, largest and smallest of
    their microsecond values (open: `first_seen`; resolved: time to resolve)."""

    count: int = 0
    reopened: int = 0
    total: int = 0
    largest: int = 0
    smallest: int = 0


def sql_stats(connection: Connection, filters: HistoryFilter, now: datetime) -> TimelineStats:
    """The `TimelineStats` of the episodes `filters` selects, `now` ageing the open ones.

    Open and resolved episodes are read apart, each from its own covering partial index
    (migration 0006), so neither query reads a table row: `since` keeps every open episode
    and the resolved ones from `since` on (`HistoryFilter`).
    """
    base = reads.conditions(dataclasses.replace(filters, since=None, open_only=False))
    open_rows = [*base, f.resolved_at.is_(None)]
    resolved_at = (
        f.resolved_at.is_not(None) if filters.since is None else f.resolved_at >= filters.since
    )
    resolved_rows = [*base, resolved_at]
    by_severity, opened = _open_sums(connection, open_rows)
    resolved = _Sums() if filters.open_only else _resolved_sums(connection, resolved_rows)
    now_us = (now - EPOCH) // MICRO
    return TimelineStats(
        episodes=opened.count + resolved.count,
        reopened=opened.reopened + resolved.reopened,
        open_by_severity={s: by_severity.get(s.value, 0) for s in reversed(Severity)},
        time_to_resolve=_resolved(connection, resolved_rows, resolved),
        open_age=_open_age(connection, open_rows, opened, now_us),
    )


def _first_seen(connection: Connection) -> tuple[Any, Any]:
    return _split(connection, f.first_seen)


def _duration(connection: Connection) -> tuple[Any, Any]:
    """Time to resolve as (whole seconds, microseconds), each part subtracted apart."""
    (first_s, first_us), (end_s, end_us) = (
        _first_seen(connection),
        _split(connection, f.resolved_at),
    )
    return end_s - first_s, end_us - first_us


def _sums(parts: tuple[Any, Any], extreme: Any, *group: Any) -> Select[Any]:
    """Count, reopened, sums of the two parts, and the largest and smallest `extreme`.

    The parts are summed apart: a sum of 100,000 times in microseconds since 1970 (1.8e15
    each) would overflow SQLite's 64-bit sum()."""
    seconds, micros = parts
    return select(
        *group,
        func.count(),
        func.sum(case((f.episode > 1, 1), else_=0)),
        func.sum(seconds),
        func.sum(micros),
        func.max(extreme),
        func.min(extreme),
    )


def _row_sums(row: Sequence[Any]) -> _Sums:
    """`_Sums` from the last six columns of a `_sums` row."""
    count, again, secs, parts, high, low = row[-6:]
    if not count:
        return _Sums()
    total = int(secs) * 1_000_000 + int(parts)
    return _Sums(int(count), int(again), total, _micros(high), _micros(low))


def _micros(value: int | datetime) -> int:
    """Microseconds since the epoch of a time, or a number of microseconds as it is."""
    return (value - EPOCH) // MICRO if isinstance(value, datetime) else int(value)


def _open_sums(
    connection: Connection, wanted: list[ColumnElement[bool]]
) -> tuple[dict[str, int], _Sums]:
    # `first_seen` itself for the oldest and newest: its order is time order on both
    # backends, and no row needs converting for it.
    query = _sums(_first_seen(connection), f.first_seen, f.severity).where(*wanted)
    rows = connection.execute(_hinted(query, OPEN_INDEX).group_by(f.severity)).all()
    sums = [_row_sums(row) for row in rows]
    return {row[0]: int(row[1]) for row in rows}, _Sums(
        sum(s.count for s in sums),
        sum(s.reopened for s in sums),
        sum(s.total for s in sums),
        max((s.largest for s in sums), default=0),
        min((s.smallest for s in sums), default=0),
    )


def _resolved_sums(connection: Connection, wanted: list[ColumnElement[bool]]) -> _Sums:
    seconds, micros = parts = _duration(connection)
    query = _sums(parts, seconds * 1_000_000 + micros).where(*wanted)
    return _row_sums(connection.execute(_hinted(query, RESOLVED_INDEX)).one())


def _hinted(query: Select[Any], index: str) -> Select[Any]:
    """On SQLite, read `index`: the planner would otherwise pick a smaller partial index
    for the severity grouping, and fetch every row through it for `first_seen`."""
    return query.with_hint(findings, f"INDEXED BY {index}", "sqlite")


def _split(connection: Connection, column: Any) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """A stored time as whole seconds since the epoch (UTC) and its microseconds, exactly."""
    if connection.dialect.name == "sqlite":
        seconds = cast(func.strftime("%s", column), Integer)
        return seconds, cast(func.substr(column, 21, 6), Integer)
    whole = cast(func.floor(func.extract("epoch", column)), BigInteger)
    return whole, cast(func.extract("microseconds", column), Integer) % 1_000_000


def _resolved(
    connection: Connection, wanted: list[ColumnElement[bool]], sums: _Sums
) -> DurationSummary:
    if not sums.count:
        return DurationSummary()
    seconds, micros = _duration(connection)
    value = seconds * 1_000_000 + micros
    query = _hinted(select(value).where(*wanted), RESOLVED_INDEX).order_by(value)
    low, high = _middle(connection, query, sums.count)
    return _summary(sums.count, float(sums.total), low, high, sums.largest)


def _open_age(
    connection: Connection, wanted: list[ColumnElement[bool]], sums: _Sums, now: int
) -> DurationSummary:
    """Ages are `now - first_seen`: the youngest first is the latest `first_seen` first,
    the order of the open episodes' index."""
    if not sums.count:
        return DurationSummary()
    seconds, micros = _first_seen(connection)
    query = select(seconds * 1_000_000 + micros).where(*wanted)
    query = _hinted(query, OPEN_INDEX).order_by(f.first_seen.desc())
    low, high = _middle(connection, query, sums.count)
    total = sums.count * now - sums.total  # the exact sum of the ages
    return _summary(sums.count, float(total), now - low, now - high, now - sums.smallest)


def _middle(connection: Connection, ordered: Any, count: int) -> tuple[int, int]:
    """The middle value of `count` ordered values, twice; or the two middle ones."""
    rows = [int(v) for (v,) in connection.execute(ordered.limit(2).offset((count - 1) // 2))]
    return rows[0], rows[1] if count % 2 == 0 else rows[0]


def _summary(count: int, total: float, low: int, high: int, longest: int) -> DurationSummary:
    """As `DurationSummary.of` rounds: `fmean` is fsum / n, `median` the middle or the mean
    of the two middle values."""
    median = low if low == high else (low + high) / 2
    return DurationSummary(
        count=count,
        mean=timedelta(microseconds=round(total / count)),
        median=timedelta(microseconds=round(median)),
        longest=timedelta(microseconds=longest),
    )

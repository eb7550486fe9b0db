"""`Store.stats` computed by the database: the numbers `timeline_stats` gives, exactly.

`timeline_stats` (stats.py) walks every episode in Python: 1.1-1.6 s for `/api/v1/stats`
with 100,000 stored findings (bench/bench_api.py). Here the database adds them up instead:

- one GROUP BY (severity, open or resolved) pass gives the counts, the reopened episodes,
  and for each state the sum, largest and smallest of one whole-microsecond integer: a
  resolved episode's time to resolve, an open one's `first_seen`;
- each median is the middle one or two of those integers (`ORDER BY … LIMIT 2 OFFSET`);
  an open episode's age is `now - first_seen`, so its median is read from `first_seen`
  in descending order, which an index serves.

Exactness: times become integer microseconds in SQL, never floats (SQLite: whole seconds
from `strftime('%s')` plus the six digits SQLAlchemy always stores after the point;
PostgreSQL: `extract(epoch …)`, a numeric since PostgreSQL 14), sums are exact integers, and
mean and median are rounded here the way `DurationSummary.of` rounds them (`fmean` is
`fsum(data) / n`, the float of the exact sum divided by n). tests/store/test_stats_sql.py
checks every figure against `timeline_stats` on both backends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, cast, func, select
from sqlalchemy.types import BigInteger, Integer

from kubedrift.model import Severity
from kubedrift.store import reads
from kubedrift.store.filters import HistoryFilter
from kubedrift.store.schema import findings
from kubedrift.store.stats import DurationSummary, TimelineStats

f = findings.c
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class _Sums:
    """Count, exact sum, largest and smallest of one state's microsecond values."""

    count: int = 0
    total: int = 0
    largest: int | None = None
    smallest: int | None = None

    def add(self, count: int, total: int, largest: int, smallest: int) -> _Sums:
        return _Sums(
            self.count + count,
            self.total + total,
            largest if self.largest is None else max(self.largest, largest),
            smallest if self.smallest is None else min(self.smallest, smallest),
        )


def sql_stats(connection: Connection, filters: HistoryFilter, now: datetime) -> TimelineStats:
    """The `TimelineStats` of the episodes `filters` selects, `now` ageing the open ones."""
    wanted = [and_(True, *reads.conditions(filters))]
    is_open = f.resolved_at.is_(None)
    first = _micros(connection, f.first_seen)
    value = case((is_open, first), else_=_micros(connection, f.resolved_at) - first)
    query = select(
        f.severity,
        is_open,
        func.count(),
        func.sum(case((f.episode > 1, 1), else_=0)),
        func.sum(value),
        func.max(value),
        func.min(value),
    ).where(*wanted)
    episodes = reopened = 0
    by_severity: dict[str, int] = {}
    sums = {True: _Sums(), False: _Sums()}
    for severity, opened, count, again, total, largest, smallest in connection.execute(
        query.group_by(f.severity, is_open)
    ):
        episodes, reopened = episodes + int(count), reopened + int(again)
        if opened:
            by_severity[severity] = by_severity.get(severity, 0) + int(count)
        sums[bool(opened)] = sums[bool(opened)].add(
            int(count), int(total), int(largest), int(smallest)
        )
    now_us = (now - EPOCH) // MICRO
    return TimelineStats(
        episodes=episodes,
        reopened=reopened,
        open_by_severity={s: by_severity.get(s.value, 0) for s in reversed(Severity)},
        time_to_resolve=_resolved(connection, wanted, value, sums[False]),
        open_age=_open_age(connection, wanted, first, sums[True], now_us),
    )


def _micros(connection: Connection, column: Any) -> ColumnElement[int]:
    """A stored time as whole microseconds since the epoch (UTC), exactly."""
    if connection.dialect.name == "sqlite":
        seconds = cast(func.strftime("%s", column), Integer)
        return seconds * 1_000_000 + cast(func.substr(column, 21, 6), Integer)
    return cast(func.extract("epoch", column) * 1_000_000, BigInteger)


def _resolved(
    connection: Connection, wanted: list[ColumnElement[bool]], value: Any, sums: _Sums
) -> DurationSummary:
    if not sums.count:
        return DurationSummary()
    query = select(value).where(*wanted, f.resolved_at.is_not(None)).order_by(value)
    low, high = _middle(connection, query, sums.count)
    return _summary(sums.count, float(sums.total), low, high, sums.largest or 0)


def _open_age(
    connection: Connection, wanted: list[ColumnElement[bool]], first: Any, sums: _Sums, now: int
) -> DurationSummary:
    """Ages are `now - first_seen`: the youngest first is the latest `first_seen` first."""
    if not sums.count or sums.smallest is None:
        return DurationSummary()
    query = select(first).where(*wanted, f.resolved_at.is_(None)).order_by(f.first_seen.desc())
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

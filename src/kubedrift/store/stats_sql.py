"""`Store.stats` computed with the database's help: the numbers `timeline_stats` gives, exactly.

`timeline_stats` (stats.py) walks every episode in Python: 1.1-1.6 s for `/api/v1/stats`
with 100,000 stored findings (bench/bench_api.py). Here the database groups the episodes
by their times instead, and Python adds up the groups:

- open episodes grouped by `first_seen`, resolved ones by (`resolved_at`, `first_seen`),
  each with its count and its reopened episodes, read from a covering partial index in
  that index's own order (migration 0006), so the grouping streams: no table row (they
  carry the JSON values), no sort, no function per row;
- open episodes by severity from the overview's covering index (0005).

The watcher records every finding of one scan at the scan's time, so there are about as
many groups as scans, not episodes. The worst case, every episode opened at its own
moment (one watch event each), returns one group per episode: still one narrow index
read, where the old path built an object per row.

Exactness: the groups' times are the stored ones, subtracted as `timeline_stats` does;
counts and sums are exact integers of microseconds; mean and median are rounded as
`DurationSummary.of` rounds them (`fmean` is the float of the exact sum divided by n, a
median the middle value or the mean of the two middle ones). tests/store/test_stats_sql.py
compares every figure with `timeline_stats` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, case, func, select

from kubedrift.model import Severity
from kubedrift.store import reads
from kubedrift.store.filters import HistoryFilter
from kubedrift.store.schema import findings
from kubedrift.store.stats import DurationSummary, TimelineStats

f = findings.c
MICRO = timedelta(microseconds=1)
OPEN_INDEX = "ix_findings_open_first_seen"
RESOLVED_INDEX = "ix_findings_resolved_at"

Weighted = tuple[timedelta, int]
"""A duration and how many episodes have it."""


def sql_stats(connection: Connection, filters: HistoryFilter, now: datetime) -> TimelineStats:
    """The `TimelineStats` of the episodes `filters` selects, `now` ageing the open ones.

    Open and resolved episodes are read apart: `since` keeps every open episode and the
    resolved ones from `since` on (`HistoryFilter`).
    """
    return read_groups(connection, filters).stats(filters.since, now)


@dataclass(frozen=True, slots=True)
class StatsGroups:
    """What the database returns for the statistics, before `now` ages the open episodes.

    Kept by the API per store revision (`kubedrift.api.memo`): `stats(since, now)` gives the
    exact figures for any `now` and any `since` at or after the one they were read with.
    """

    since: datetime | None
    open_only: bool
    severities: dict[str, int]
    opened: tuple[tuple[datetime, int, int], ...]
    """(first_seen, episodes, reopened ones) of the open episodes."""
    resolved: tuple[tuple[datetime, datetime, int, int], ...]
    """(resolved_at, first_seen, episodes, reopened ones), `resolved_at >= since`."""

    def stats(self, since: datetime | None, now: datetime) -> TimelineStats:
        """The figures for `since` (not before the groups' own) and `now`."""
        if self.since is not None and (since is None or since < self.since):
            raise ValueError("these groups were read from a later `since`")
        ages = [(now - first, n, again) for first, n, again in self.opened]
        spans = [
            (end - first, n, again)
            for end, first, n, again in self.resolved
            if since is None or end >= since
        ]
        return TimelineStats(
            episodes=sum(n for _, n, _ in ages) + sum(n for _, n, _ in spans),
            reopened=sum(r for _, _, r in ages) + sum(r for _, _, r in spans),
            open_by_severity={s: self.severities.get(s.value, 0) for s in reversed(Severity)},
            time_to_resolve=weighted_summary((d, n) for d, n, _ in spans),
            open_age=weighted_summary((d, n) for d, n, _ in ages),
        )


def read_groups(connection: Connection, filters: HistoryFilter) -> StatsGroups:
    """The grouped episodes behind `sql_stats` (see the module docstring)."""
    base = reads.conditions(dataclasses.replace(filters, since=None, open_only=False))
    open_rows = [*base, f.resolved_at.is_(None)]
    ended = f.resolved_at.is_not(None) if filters.since is None else f.resolved_at >= filters.since
    reopened = func.sum(case((f.episode > 1, 1), else_=0))
    by_severity = select(f.severity, func.count()).where(*open_rows).group_by(f.severity)
    severities = {str(s): int(n) for s, n in connection.execute(by_severity)}
    opened = select(f.first_seen, func.count(), reopened).where(*open_rows)
    opened = _hinted(opened, OPEN_INDEX).group_by(f.first_seen)
    ages = tuple((first, int(n), int(again)) for first, n, again in connection.execute(opened))
    spans: tuple[tuple[datetime, datetime, int, int], ...] = ()
    if not filters.open_only:
        resolved = select(f.resolved_at, f.first_seen, func.count(), reopened).where(*base, ended)
        resolved = _hinted(resolved, RESOLVED_INDEX).group_by(f.resolved_at, f.first_seen)
        spans = tuple(
            (end, first, int(n), int(again))
            for end, first, n, again in connection.execute(resolved)
        )
    return StatsGroups(filters.since, filters.open_only, severities, ages, spans)


def _hinted(query: Select[Any], index: str) -> Select[Any]:
    """On SQLite, read `index`, in whose order the grouping streams: the planner would
    otherwise pick a smaller partial index and fetch every row through it."""
    return query.with_hint(findings, f"INDEXED BY {index}", "sqlite")


def weighted_summary(pairs: Iterable[Weighted]) -> DurationSummary:
    """`DurationSummary.of` for durations given with their counts (the same numbers)."""
    micros = sorted((d // MICRO, n) for d, n in pairs if n)
    count = sum(n for _, n in micros)
    if not count:
        return DurationSummary()
    total = sum(m * n for m, n in micros)
    middle = count // 2
    median: float = _nth(micros, middle)
    if count % 2 == 0:
        median = (_nth(micros, middle - 1) + median) / 2
    return DurationSummary(
        count=count,
        mean=timedelta(microseconds=round(float(total) / count)),
        median=timedelta(microseconds=round(median)),
        longest=timedelta(microseconds=micros[-1][0]),
    )


def _nth(ordered: Sequence[tuple[int, int]], index: int) -> int:
    """The value at `index` of the sorted values the (value, count) pairs stand for."""
    seen = 0
    for value, n in ordered:
        seen += n
        if index < seen:
            return value
    raise IndexError(index)

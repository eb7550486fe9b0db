"""Read queries of the dashboard and the JSON API: pages of findings, an overview, the fleet.

`FindingQuery` says which episodes a page wants (the `HistoryFilter` fields plus status,
severities, category, rule and free text) and where the page starts. Pages are in one stable
order, newest episode first (`id` descending), and continue by keyset: the cursor is the
last id shown, so a page never repeats or skips rows while the watcher inserts new ones (an
offset would). Every query here is one aggregate or one bounded page, never "read all the
episodes": the dashboard answers in well under 200 ms with 100,000 stored findings
(bench/bench_api.py).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from kubedrift.model import Severity
from kubedrift.store import reads
from kubedrift.store.engine import reading
from kubedrift.store.errors import StoreError
from kubedrift.store.filters import HistoryFilter
from kubedrift.store.records import StoredFinding
from kubedrift.store.schema import clusters, finding_changes, findings
from kubedrift.store.textsearch import (
    TRIGRAM,
    avoid_pg_trgm_scan,
    has_text_index,
    text_matches,
    worth_the_index,
)

f = findings.c
MAX_LIMIT = 500
"""The largest page a query may ask for: one request never reads the store whole."""


class Status(enum.Enum):
    """Which episodes by state: still open (suppressed ones included, marked), open and
    suppressed (`kubedrift suppress` or a KubedriftConfig), resolved, or all."""

    OPEN = "open"
    SUPPRESSED = "suppressed"
    RESOLVED = "resolved"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class FindingQuery:
    """One page of episodes: filters (None does not filter), cursor and size.

    `text` matches, case-insensitively, a part of the object's name, namespace or kind, the
    path, the rule or the message. `after` is the cursor: the last id of the page before.
    """

    cluster: str | None = None
    namespace: str | None = None
    kind: str | None = None
    pool: str | None = None
    severities: frozenset[Severity] = frozenset()
    category: str | None = None
    rule: str | None = None
    status: Status = Status.OPEN
    text: str | None = None
    after: int | None = None
    limit: int = 50

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")

    def history_filter(self) -> HistoryFilter:
        """The part of the query that `HistoryFilter` already states."""
        return HistoryFilter(
            cluster=self.cluster,
            namespace=self.namespace,
            kind=self.kind,
            pool=self.pool,
            open_only=self.status in (Status.OPEN, Status.SUPPRESSED),
        )


COUNT_UP_TO = 10_000
"""Matches counted at most: beyond it a page says "10,000+" (`Page.total_is_exact` False)
rather than read every match to count them, as Elasticsearch's `track_total_hits`
(default 10,000, `"relation": "gte"`) and GitHub's search do. The count stops at the
10,001st match, so on SQLite a text most findings hold costs ~10,000 rows, not 100,000
(PostgreSQL's bitmap scan of the pg_trgm index still collects every match first)."""
SCAN_ROWS = 10_000
"""Rows a search no index can serve (one or two characters: no trigram) examines per page
and for its count: the newest `SCAN_ROWS` rows the other filters select. A page that found
fewer than its `limit` there still has a `next_cursor` (the rows below are not read yet)."""


@dataclass(frozen=True, slots=True)
class Page:
    """Episodes of one page, how many match in all, and the cursor of the next page.

    `total` is exact when `total_is_exact`; otherwise a lower bound: `COUNT_UP_TO` (more
    match) or the matches among the rows a short search examined (`SCAN_ROWS`)."""

    items: tuple[StoredFinding, ...]
    total: int
    next_cursor: int | None
    total_is_exact: bool = True


@dataclass(frozen=True, slots=True)
class DayCount:
    """Episodes opened and resolved on one UTC day."""

    day: date
    opened: int
    resolved: int


@dataclass(frozen=True, slots=True)
class Overview:
    """The summary figures of the dashboard's first page, for one cluster or all."""

    open_by_severity: dict[Severity, int]
    open_by_category: dict[str, int]
    resolved_in_window: int
    mttr_seconds: float | None
    gpu_hours_at_risk: float
    gpus_at_risk: int
    days: tuple[DayCount, ...]

    @property
    def open(self) -> int:
        """Open episodes in all."""
        return sum(self.open_by_severity.values())


@dataclass(frozen=True, slots=True)
class FleetCell:
    """Nodes of a pool that drift on one fact (open node findings)."""

    pool: str
    fact: str
    nodes: int


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    """One cluster of a shared store: when it was recorded and how much drift it has open."""

    name: str
    first_recorded: datetime
    last_recorded: datetime
    open: int


@dataclass(frozen=True, slots=True)
class Facets:
    """The values the list's filter menus offer (from open and past episodes)."""

    kinds: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    pools: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    categories: tuple[str, ...] = field(default=())


class FindingBrowser:
    """The read queries, on the engine of an open `SqlStore` (`SqlStore.browse()`)."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self.where = where
        self._text_index: bool | None = None  # SQLite's trigram table: looked up once

    def _indexed(self, connection: Connection) -> bool:
        if self._text_index is None:
            self._text_index = has_text_index(connection)
        return self._text_index

    def page(self, query: FindingQuery) -> Page:
        """One page of matching episodes, newest first, and the (bounded) count of matches."""
        with self._reading() as connection:
            dialect, indexed = connection.dialect.name, self._indexed(connection)
            indexed = indexed and bool(query.text) and worth_the_index(connection, query.text or "")
            wanted = query_conditions(query, dialect, text_index=indexed)
            paged = query_conditions(query, dialect, for_page=True, text_index=indexed)
            if query.text:
                avoid_pg_trgm_scan(connection, query.text, wanted, query.limit + 1)
            count_floor = page_floor = None
            if query.text and len(query.text) < TRIGRAM:  # no index can serve it: bounded
                count_floor = _scan_floor(connection, query, None)
                page_floor = _scan_floor(connection, query, query.after)
            total, exact = _bounded_count(connection, wanted, count_floor)
            if query.after is not None:
                paged.append(f.id < query.after)
            if page_floor is not None:
                paged.append(f.id >= page_floor)
            page = reads.episode_query().where(*paged).order_by(f.id.desc())
            rows = reads.stored_rows(connection, page.limit(query.limit + 1))
        items = tuple(rows[: query.limit])
        if len(rows) > query.limit:
            cursor: int | None = items[-1].id
        else:  # a bounded scan that found too few: the rows below its floor are still unread
            cursor = page_floor
        return Page(items, total, cursor, exact)

    def episode(self, finding_id: int) -> StoredFinding | None:
        """One episode by id (None when unknown)."""
        with self._reading() as connection:
            return reads.episodes_by_id(connection, [finding_id]).get(finding_id)

    def episodes_of_finding(self, finding_id: int) -> list[StoredFinding]:
        """Every episode of the finding this episode belongs to (same key), oldest first."""
        with self._reading() as connection:
            key = connection.execute(select(f.key).where(f.id == finding_id)).scalar()
            if key is None:
                return []
            query = reads.episode_query().where(f.key == key).order_by(f.episode)
            return reads.stored_rows(connection, query)

    def overview(self, cluster: str | None, now: datetime, days: int = 14) -> Overview:
        """Open drift by severity and category, GPUs at risk, MTTR and the last `days` days."""
        since = _day_start(now) - timedelta(days=days - 1)
        scope = [f.cluster == cluster] if cluster is not None else []
        with self._reading() as connection:
            by_time = _off_index(connection, cluster)
            by_severity, by_category = _open_counts(connection, scope)
            resolved, mttr = _resolved_since(connection, by_time, since)
            gpus, gpu_hours = _at_risk(connection, scope)
            return Overview(
                open_by_severity=by_severity,
                open_by_category=by_category,
                resolved_in_window=resolved,
                mttr_seconds=mttr,
                gpu_hours_at_risk=gpu_hours,
                gpus_at_risk=gpus,
                days=_per_day(connection, (scope, by_time), since, days),
            )

    def fleet(self, cluster: str | None) -> list[FleetCell]:
        """Pools × facts: how many nodes of each pool drift on each fact (open findings)."""
        wanted = _open_nodes(cluster)
        query = (
            select(f.pool, f.path, func.count(f.name.distinct()))
            .where(*wanted)
            .group_by(f.pool, f.path)
            .order_by(f.pool, f.path)
        )
        with self._reading() as connection:
            return [FleetCell(p, fact, int(n)) for p, fact, n in connection.execute(query)]

    def fleet_nodes(self, cluster: str | None, pool: str, fact: str) -> list[StoredFinding]:
        """The open findings behind one cell of the fleet heat map, by node name."""
        wanted = [*_open_nodes(cluster), f.pool == pool, f.path == fact]
        query = reads.episode_query().where(*wanted).order_by(f.name, f.cluster).limit(MAX_LIMIT)
        with self._reading() as connection:
            return reads.stored_rows(connection, query)

    def clusters(self) -> list[ClusterSummary]:
        """Every cluster recorded in the store, by name, with its open episodes."""
        counts = (
            select(f.cluster, func.count().label("open"))
            .where(f.resolved_at.is_(None))
            .group_by(f.cluster)
            .subquery()
        )
        query = (
            select(clusters, func.coalesce(counts.c.open, 0))
            .outerjoin(counts, counts.c.cluster == clusters.c.name)
            .order_by(clusters.c.name)
        )
        with self._reading() as connection:
            return [ClusterSummary(*row) for row in connection.execute(query)]

    def revision(self) -> tuple[Any, ...]:
        """A value that changes whenever the store is written: the newest episode and value
        change, and the latest scan of any cluster (a scan that only resolves or touches
        findings still moves it). Each is one index lookup."""
        newest = (
            select(func.max(f.id)).scalar_subquery(),
            select(func.max(finding_changes.c.id)).scalar_subquery(),
            select(func.max(clusters.c.last_recorded)).scalar_subquery(),
        )
        with self._reading() as connection:
            return tuple(connection.execute(select(*newest)).one())

    def facets(self, cluster: str | None) -> Facets:
        """Distinct kinds, namespaces, pools, rules and categories, for the filter menus."""
        scope = [f.cluster == cluster] if cluster is not None else []
        with self._reading() as connection:

            def distinct(column: Any) -> tuple[str, ...]:
                query = select(column).where(*scope, column.is_not(None)).distinct()
                return tuple(sorted(str(v) for (v,) in connection.execute(query)))

            return Facets(
                kinds=distinct(f.kind),
                namespaces=tuple(n for n in distinct(f.namespace) if n),
                pools=distinct(f.pool),
                rules=distinct(f.rule),
                categories=distinct(f.category),
            )

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with reading(self._engine) as connection:
                yield connection
        except SQLAlchemyError as err:
            cause = getattr(err, "orig", None) or err
            raise StoreError(str(cause).strip().splitlines()[0], where=self.where) from err


def query_conditions(
    query: FindingQuery, dialect: str, *, for_page: bool = False, text_index: bool = False
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a `FindingQuery` (the `HistoryFilter` ones, then the rest).

    `for_page`: on SQLite the severity term is written `+severity`, the unary plus that
    SQLite's planner documents for keeping a term off an index
    (sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_): a page
    walks the primary key newest first and stops after `limit` rows, where the severity
    index would fetch and sort every match (265 ms instead of 15 for one severity of
    100,000 findings). The count keeps the index, which covers it.
    `text_index`: SQLite's trigram table exists (see `kubedrift.store.textsearch`).
    """
    wanted = reads.conditions(query.history_filter())
    if query.status is Status.RESOLVED:
        wanted.append(f.resolved_at.is_not(None))
    if query.status is Status.SUPPRESSED:  # the suppression in force when last seen
        wanted.append(f.suppression.is_not(None))
    if query.severities:
        severity: Any = f.severity
        if for_page and dialect == "sqlite":
            severity = UnaryExpression(f.severity, operator=operators.custom_op("+"))
        wanted.append(severity.in_(sorted(s.value for s in query.severities)))
    for column, value in ((f.category, query.category), (f.rule, query.rule)):
        if value is not None:
            wanted.append(column == value)
    if query.text:
        wanted.append(text_matches(query.text, dialect, indexed=text_index))
    return wanted or [and_(True)]


def _bounded_count(
    connection: Connection, wanted: Sequence[ColumnElement[bool]], floor: int | None
) -> tuple[int, bool]:
    """Matches counted up to `COUNT_UP_TO` (from `floor` up when a scan is bounded), and
    whether that is all of them."""
    scope = [*wanted, f.id >= floor] if floor is not None else list(wanted)
    some = select(f.id).where(*scope).limit(COUNT_UP_TO + 1).subquery()
    found = int(connection.execute(select(func.count()).select_from(some)).scalar_one())
    if found > COUNT_UP_TO:
        return COUNT_UP_TO, False
    return found, floor is None


def _scan_floor(connection: Connection, query: FindingQuery, before: int | None) -> int | None:
    """The lowest id of the newest `SCAN_ROWS` rows the query's other filters select (below
    `before`), or None when there are no more than that: the whole scan is then bounded."""
    others = query_conditions(replace(query, text=None), connection.dialect.name, for_page=True)
    if before is not None:
        others.append(f.id < before)
    nth = select(f.id).where(*others).order_by(f.id.desc()).offset(SCAN_ROWS - 1).limit(1)
    found = connection.execute(nth).scalar()
    return None if found is None else int(found)


def _open_nodes(cluster: str | None) -> list[ColumnElement[bool]]:
    wanted = [f.resolved_at.is_(None), f.category == "node", f.pool.is_not(None)]
    return [*wanted, f.cluster == cluster] if cluster is not None else wanted


def _off_index(connection: Connection, cluster: str | None) -> list[ColumnElement[bool]]:
    """The cluster condition for queries over a time range: on SQLite written `+cluster`
    (see `query_conditions`), so the planner reads the time index (which holds `cluster`)
    rather than every episode of the cluster through the (cluster, first_seen) index."""
    if cluster is None:
        return []
    if connection.dialect.name != "sqlite":
        return [f.cluster == cluster]
    return [UnaryExpression(f.cluster, operator=operators.custom_op("+")) == cluster]


def _open_counts(
    connection: Connection, scope: Sequence[ColumnElement[bool]]
) -> tuple[dict[Severity, int], dict[str, int]]:
    """Open episodes by severity and by category, in one pass over the covering index."""
    query = (
        select(f.severity, f.category, func.count())
        .where(f.resolved_at.is_(None), *scope)
        .group_by(f.severity, f.category)
    )
    severities: dict[str, int] = {}
    categories: dict[str, int] = {}
    for severity, category, n in connection.execute(query):
        severities[severity] = severities.get(severity, 0) + int(n)
        categories[category] = categories.get(category, 0) + int(n)
    by_severity = {s: severities.get(s.value, 0) for s in reversed(Severity)}
    return by_severity, dict(sorted(categories.items()))


def _resolved_since(
    connection: Connection, scope: Sequence[ColumnElement[bool]], since: datetime
) -> tuple[int, float | None]:
    """How many episodes resolved since `since`, and their mean seconds to resolve.

    Each backend subtracts times its own way: SQLite through `julianday` (days as a float),
    PostgreSQL through `extract(epoch from interval)`.
    """
    if connection.dialect.name == "sqlite":
        span: Any = (func.julianday(f.resolved_at) - func.julianday(f.first_seen)) * 86400.0
    else:
        span = func.extract("epoch", f.resolved_at - f.first_seen)
    query = select(func.count(), func.avg(span)).where(f.resolved_at >= since, *scope)
    count, mean = connection.execute(query).one()
    return int(count), None if mean is None else float(mean)


def _at_risk(connection: Connection, scope: Sequence[ColumnElement[bool]]) -> tuple[int, float]:
    """GPUs and GPU-hours at risk: sums over the open findings that carry an impact.

    Impacts are few (workload findings), so they are added up here rather than through each
    backend's own JSON operators.
    """
    # `cluster >= ''` holds for every row (NOT NULL text): it gives SQLite's planner a
    # constraint on the small partial index of open impacts, which it otherwise passes over
    # for a scan of every open episode (480 ms instead of 1 with 100,000 findings).
    everywhere = f.cluster >= ""
    query = select(f.impact).where(f.resolved_at.is_(None), f.impact.is_not(None), everywhere)
    impacts = [i for (i,) in connection.execute(query.where(*scope)) if i]
    gpus = sum(int(i["gpus"]) for i in impacts)
    return gpus, round(sum(float(i["gpu_hours"]) for i in impacts), 2)


def _per_day(
    connection: Connection,
    scopes: tuple[Sequence[ColumnElement[bool]], Sequence[ColumnElement[bool]]],
    since: datetime,
    days: int,
) -> tuple[DayCount, ...]:
    """Episodes opened and resolved on each UTC day from `since` (a day start) on.

    On SQLite one range count per day and column: each reads only its day's span of an
    index, where a GROUP BY over a date expression sorts every row of the window in a temp
    b-tree. PostgreSQL groups by UTC day in one query per column (a round trip per day
    cost more there than the grouping).
    `scopes`: the cluster condition for the opened and for the resolved counts.
    """
    starts = [since + timedelta(days=i) for i in range(days + 1)]

    opened_scope, resolved_scope = scopes
    if connection.dialect.name != "sqlite":
        opened = _grouped_by_day(connection, f.first_seen, opened_scope, since)
        resolved = _grouped_by_day(connection, f.resolved_at, resolved_scope, since)
        return tuple(
            DayCount(s.date(), opened.get(s.date(), 0), resolved.get(s.date(), 0))
            for s in starts[:-1]
        )

    def count(column: Any, start: datetime, end: datetime, scope: Any) -> int:
        query = select(func.count()).select_from(findings)
        query = query.where(column >= start, column < end, *scope)
        return int(connection.execute(query).scalar_one())

    return tuple(
        DayCount(
            start.date(),
            count(f.first_seen, start, end, opened_scope),
            count(f.resolved_at, start, end, resolved_scope),
        )
        for start, end in itertools.pairwise(starts)
    )


def _grouped_by_day(
    connection: Connection, column: Any, scope: Sequence[ColumnElement[bool]], since: datetime
) -> dict[date, int]:
    """PostgreSQL: episodes per UTC day of `column` since `since`."""
    day = func.date(func.timezone("UTC", column))
    query = select(day, func.count()).where(column >= since, *scope).group_by(day)
    return {d: int(n) for d, n in connection.execute(query)}


def _day_start(when: datetime) -> datetime:
    return when.replace(hour=0, minute=0, second=0, microsecond=0)

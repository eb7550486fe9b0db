"""Queries of the SQL store: `HistoryFilter` as SQL, rows back into `StoredFinding`s.

The SQL conditions here are the ones `HistoryFilter.matches` states in Python. JSON null and
`MISSING` both read back as None from a JSON column, so each query also selects whether the
column is SQL NULL (`MISSING`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, or_, select

from kubedrift.model import MISSING, Category, Finding, Impact, ObjectRef, Severity
from kubedrift.model.suppression import Suppression
from kubedrift.store.delta import OpenEpisode
from kubedrift.store.filters import HistoryFilter, ObjectKey
from kubedrift.store.records import StoredFinding, ValueChange
from kubedrift.store.schema import finding_changes, findings, settings
from kubedrift.store.stats import EpisodeSpan

CHUNK = 900
"""Values per `IN (…)` list: below the 999 bound parameters of SQLite builds before 3.32."""

f = findings.c
h = finding_changes.c

_EPISODE_COLUMNS = (
    *findings.columns,
    f.desired.is_(None).label("desired_missing"),
    f.live.is_(None).label("live_missing"),
)


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """`items` cut into lists short enough for one statement."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def conditions(filters: HistoryFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter (see `HistoryFilter.matches`)."""
    wanted: list[ColumnElement[bool]] = []
    for column, value in (
        (f.cluster, filters.cluster),
        (f.namespace, filters.namespace),
        (f.kind, filters.kind),
        (f.pool, filters.pool),
    ):
        if value is not None:
            wanted.append(column == value)
    if filters.min_severity is not None:
        wanted.append(f.severity.in_([s.value for s in filters.severities()]))
    if filters.until is not None:
        wanted.append(f.first_seen <= filters.until)
    if filters.since is not None:
        wanted.append(or_(f.resolved_at.is_(None), f.resolved_at >= filters.since))
    if filters.open_only:
        wanted.append(f.resolved_at.is_(None))
    return wanted


def episodes(connection: Connection, filters: HistoryFilter) -> list[StoredFinding]:
    """Episodes matching `filters`, oldest first."""
    query = select(*_EPISODE_COLUMNS).where(and_(True, *conditions(filters)))
    return _stored(connection, query.order_by(f.first_seen, f.id))


def episodes_by_id(connection: Connection, ids: Sequence[int]) -> dict[int, StoredFinding]:
    """Episodes by id (unknown ids are left out)."""
    out: dict[int, StoredFinding] = {}
    for chunk in chunks(ids):
        for stored in _stored(connection, select(*_EPISODE_COLUMNS).where(f.id.in_(chunk))):
            out[stored.id] = stored
    return out


def spans(connection: Connection, filters: HistoryFilter) -> Iterable[EpisodeSpan]:
    """What the statistics need of each matching episode."""
    query = select(f.first_seen, f.resolved_at, f.episode, f.severity).where(
        and_(True, *conditions(filters))
    )
    for row in connection.execute(query):
        yield EpisodeSpan(row.first_seen, row.resolved_at, row.episode, Severity(row.severity))


def open_episodes(
    connection: Connection, cluster: str, objects: frozenset[ObjectKey] | None = None
) -> list[OpenEpisode]:
    """A cluster's open episodes (only those on `objects`, when given and few), as the scan
    partition needs them.

    An update about a few objects (the watcher's events) reads only theirs: a cluster with
    thousands of open findings must not be read whole on every watch event. The caller
    narrows only when every finding it records is on one of `objects`.
    """
    query = select(
        f.id,
        f.key,
        f.value_digest,
        f.api_group,
        f.kind,
        f.namespace,
        f.name,
        f.category,
        f.suppression,
    ).where(f.cluster == cluster, f.resolved_at.is_(None))
    if objects and len(objects) <= _FEW_OBJECTS:
        query = query.where(or_(*(_object_is(key) for key in sorted(objects))))
    return [OpenEpisode(*row) for row in connection.execute(query)]


_FEW_OBJECTS = 64


def _object_is(key: ObjectKey) -> ColumnElement[bool]:
    group, kind, namespace, name = key
    return and_(f.api_group == group, f.kind == kind, f.namespace == namespace, f.name == name)


def open_ids(connection: Connection, keys: Sequence[str]) -> dict[str, int]:
    """The id of the open episode of each key."""
    out: dict[str, int] = {}
    for chunk in chunks(keys):
        query = select(f.key, f.id).where(f.key.in_(chunk), f.resolved_at.is_(None))
        out.update({str(key): int(row_id) for key, row_id in connection.execute(query)})
    return out


def episode_counts(connection: Connection, keys: Sequence[str]) -> dict[str, int]:
    """How many episodes each key already has (keys without any are left out)."""
    out: dict[str, int] = {}
    for chunk in chunks(keys):
        query = select(f.key, f.episode).where(f.key.in_(chunk))
        for key, episode in connection.execute(query):
            out[key] = max(out.get(key, 0), episode)
    return out


def value_changes(connection: Connection, finding_id: int) -> list[ValueChange]:
    """One episode's history, oldest first."""
    query = _change_query().where(h.finding_id == finding_id).order_by(h.at, h.id)
    return [_change(row) for row in connection.execute(query)]


def latest_changes(connection: Connection, ids: Sequence[int]) -> dict[int, ValueChange]:
    """The current history row of each episode: the values a change replaces."""
    out: dict[int, ValueChange] = {}
    for chunk in chunks(ids):
        latest = (
            select(h.finding_id, h.id)
            .where(h.finding_id.in_(chunk))
            .order_by(h.finding_id, h.at, h.id)
        )
        last_ids = {int(fid): int(rid) for fid, rid in connection.execute(latest)}
        query = _change_query().add_columns(h.finding_id).where(h.id.in_(last_ids.values()))
        out.update({row.finding_id: _change(row) for row in connection.execute(query)})
    return out


def _change_query() -> Select[Any]:
    return select(
        h.at,
        h.desired,
        h.live,
        h.manager,
        h.revision,
        h.note,
        h.desired.is_(None).label("desired_missing"),
        h.live.is_(None).label("live_missing"),
    )


def _change(row: Row[Any]) -> ValueChange:
    desired = MISSING if row.desired_missing else row.desired
    live = MISSING if row.live_missing else row.live
    return ValueChange(row.at, desired, live, row.manager, row.revision, row.note)


def _stored(connection: Connection, query: Select[Any]) -> list[StoredFinding]:
    return [_stored_finding(row) for row in connection.execute(query)]


def episode_query() -> Select[Any]:
    """A SELECT of whole episodes, for other modules' WHERE and ORDER BY (store/browse.py)."""
    return select(*_EPISODE_COLUMNS)


def stored_rows(connection: Connection, query: Select[Any]) -> list[StoredFinding]:
    """The episodes an `episode_query()` selects, as records."""
    return _stored(connection, query)


def _stored_finding(row: Row[Any]) -> StoredFinding:
    return StoredFinding(
        id=row.id,
        cluster=row.cluster,
        episode=row.episode,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        resolved_at=row.resolved_at,
        pool=row.pool,
        finding=_finding(row),
    )


def _finding(row: Row[Any]) -> Finding:
    ref = ObjectRef(row.api_version, row.kind, row.namespace or None, row.name)
    impact = row.impact
    return Finding(
        category=Category(row.category),
        severity=Severity(row.severity),
        object=ref,
        path=row.path,
        desired=MISSING if row.desired_missing else row.desired,
        live=MISSING if row.live_missing else row.live,
        rule=row.rule,
        message=row.message,
        manager=row.manager,
        changed_at=row.changed_at,
        revision=row.revision,
        impact=None if impact is None else _impact(impact),
        details=tuple((str(k), str(v)) for k, v in row.details),
        suppression=None if row.suppression is None else Suppression.from_json(row.suppression),
    )


def _impact(value: dict[str, Any]) -> Impact:
    return Impact(
        gpus=int(value["gpus"]),
        gpu_hours=float(value["gpu_hours"]),
        workloads=tuple(value["workloads"]),
    )


def setting(connection: Connection, name: str) -> str | None:
    """The value of one of the store's own settings (None: absent)."""
    row = connection.execute(select(settings.c.value).where(settings.c.name == name)).first()
    return None if row is None else str(row[0])

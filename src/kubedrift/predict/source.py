"""Reading a prediction window from a timeline store (SQLite or PostgreSQL): the I/O edge.

`read_window(store, cutoff=…)` is the only way the features get records from a store, and
the cutoff is a required argument applied in SQL: episodes that began at or after it are
never fetched, resolutions at or after it come back as NULL (still open then), and the
manager is the one of the episode's opening history row, read among rows before the cutoff
— never the `findings.manager` column, which later scans overwrite. `Window` checks the
same invariant again when it is built. (A node's `pool` is read as last recorded: the
store keeps no history of it; the simulator never moves nodes between pools.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select, type_coerce

from kubedrift.predict.window import Entity, Episode, Window
from kubedrift.store.schema import UtcDateTime, clusters, finding_changes, findings
from kubedrift.store.sql import SqlStore


def read_window(
    store: SqlStore, *, cutoff: datetime, since: datetime | None = None, cluster: str | None = None
) -> Window:
    """Episodes that began in `[since, cutoff)`, as prediction may see them at `cutoff`."""
    if cutoff.tzinfo is None:
        raise ValueError("a cutoff needs a time zone")
    f = findings.c
    opening = (
        select(finding_changes.c.finding_id, func.min(finding_changes.c.id).label("first"))
        .where(finding_changes.c.at < cutoff)
        .group_by(finding_changes.c.finding_id)
        .subquery()
    )
    first = finding_changes.alias("first_change")
    conditions = [f.first_seen < cutoff]
    if since is not None:
        conditions.append(f.first_seen >= since)
    if cluster is not None:
        conditions.append(f.cluster == cluster)
    query = (
        select(
            f.cluster,
            f.api_group,
            f.kind,
            f.namespace,
            f.name,
            f.path,
            f.rule,
            f.category,
            f.pool,
            first.c.manager,
            f.first_seen,
            type_coerce(
                case((f.resolved_at < cutoff, f.resolved_at), else_=None), UtcDateTime()
            ).label("resolved"),
        )
        .select_from(
            findings.outerjoin(opening, opening.c.finding_id == f.id).outerjoin(
                first, first.c.id == opening.c.first
            )
        )
        .where(and_(*conditions))
        .order_by(f.first_seen, f.id)
    )
    with store.reader() as connection:
        rows = connection.execute(query).all()
    return Window(cutoff, tuple(_episode(row, cutoff) for row in rows))


def _episode(row: tuple[object, ...], cutoff: datetime) -> Episode:
    cl, group, kind, namespace, name, path, rule, category, pool, manager, start, end = row
    return Episode(
        Entity(str(cl), str(group), str(kind), str(namespace), str(name)),
        str(path),
        str(rule),
        str(category),
        None if pool is None else str(pool),
        None if manager is None else str(manager),
        start,  # type: ignore[arg-type]
        end,  # type: ignore[arg-type]
    )


def last_recorded(store: SqlStore, cluster: str | None = None) -> datetime | None:
    """The time of the newest scan recorded (None for an empty store)."""
    query = select(func.max(clusters.c.last_recorded))
    if cluster is not None:
        query = query.where(clusters.c.name == cluster)
    with store.reader() as connection:
        return connection.execute(query).scalar()  # max() keeps the column's UtcDateTime


def whole_history(store: SqlStore, cluster: str | None = None) -> Window:
    """Everything recorded, as one window ending just after the newest scan (backtests)."""
    end = last_recorded(store, cluster)
    if end is None:
        return Window(datetime.now().astimezone(), ())
    return read_window(store, cutoff=end + timedelta(seconds=1), cluster=cluster)

"""One scan written in one transaction: the SQL side of `SqlStore.record_scan`.

Order inside the transaction: upsert the cluster's row (on PostgreSQL this locks it, so two
writers of one cluster take turns; SQLite's `BEGIN IMMEDIATE` already did), read the open
episodes, partition the scan (delta.py), upsert every finding seen with
`INSERT … ON CONFLICT (key) WHERE resolved_at IS NULL DO UPDATE` on both backends, add
history rows for new and changed values, resolve what the scope covers and the scan did
not see, then read back what the delta reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Insert, Table, null, update
from sqlalchemy.dialects import postgresql, sqlite

from kubedrift.model import JSON, MISSING, Finding, Impact
from kubedrift.model.suppression import Suppression
from kubedrift.store import reads
from kubedrift.store.delta import (
    OpenEpisode,
    ScanPlan,
    Seen,
    key_findings,
    opening_note,
    plan_scan,
    pool_of,
    suppression_events,
)
from kubedrift.store.filters import ScanScope
from kubedrift.store.records import Changed, ScanDelta, Unsuppressed
from kubedrift.store.schema import clusters, finding_changes, findings

_REFRESHED = (
    "api_version",
    "category",
    "severity",
    "last_seen",
    "desired",
    "live",
    "value_digest",
    "manager",
    "changed_at",
    "revision",
    "pool",
    "message",
    "details",
    "impact",
    "suppression",
)
"""What a finding seen again overwrites; identity, `episode` and `first_seen` stay."""


def record_scan(
    connection: Connection,
    cluster: str,
    found: Sequence[Finding],
    at: datetime,
    scope: ScanScope,
) -> ScanDelta:
    """Write one scan; the caller owns the transaction."""
    _touch_cluster(connection, cluster, at)
    plan = plan_scan(
        key_findings(cluster, found), _open_episodes(connection, cluster, found, scope), scope
    )
    before = reads.latest_changes(connection, [e.id for _, e in plan.changed])
    _upsert(connection, cluster, plan, at)
    new_ids = reads.open_ids(connection, [s.key for s in plan.new])
    history = [(new_ids[s.key], s.finding, opening_note(s.finding)) for s in plan.new]
    history += [(e.id, s.finding, None) for s, e in plan.changed]
    history += suppression_events(plan)
    _insert_changes(connection, history, at)
    _resolve(connection, [e.id for e in plan.resolved], at)
    rows = reads.episodes_by_id(
        connection, [episode_id for episode_id, _, _ in history] + [e.id for e in plan.resolved]
    )
    return ScanDelta(
        new=tuple(rows[new_ids[s.key]] for s in plan.new),
        changed=tuple(Changed(rows[e.id], before[e.id]) for _, e in plan.changed),
        resolved=tuple(rows[e.id] for e in plan.resolved),
        unchanged=len(plan.seen) - len(plan.new) - len(plan.changed),
        suppressed=tuple(rows[e.id] for _, e in plan.suppressed),
        unsuppressed=tuple(
            Unsuppressed(rows[e.id], Suppression.from_json(e.suppression))
            for _, e in plan.unsuppressed
        ),
    )


def _open_episodes(
    connection: Connection, cluster: str, found: Sequence[Finding], scope: ScanScope
) -> list[OpenEpisode]:
    """All open episodes, or only those on the scope's objects when every finding is on one."""
    objects = scope.objects
    inside = objects is not None and all(f.object.pairing_key() in objects for f in found)
    return reads.open_episodes(connection, cluster, objects if inside else None)


def upsert(
    connection: Connection,
    table: Table,
    conflict: Sequence[Column[Any]],
    refreshed: Sequence[str],
    where: ColumnElement[bool] | None = None,
) -> Insert:
    """`INSERT … ON CONFLICT (conflict) [WHERE where] DO UPDATE SET refreshed = excluded`.

    Both dialects spell it the same; each has its own `Insert` class.
    """
    if connection.dialect.name == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=conflict,
            index_where=where,
            set_={name: pg.excluded[name] for name in refreshed},
        )
    lite = sqlite.insert(table)
    return lite.on_conflict_do_update(
        index_elements=conflict,
        index_where=where,
        set_={name: lite.excluded[name] for name in refreshed},
    )


def _touch_cluster(connection: Connection, cluster: str, at: datetime) -> None:
    stmt = upsert(connection, clusters, [clusters.c.name], ["last_recorded"])
    connection.execute(stmt, {"name": cluster, "first_recorded": at, "last_recorded": at})


def _upsert(connection: Connection, cluster: str, plan: ScanPlan, at: datetime) -> None:
    """Insert new episodes and refresh the open ones seen again.

    No RETURNING: without it both drivers run one prepared statement over all rows
    (psycopg pipelines them), where a multi-row VALUES with RETURNING makes psycopg parse
    thousands of placeholders per batch, 4x slower. New ids are read back by key.
    """
    if not plan.seen:
        return
    counts = reads.episode_counts(connection, [s.key for s in plan.new])
    params = [finding_row(cluster, s, at, counts.get(s.key, 0) + 1) for s in plan.seen]
    where = findings.c.resolved_at.is_(None)
    connection.execute(upsert(connection, findings, [findings.c.key], _REFRESHED, where), params)


def finding_row(cluster: str, seen: Seen, at: datetime, episode: int) -> dict[str, Any]:
    """The `findings` row of a finding first seen at `at` (also used by bulk.py)."""
    f = seen.finding
    group, kind, namespace, name, path, rule = f.identity()
    return {
        "key": seen.key,
        "episode": episode,
        "cluster": cluster,
        "api_group": group,
        "api_version": f.object.api_version,
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "path": path,
        "rule": rule,
        "category": f.category.value,
        "severity": f.severity.value,
        "first_seen": at,
        "last_seen": at,
        "desired": json_value(f.desired),
        "live": json_value(f.live),
        "value_digest": seen.digest,
        "manager": f.manager,
        "changed_at": f.changed_at,
        "revision": f.revision,
        "pool": pool_of(f),
        "message": f.message,
        "details": [list(pair) for pair in f.details],
        "impact": null() if f.impact is None else _impact(f.impact),
        "suppression": null() if f.suppression is None else f.suppression.to_json(),
    }


def _impact(impact: Impact) -> dict[str, Any]:
    """Stored unrounded (the output contract rounds GPU-hours; the store keeps them)."""
    return {"gpus": impact.gpus, "gpu_hours": impact.gpu_hours, "workloads": list(impact.workloads)}


def json_value(value: JSON) -> Any:
    """SQL NULL for `MISSING`; any other value (JSON null included) as JSON."""
    return null() if value is MISSING else value


def _insert_changes(
    connection: Connection, rows: list[tuple[int, Finding, str | None]], at: datetime
) -> None:
    if not rows:
        return
    params = [
        {
            "finding_id": finding_id,
            "at": at,
            "desired": json_value(f.desired),
            "live": json_value(f.live),
            "manager": f.manager,
            "revision": f.revision,
            "note": note,
        }
        for finding_id, f, note in rows
    ]
    connection.execute(finding_changes.insert(), params)


def _resolve(connection: Connection, ids: Sequence[int], at: datetime) -> None:
    for chunk in reads.chunks(ids):
        connection.execute(
            update(findings)
            .where(findings.c.id.in_(chunk), findings.c.resolved_at.is_(None))
            .values(resolved_at=at)
        )

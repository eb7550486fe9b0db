"""Small hand-made windows for the pure prediction tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kubedrift.predict.window import Entity, Episode

MONDAY = datetime(2025, 3, 3, tzinfo=UTC)


def obj(name: str, namespace: str = "ml", kind: str = "Deployment") -> Entity:
    """An object entity of cluster `c`."""
    return Entity("c", "apps", kind, namespace, name)


def node(name: str) -> Entity:
    """A node entity of cluster `c`."""
    return Entity("c", "", "Node", "", name)


def ep(
    entity: Entity,
    day: float,
    *,
    hours: float | None = 2.0,
    path: str = "/spec/replicas",
    rule: str = "field-changed",
    manager: str | None = "kubectl-edit",
    pool: str | None = None,
    category: str = "object",
) -> Episode:
    """An episode starting `day` days after MONDAY, lasting `hours` (None: still open)."""
    start = MONDAY + timedelta(days=day)
    end = None if hours is None else start + timedelta(hours=hours)
    return Episode(entity, path, rule, category, pool, manager, start, end)

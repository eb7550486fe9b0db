"""Findings and times for the store's tests: short to write, realistic in shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kubedrift.model import JSON, Category, Finding, Impact, ObjectRef, Severity

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

API_VERSIONS = {"Deployment": "apps/v1", "Node": "v1", "ConfigMap": "v1", "Secret": "v1"}


def at(minutes: float) -> datetime:
    """`T0` plus some minutes: the time of the n-th scan in a test."""
    return T0 + timedelta(minutes=minutes)


def finding(
    name: str = "trainer",
    *,
    kind: str = "Deployment",
    namespace: str | None = "ml",
    path: str = "/spec/replicas",
    desired: JSON = 4,
    live: JSON = 2,
    severity: Severity = Severity.MEDIUM,
    rule: str = "value-changed",
    pool: str | None = None,
    manager: str | None = "kubectl-edit",
    revision: str | None = "4f1c2e0",
    impact: Impact | None = None,
) -> Finding:
    """One finding; a `Node` is cluster-scoped and a node-fact finding unless told otherwise."""
    if kind == "Node":
        namespace = None
    category = Category.NODE if kind == "Node" else Category.OBJECT
    details = (("pool", pool),) if pool is not None else ()
    return Finding(
        category=category,
        severity=severity,
        object=ObjectRef(API_VERSIONS.get(kind, "example.com/v1"), kind, namespace, name),
        path=path,
        desired=desired,
        live=live,
        rule=rule,
        message=f"{path} differs",
        manager=manager,
        changed_at="2026-03-01T08:00:00Z",
        revision=revision,
        impact=impact,
        details=details,
    )


def node_finding(node: str, pool: str, *, live: JSON = "570.86.15") -> Finding:
    """A node whose driver differs from its pool's."""
    return finding(
        node,
        kind="Node",
        path="nvidia.com/cuda.driver-version.full",
        desired="570.86.15",
        live=live,
        rule="pool-majority",
        severity=Severity.HIGH,
        pool=pool,
        manager=None,
    )


def many(count: int, *, live: JSON = 2, cluster_prefix: str = "app") -> list[Finding]:
    """`count` distinct findings over 50 namespaces (for scale and concurrency tests)."""
    return [
        finding(f"{cluster_prefix}-{i}", namespace=f"ns-{i % 50}", live=live) for i in range(count)
    ]

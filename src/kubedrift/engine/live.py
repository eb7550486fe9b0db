"""Live state for a scan: from a cluster (only what desired names, plus nodes) or snapshots."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubedrift.analysis.facts import (
    AGENT_CONFIGMAP_SELECTOR,
    attach_published_facts,
    published_facts,
)
from kubedrift.cluster.snapshot import load_snapshot
from kubedrift.cluster.target import ClusterTarget
from kubedrift.model import AGENT_NAMESPACE, ObjectRef, ref_of
from kubedrift.model.kube import Node

if TYPE_CHECKING:
    from kubedrift.cluster.connection import Connection
    from kubedrift.cluster.discovery import ApiResource, Discovery

# The cluster client (lightkube, httpx2, asyncio) is imported by the functions that read a
# cluster: `diff` and `scan --live FILE` read snapshots only (start-up time, issue 18.5).

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class LiveState:
    """Live objects paired later by the diff, nodes for node analysis, and what was skipped."""

    objects: tuple[dict[str, Any], ...]
    nodes: tuple[Node, ...]
    source: str
    default_namespace: str
    scope: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(group, kind) → cluster-scoped, where the cluster told us."""
    unserved: tuple[ObjectRef, ...] = ()
    elsewhere: Mapping[ObjectRef, tuple[str, ...]] = field(default_factory=dict)
    """Desired refs not found live → other namespaces holding that kind and name (cluster)."""
    forbidden: Mapping[ObjectRef, str] = field(default_factory=dict)
    """Desired refs RBAC would not let us read → their resource's plural."""
    nodes_forbidden: bool = False
    """RBAC would not let us list nodes (so `nodes` is empty, not a fleet without nodes)."""
    kinds: frozenset[tuple[str, str]] | None = None
    """(group, kind) a snapshot holds any object of; None for a cluster, which has them all.

    A snapshot holds what its `kubectl get` asked for: an object of a kind it does not
    hold at all was not looked for, so it is not missing."""


def from_snapshots(
    paths: Sequence[Path],
    default_namespace: str,
    only_namespace: str | None = None,
    agent_namespace: str = AGENT_NAMESPACE,
    project: frozenset[str] = frozenset(),
) -> LiveState:
    """Every object in the snapshot files (of `only_namespace`, when given, plus
    cluster-scoped ones); nodes are the `Node` objects among them, with the facts of the
    agent ConfigMaps of `agent_namespace` the snapshot holds. Objects of the kinds in
    `project` are read as their projection (`load_snapshot`)."""
    snapshot = load_snapshot(list(paths), project=project)
    objects = tuple(s.obj for s in snapshot.objects)
    configmaps = (o for o in objects if o.get("kind") == "ConfigMap")
    nodes = tuple(
        attach_published_facts(
            (o for o in objects if o.get("kind") == "Node"),
            published_facts(configmaps, agent_namespace),
        )
    )
    scope = _scope_evidence(objects)
    if only_namespace is not None:
        objects = tuple(o for o in objects if _namespace_of(o) in ("", only_namespace))
    return LiveState(
        objects=objects,
        nodes=nodes,
        source="snapshot " + ", ".join(snapshot.sources),
        default_namespace=default_namespace,
        scope=scope,
        kinds=frozenset(scope),
    )


def _scope_evidence(objects: Sequence[dict[str, Any]]) -> dict[tuple[str, str], bool]:
    """(group, kind) → cluster-scoped, as a snapshot shows it: the apiserver writes no
    namespace on a cluster-scoped object and always one on a namespaced object."""
    scope: dict[tuple[str, str], bool] = {}
    for obj in objects:
        key = (str(obj.get("apiVersion") or "").rpartition("/")[0], str(obj.get("kind") or ""))
        if key not in scope:
            scope[key] = not _namespace_of(obj)
    return scope


def _namespace_of(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


async def from_cluster(
    target: ClusterTarget,
    desired: Sequence[dict[str, Any]],
    *,
    namespace: str | None,
    only_namespace: str | None = None,
    with_nodes: bool,
    progress: Progress,
    agent_namespace: str = AGENT_NAMESPACE,
) -> LiveState:
    """The live counterparts of desired objects (those in `only_namespace`, when given),
    HPAs (for replicas), and all nodes."""
    from kubedrift.cluster.connection import Connection
    from kubedrift.cluster.discovery import Discovery
    from kubedrift.cluster.reader import fetch_desired, namespaces_holding

    async with Connection(target) as conn:
        default_ns = namespace or conn.config.namespace or "default"
        discovery = Discovery(conn)
        progress(
            f"discovering {len({(o.get('apiVersion'), o.get('kind')) for o in desired})} kinds"
        )
        scope = await _scope(discovery, desired)
        refs = [_ref_in(obj, scope, default_ns) for obj in desired]
        if only_namespace is not None:
            refs = [r for r in refs if r.namespace == only_namespace]
        progress(f"reading {len(refs)} live objects from {conn.server}")
        live = await fetch_desired(conn, refs, discovery)
        objects = [o for o in live.objects.values() if o is not None]
        missing = [ref for ref, obj in live.objects.items() if obj is None]
        elsewhere = await namespaces_holding(conn, discovery, missing) if missing else {}
        objects += await _autoscalers(conn, discovery, desired, only_namespace)
        nodes = await _nodes(conn, discovery, progress, agent_namespace) if with_nodes else ()
    return LiveState(
        objects=tuple(objects),
        nodes=nodes or (),
        source=f"cluster {conn.context or conn.server}",
        default_namespace=default_ns,
        scope=scope,
        unserved=live.unserved,
        elsewhere=elsewhere,
        forbidden=live.forbidden,
        nodes_forbidden=nodes is None,
    )


async def _scope(
    discovery: Discovery, desired: Sequence[dict[str, Any]]
) -> dict[tuple[str, str], bool]:
    scope: dict[tuple[str, str], bool] = {}
    for api_version, kind in {(str(o["apiVersion"]), str(o["kind"])) for o in desired}:
        resource = await discovery.resource_for(api_version, kind)
        if resource is not None:
            scope[(api_version.rpartition("/")[0], kind)] = not resource.namespaced
    return scope


def _ref_in(obj: dict[str, Any], scope: dict[tuple[str, str], bool], default_ns: str) -> ObjectRef:
    ref = ref_of(obj)
    if scope.get((ref.group, ref.kind)):
        return ObjectRef(ref.api_version, ref.kind, None, ref.name)
    return ObjectRef(ref.api_version, ref.kind, ref.namespace or default_ns, ref.name)


async def _autoscalers(
    conn: Connection,
    discovery: Discovery,
    desired: Sequence[dict[str, Any]],
    namespace: str | None,
) -> list[dict[str, Any]]:
    """HPAs (of `namespace`, when given): they own the replicas of their targets."""
    if not any(o.get("kind") in SCALABLE_KINDS for o in desired):
        return []
    return await list_autoscalers(conn, discovery, namespace)


SCALABLE_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})
"""Kinds an HPA can own the replicas of."""


async def list_autoscalers(
    conn: Connection, discovery: Discovery, namespace: str | None = None
) -> list[dict[str, Any]]:
    """Every HPA of the cluster, or of `namespace` (none when not served or not permitted)."""
    resource = await discovery.resource_for("autoscaling/v1", "HorizontalPodAutoscaler")
    return await _list_or_empty(conn, resource, namespace=namespace)


async def _nodes(
    conn: Connection, discovery: Discovery, progress: Progress, agent_namespace: str
) -> tuple[Node, ...] | None:
    """Every Node, with the facts its agent published in its ConfigMap; None when RBAC does
    not let us list nodes."""
    from kubedrift.cluster.errors import Forbidden
    from kubedrift.cluster.reader import list_all

    progress("listing nodes")
    resource = await discovery.resource_for("v1", "Node")
    if resource is None:
        return ()
    try:
        nodes = await list_all(conn, resource)
    except Forbidden:
        return None
    configmaps = await _list_or_empty(
        conn,
        await discovery.resource_for("v1", "ConfigMap"),
        namespace=agent_namespace,
        label_selector=AGENT_CONFIGMAP_SELECTOR,
    )
    return tuple(attach_published_facts(nodes, published_facts(configmaps, agent_namespace)))


async def _list_or_empty(
    conn: Connection,
    resource: ApiResource | None,
    *,
    namespace: str | None = None,
    label_selector: str | None = None,
) -> list[dict[str, Any]]:
    """A list (cluster-wide unless `namespace`), or nothing when the kind is not served or
    not permitted."""
    from kubedrift.cluster.errors import Forbidden
    from kubedrift.cluster.reader import list_all

    if resource is None:
        return []
    try:
        return await list_all(conn, resource, namespace=namespace, label_selector=label_selector)
    except Forbidden:
        return []

"""Reading what node quarantine plans are judged with: nodes, every pod, gang and backup kinds.

Unlike a scan limited by `-n`, the pods are always listed cluster-wide: a drain must see
every pod on a node, whatever its namespace. When RBAC hides a workload kind the context
is marked incomplete and no drain is planned (cordons still are).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kubedrift.analysis.backups import claims_without_fresh_backup
from kubedrift.analysis.workload_model import build_model
from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import Discovery
from kubedrift.cluster.reader import list_all
from kubedrift.engine import live as live_state
from kubedrift.engine.clock import snapshot_time
from kubedrift.engine.requests import ScanRequest
from kubedrift.engine.workloads import read_kinds
from kubedrift.model import ClusterError, ref_of
from kubedrift.remediate.nodes import NodeContext

Progress = Callable[[str], None]


async def node_context(request: ScanRequest, progress: Progress) -> NodeContext | None:
    """The nodes and workloads of the snapshot or cluster; None when nodes may not be read."""
    if request.snapshots:
        live = live_state.from_snapshots(request.snapshots, "default")
        now = request.now or snapshot_time(live.nodes) or datetime.now(UTC)
        return judge(live.nodes, live.objects, now, complete=True)
    async with Connection(request.target) as conn:
        discovery = Discovery(conn)
        resource = await discovery.resource_for("v1", "Node")
        if resource is None:
            return None
        try:
            nodes = await list_all(conn, resource)
        except ClusterError as err:
            if "forbidden" in err.message:
                return None
            raise
        progress("listing every pod and job kind for the node plans")
        work = await read_kinds(conn, discovery, progress)
    now = request.now or datetime.now(UTC)
    return judge(nodes, work.objects, now, complete=not work.warnings)


def judge(
    nodes: Sequence[Mapping[str, Any]],
    objects: Sequence[Mapping[str, Any]],
    now: datetime,
    *,
    complete: bool,
) -> NodeContext:
    """Build the context: running workloads and the training PVCs no fresh backup protects."""
    model = build_model(objects)
    return NodeContext(
        nodes={ref_of(n).name: n for n in nodes},
        model=model,
        unprotected=claims_without_fresh_backup(model, now),
        complete=complete,
    )

"""Reading the objects AI workload analysis needs: from a snapshot, or listed from a cluster.

A snapshot gives every object it holds. From a cluster, the built-in kinds (Pods, Jobs,
Deployments, StatefulSets, ReplicaSets, PVCs) and each CRD kind below are listed cluster-wide
through discovery; a kind the cluster does not serve (its CRD is not installed) or that we
may not list is skipped, and a note says which.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubedrift.cluster.target import ClusterTarget

if TYPE_CHECKING:
    from kubedrift.cluster.connection import Connection
    from kubedrift.cluster.discovery import Discovery

# The cluster client is imported by the functions that list a cluster: a snapshot needs
# none of it (start-up time, issue 18.5).

Progress = Callable[[str], None]

BUILTIN_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "Pod"),
    ("v1", "PersistentVolumeClaim"),
    ("batch/v1", "Job"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "ReplicaSet"),
)
"""Kinds every cluster serves; the version is a hint, discovery picks the served one."""

CRD_KINDS: tuple[tuple[str, str], ...] = (
    ("jobset.x-k8s.io/v1alpha2", "JobSet"),
    ("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet"),
    ("kubeflow.org/v1", "PyTorchJob"),
    ("ray.io/v1", "RayCluster"),
    ("ray.io/v1", "RayJob"),
    ("serving.kserve.io/v1beta1", "InferenceService"),
    ("kueue.x-k8s.io/v1beta1", "Workload"),
    ("scheduling.volcano.sh/v1beta1", "PodGroup"),
    ("velero.io/v1", "Schedule"),
    ("velero.io/v1", "Backup"),
)
"""Kinds served only where their CRD is installed."""

_NOT_FINISHED = "status.phase!=Succeeded,status.phase!=Failed"


@dataclass(frozen=True, slots=True)
class WorkloadObjects:
    """The objects workload analysis reads, and notes on kinds that were skipped.

    `velero`: whether Velero's `Schedule` kind is served and readable (None: not known,
    as for a snapshot, where analysis infers it from the objects)."""

    objects: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = ()
    velero: bool | None = None
    warnings: tuple[str, ...] = ()
    """The notes on kinds RBAC hid from us: the analysis may have missed workloads."""


def from_snapshot(objects: Sequence[dict[str, Any]]) -> WorkloadObjects:
    """A snapshot already holds every object it has; nothing is skipped."""
    return WorkloadObjects(objects=tuple(objects))


async def from_cluster(
    target: ClusterTarget, progress: Progress, namespace: str | None = None
) -> WorkloadObjects:
    """List every workload kind the cluster serves (in `namespace`, when given)."""
    from kubedrift.cluster.connection import Connection
    from kubedrift.cluster.discovery import Discovery

    async with Connection(target) as conn:
        return await read_kinds(conn, Discovery(conn), progress, namespace=namespace)


async def read_kinds(
    conn: Connection,
    discovery: Discovery,
    progress: Progress,
    kinds: Sequence[tuple[str, str]] = BUILTIN_KINDS + CRD_KINDS,
    *,
    namespace: str | None = None,
) -> WorkloadObjects:
    """List `kinds` cluster-wide (or in `namespace`); unserved or forbidden kinds are noted,
    not fatal."""
    from kubedrift.cluster.errors import Forbidden
    from kubedrift.cluster.reader import list_all

    objects: list[dict[str, Any]] = []
    unserved: list[str] = []
    forbidden: list[str] = []
    for api_version, kind in kinds:
        resource = await discovery.resource_for(api_version, kind)
        if resource is None:
            unserved.append(kind)
            continue
        progress(f"listing {resource.plural}")
        selector = _NOT_FINISHED if kind == "Pod" else None
        try:
            objects += await list_all(conn, resource, namespace=namespace, field_selector=selector)
        except Forbidden:
            forbidden.append(kind)
    asked = {kind for _, kind in kinds}
    velero = None if "Schedule" not in asked else "Schedule" not in unserved + forbidden
    return WorkloadObjects(
        objects=tuple(objects),
        notes=skipped_notes(unserved, forbidden),
        velero=velero,
        warnings=skipped_notes([], forbidden),
    )


def skipped_notes(unserved: list[str], forbidden: list[str]) -> tuple[str, ...]:
    """What a summary says of workload kinds not served, or not permitted, and skipped."""
    notes = []
    if unserved:
        notes.append(
            f"workload kinds not served (CRD not installed), skipped: {', '.join(unserved)}"
        )
    if forbidden:
        notes.append(f"workload kinds we may not list, skipped: {', '.join(forbidden)}")
    return tuple(notes)

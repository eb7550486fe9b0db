"""AI workloads, continuously: every workload kind list+watched, kept as small projections.

The kinds are `engine.workloads.BUILTIN_KINDS + CRD_KINDS` (Pods and their controllers,
JobSet, LWS, PyTorchJob, Ray, KServe, Kueue, Volcano, Velero, PVCs). A kind the cluster does
not serve (its CRD is not installed) or that we may not list is skipped and `notes` say so,
as a scan's summary does. Pods are watched without the finished ones (a field selector:
a pod that succeeds or fails leaves as DELETED).

Each object is kept as a *projection* holding what the workload rules read — for a Pod its
node, containers' names, images and resources, PVC volumes, tolerations, phase, start time
and image IDs; for every kind no `managedFields` and no last-applied annotation — and the
informer's fingerprint is the projection's, so a change the rules cannot see (a probe's
timestamp, a condition's message) wakes nothing. `on_change` is called after each change
that matters, once the initial lists are read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import msgspec

from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import ApiResource, Discovery
from kubedrift.cluster.informer import ApiSource, ChangeType, Informer, InformerOptions
from kubedrift.cluster.reader import may_list
from kubedrift.engine.workloads import BUILTIN_KINDS, CRD_KINDS, skipped_notes

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
RUNNING_PODS = "status.phase!=Succeeded,status.phase!=Failed"
_CONTAINER_FIELDS = ("name", "image", "resources")
_encoder = msgspec.json.Encoder(order="sorted")

Key = tuple[str, str, str]
"""kind, namespace, name."""


def project_workload(obj: Mapping[str, Any]) -> dict[str, Any]:
    """What the workload rules read of an object (see the module docstring)."""
    out = {k: v for k, v in obj.items() if k != "metadata"}
    out["metadata"] = _metadata(obj.get("metadata") or {})
    if obj.get("kind") == "Pod":
        out["spec"] = _pod_spec(obj.get("spec") or {})
        out["status"] = _pod_status(obj.get("status") or {})
    return out


def _metadata(meta: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in meta.items() if k not in ("managedFields", "resourceVersion")}
    annotations = meta.get("annotations")
    if annotations and LAST_APPLIED in annotations:
        out["annotations"] = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    return out


def _pod_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    def containers(key: str) -> list[dict[str, Any]]:
        return [{k: c[k] for k in _CONTAINER_FIELDS if k in c} for c in spec.get(key) or ()]

    out: dict[str, Any] = {"containers": containers("containers")}
    if spec.get("initContainers"):
        out["initContainers"] = containers("initContainers")
    volumes = [v for v in spec.get("volumes") or () if v.get("persistentVolumeClaim")]
    if volumes:
        out["volumes"] = volumes
    for key in ("nodeName", "tolerations", "schedulerName", "priorityClassName"):
        if key in spec:
            out[key] = spec[key]
    return out


def _pod_status(status: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: status[k] for k in ("phase", "startTime") if k in status}
    statuses = status.get("containerStatuses")
    if statuses:
        fields = ("name", "image", "imageID", "ready")
        out["containerStatuses"] = [{k: s[k] for k in fields if k in s} for s in statuses]
    return out


def _fingerprint(obj: Mapping[str, Any]) -> Hashable:
    return _encoder.encode(project_workload(obj))


class WorkloadTracker:
    """Keeps a projection of every workload object; `objects()` for an analysis pass."""

    def __init__(
        self,
        conn: Connection,
        on_change: Callable[[], None],
        *,
        informer_options: InformerOptions,
        kinds: tuple[tuple[str, str], ...] = BUILTIN_KINDS + CRD_KINDS,
    ) -> None:
        self.on_change = on_change
        self.kinds = kinds
        self.synced = asyncio.Event()
        self.notes: tuple[str, ...] = ()
        self.skipped: tuple[tuple[str, str], ...] = ()
        """(kind, `not-served` or `forbidden`) of each workload kind skipped."""
        self.velero: bool | None = None  # Velero's Schedule served and listable (after run)
        self.informers: list[Informer] = []
        self._conn = conn
        self._options = informer_options
        self._objects: dict[Key, dict[str, Any]] = {}

    def __len__(self) -> int:
        """How many workload objects are tracked."""
        return len(self._objects)

    def objects(self) -> tuple[dict[str, Any], ...]:
        """The current projections, for one analysis pass."""
        return tuple(self._objects.values())

    async def run(self) -> None:
        """Discover the served kinds, then track them until cancelled."""
        resources = await self._served()
        self.informers = [
            Informer(
                ApiSource(
                    self._conn,
                    r,
                    field_selector=RUNNING_PODS if r.kind == "Pod" else None,
                    options=self._options,
                ),
                fingerprint=_fingerprint,
                options=self._options,
            )
            for r in resources
        ]
        async with asyncio.TaskGroup() as group:
            group.create_task(self._when_synced())
            for informer in self.informers:
                group.create_task(self._consume(informer))

    async def _served(self) -> list[ApiResource]:
        discovery, served = Discovery(self._conn), []
        unserved, forbidden = [], []
        for api_version, kind in self.kinds:
            resource = await discovery.resource_for(api_version, kind)
            if resource is None:
                unserved.append(kind)
            elif not await may_list(self._conn, resource):
                forbidden.append(kind)
            else:
                served.append(resource)
        self.notes = skipped_notes(unserved, forbidden)
        self.skipped = tuple(
            [(k, "not-served") for k in unserved] + [(k, "forbidden") for k in forbidden]
        )
        self.velero = any(r.kind == "Schedule" and r.group == "velero.io" for r in served)
        return served

    async def _when_synced(self) -> None:
        for informer in self.informers:
            await informer.synced.wait()
        self.synced.set()
        self.on_change()

    async def _consume(self, informer: Informer) -> None:
        kind = informer.source.resource.kind
        try:
            async for change in informer.changes():
                key = (kind, *change.key)
                if change.type is ChangeType.DELETED:
                    self._objects.pop(key, None)
                else:
                    self._objects[key] = project_workload(change.obj)
                if self.synced.is_set():
                    self.on_change()
        finally:
            await informer.aclose()

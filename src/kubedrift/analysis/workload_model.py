"""The workload model: running pods resolved to their top-level owners, with GPUs and run time.

A pod counts as running when its phase is `Running`, or `Pending` with a `nodeName` (bound,
still starting: its GPUs are already held). Each running pod is walked up its controller
`ownerReferences` (Pod → ReplicaSet → Deployment, Pod → Job → CronJob or JobSet, Pod →
StatefulSet → LeaderWorkerSet, Pod → PyTorchJob/RayCluster, …) to the last owner: the
*workload*. An owner that is not among the given objects (a CRD kind not read, say) is still
named from the reference that points at it, and the walk stops there.

Node agents — pods of a DaemonSet, and static pods (mirror pods, whose controller is their
Node) — are workloads too, but they are the node's own plumbing (CNI, CSI, log and metric
agents, the GPU operator's device plugin and DCGM exporter), one per node by design: they are
never "at risk" from the node they run on, nor a job whose nodes should agree. `kubectl
drain` treats them apart for the same reason (`--ignore-daemonsets`; mirror pods are
skipped). `Workload.node_agent` says so, and `on_node` and the node-impact rules leave them out.

GPUs held by a pod are the `nvidia.com/gpu` units (and MIG slices `nvidia.com/mig-*`) in
its containers' limits, or in their requests where limits name none. GPU-hours are GPUs ×
hours since the pod's `status.startTime`, summed over the workload's pods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubedrift.model import ObjectRef, ref_of
from kubedrift.model.kube import Container, OwnerReference, owner_references_of

NODE_AGENT_KINDS = frozenset({"DaemonSet", "Node"})
"""Top-level owners whose pods belong to the node itself (a mirror pod's owner is its Node)."""

__all__ = [
    "GPU_RESOURCE",
    "NODE_AGENT_KINDS",
    "RunningPod",
    "Workload",
    "WorkloadModel",
    "build_model",
    "gpu_units",
    "parse_time",
]

GPU_RESOURCE = "nvidia.com/gpu"
_MIG_PREFIX = "nvidia.com/mig-"
_MAX_DEPTH = 8  # owner chains are 3 deep in practice; this only guards against cycles


@dataclass(frozen=True, slots=True)
class RunningPod:
    """One running pod as the rules see it."""

    ref: ObjectRef
    owner: ObjectRef
    node: str
    gpus: int
    started: datetime | None
    images: tuple[str, ...]
    image_ids: tuple[str, ...]
    claims: tuple[str, ...]
    obj: Mapping[str, Any]

    def hours(self, now: datetime) -> float:
        """Hours since the pod started (0 when unknown or in the future)."""
        if self.started is None:
            return 0.0
        return max((now - self.started).total_seconds(), 0.0) / 3600.0


@dataclass(frozen=True, slots=True)
class Workload:
    """A top-level owner and its running pods."""

    owner: ObjectRef
    pods: tuple[RunningPod, ...]

    @property
    def gpus(self) -> int:
        """GPUs held by all running pods."""
        return sum(p.gpus for p in self.pods)

    @property
    def nodes(self) -> tuple[str, ...]:
        """The distinct nodes the pods run on, sorted."""
        return tuple(sorted({p.node for p in self.pods}))

    @property
    def multi_node(self) -> bool:
        """Whether the workload spans two nodes or more (node agents never do: see above)."""
        return len(self.nodes) >= 2 and not self.node_agent

    @property
    def node_agent(self) -> bool:
        """A DaemonSet's pods, or a static (mirror) pod: part of the node, not a workload on it."""
        return self.owner.kind in NODE_AGENT_KINDS

    def gpu_hours(self, now: datetime) -> float:
        """GPUs × hours running, summed over pods."""
        return sum(p.gpus * p.hours(now) for p in self.pods)

    def label(self) -> str:
        """How reports name it: `Job/ml-training/pretrain-1`."""
        return str(self.owner)


@dataclass(frozen=True, slots=True)
class WorkloadModel:
    """Every running workload, with the indexes the rules look things up by."""

    workloads: tuple[Workload, ...]
    objects: Mapping[tuple[str, str, str], Mapping[str, Any]]
    """(kind, namespace, name) → object, for every object given."""
    _by_kind: Mapping[str, tuple[Mapping[str, Any], ...]]
    _by_owner: Mapping[tuple[str, str, str], Workload]
    _by_node: Mapping[str, tuple[Workload, ...]]

    def pods_on(self, node: str) -> tuple[RunningPod, ...]:
        """Every running pod on `node`, node agents included (what a drain must consider)."""
        return tuple(p for w in self.workloads for p in w.pods if p.node == node)

    def on_node(self, node: str) -> tuple[Workload, ...]:
        """Workloads (node agents left out) with at least one running pod on `node`."""
        return self._by_node.get(node, ())

    def of_kind(self, *kinds: str) -> tuple[Mapping[str, Any], ...]:
        """Objects of the given kinds, in a stable order."""
        return tuple(o for kind in kinds for o in self._by_kind.get(kind, ()))

    def workload(self, owner: ObjectRef) -> Workload | None:
        """The running workload whose top-level owner is `owner` (by kind, namespace, name)."""
        return self._by_owner.get((owner.kind, owner.namespace or "", owner.name))


def build_model(objects: Iterable[Mapping[str, Any]]) -> WorkloadModel:
    """Resolve every running pod among `objects` to its top-level owner."""
    index: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    refs: dict[tuple[str, str, str], ObjectRef] = {}
    for obj in objects:
        ref = ref_of(obj)
        key = (ref.kind, ref.namespace or "", ref.name)
        index[key] = obj
        refs[key] = ref
    grouped: dict[ObjectRef, list[RunningPod]] = defaultdict(list)
    for key, obj in index.items():
        if key[0] == "Pod" and is_running(obj):
            pod = _running_pod(obj, index, refs[key])
            grouped[pod.owner].append(pod)
    # Sorted by the refs' fields as tuples: the order `ObjectRef`'s generated comparison
    # gives, without a Python-level __lt__ call per comparison (1.4 million at 150k pods).
    workloads = tuple(
        Workload(o, tuple(sorted(p, key=lambda x: _order(x.ref))))
        for o, p in sorted(grouped.items(), key=lambda item: _order(item[0]))
    )
    by_kind: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for key in sorted(index):
        by_kind[key[0]].append(index[key])
    by_node: dict[str, list[Workload]] = defaultdict(list)
    for w in workloads:
        if w.node_agent:
            continue
        for node in w.nodes:
            by_node[node].append(w)
    return WorkloadModel(
        workloads=workloads,
        objects=index,
        _by_kind={k: tuple(v) for k, v in by_kind.items()},
        _by_owner={(w.owner.kind, w.owner.namespace or "", w.owner.name): w for w in workloads},
        _by_node={n: tuple(ws) for n, ws in by_node.items()},
    )


def _order(ref: ObjectRef) -> tuple[str, str, str | None, str]:
    return (ref.api_version, ref.kind, ref.namespace, ref.name)


def is_running(pod: Mapping[str, Any]) -> bool:
    """Running, or bound to a node and still Pending."""
    phase = (pod.get("status") or {}).get("phase")
    node = (pod.get("spec") or {}).get("nodeName")
    return phase == "Running" or (phase == "Pending" and bool(node))


def gpu_units(container: Container) -> int:
    """GPU units of one container: from limits, else from requests."""
    resources = container.get("resources") or {}
    for side in (resources.get("limits"), resources.get("requests")):
        units = _gpu_sum(side or {})
        if units:
            return units
    return 0


def _gpu_sum(quantities: Mapping[str, Any]) -> int:
    total = 0
    for name, value in quantities.items():
        if name == GPU_RESOURCE or str(name).startswith(_MIG_PREFIX):
            total += _int(value)
    return total


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _running_pod(
    pod: Mapping[str, Any],
    index: Mapping[tuple[str, str, str], Mapping[str, Any]],
    ref: ObjectRef,
) -> RunningPod:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    containers = list(spec.get("containers") or ())
    return RunningPod(
        ref=ref,
        owner=top_owner(pod, index, ref),
        node=str(spec.get("nodeName") or ""),
        gpus=sum(gpu_units(c) for c in containers),
        started=parse_time(status.get("startTime")),
        images=tuple(str(c.get("image") or "") for c in containers),
        image_ids=tuple(str(s.get("imageID") or "") for s in status.get("containerStatuses") or ()),
        claims=tuple(
            str(v["persistentVolumeClaim"].get("claimName") or "")
            for v in spec.get("volumes") or ()
            if v.get("persistentVolumeClaim")
        ),
        obj=pod,
    )


def top_owner(
    obj: Mapping[str, Any],
    index: Mapping[tuple[str, str, str], Mapping[str, Any]],
    ref: ObjectRef | None = None,
) -> ObjectRef:
    """Walk controller ownerReferences up to the last owner; the object itself if none.

    `ref` is `obj`'s own reference when the caller has it already."""
    current = ref or ref_of(obj)
    node = obj
    for _ in range(_MAX_DEPTH):
        owner = _controller(node)
        if owner is None:
            return current
        current = ObjectRef(
            str(owner.get("apiVersion") or ""),
            str(owner.get("kind") or ""),
            current.namespace,
            str(owner.get("name") or ""),
        )
        found = index.get((current.kind, current.namespace or "", current.name))
        if found is None:
            return current
        node = found
    return current


def _controller(obj: Mapping[str, object]) -> OwnerReference | None:
    """The controlling owner reference, or the only one when none is marked controller."""
    refs = owner_references_of(obj)
    controllers = [r for r in refs if r.get("controller")]
    if controllers:
        return controllers[0]
    return refs[0] if len(refs) == 1 else None

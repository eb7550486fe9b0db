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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
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
class _Member:
    """A running pod as the model is built: what grouping, GPU and node counts need.

    The `RunningPod` (start time, images, claims, its own ref) is made only when a rule
    asks for the workload's pods: at 150,000 pods most are node agents no rule reads."""

    obj: Mapping[str, Any]
    node: str
    gpus: int


@dataclass(frozen=True, slots=True)
class Workload:
    """A top-level owner and its running pods (made on first use, then kept)."""

    owner: ObjectRef
    gpus: int
    """GPUs held by all running pods."""
    nodes: tuple[str, ...]
    """The distinct nodes the pods run on, sorted."""
    _members: tuple[_Member, ...] = field(repr=False, compare=False)
    _made: list[tuple[RunningPod, ...]] = field(default_factory=list, repr=False, compare=False)

    @property
    def pods(self) -> tuple[RunningPod, ...]:
        """The running pods, sorted by their refs."""
        if not self._made:
            self._made.append(_sorted_pods(self.owner, self._members))
        return self._made[0]

    def pods_where(self, test: Callable[[Mapping[str, Any]], bool]) -> tuple[RunningPod, ...]:
        """The running pods whose object passes `test`, in `pods` order; only those are
        made when the others have not been."""
        if self._made:
            return tuple(p for p in self._made[0] if test(p.obj))
        return _sorted_pods(self.owner, tuple(m for m in self._members if test(m.obj)))

    def pods_on(self, node: str) -> tuple[RunningPod, ...]:
        """The running pods on `node`, in `pods` order."""
        if self._made:
            return tuple(p for p in self._made[0] if p.node == node)
        return _sorted_pods(self.owner, tuple(m for m in self._members if m.node == node))

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
    _by_kind: Mapping[str, list[tuple[str, str, str]]]
    _by_owner: Mapping[tuple[str, str, str], Workload]
    _by_node: Mapping[str, tuple[Workload, ...]]
    _sorted: dict[str, tuple[Mapping[str, Any], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def pods_on(self, node: str) -> tuple[RunningPod, ...]:
        """Every running pod on `node`, node agents included (what a drain must consider)."""
        return tuple(p for w in self.workloads if node in w.nodes for p in w.pods_on(node))

    def on_node(self, node: str) -> tuple[Workload, ...]:
        """Workloads (node agents left out) with at least one running pod on `node`."""
        return self._by_node.get(node, ())

    def of_kind(self, *kinds: str) -> tuple[Mapping[str, Any], ...]:
        """Objects of the given kinds, in a stable order (by namespace and name)."""
        return tuple(o for kind in kinds for o in self._kind(kind))

    def _kind(self, kind: str) -> tuple[Mapping[str, Any], ...]:
        # Sorted when first asked for: rules ask for a few small kinds, never all 157k.
        if kind not in self._sorted:
            keys = sorted(self._by_kind.get(kind, ()))
            self._sorted[kind] = tuple(self.objects[k] for k in keys)
        return self._sorted[kind]

    def workload(self, owner: ObjectRef) -> Workload | None:
        """The running workload whose top-level owner is `owner` (by kind, namespace, name)."""
        return self._by_owner.get((owner.kind, owner.namespace or "", owner.name))


Group = tuple[str, str, str | None, str]
"""A top-level owner's (apiVersion, kind, namespace, name): `ObjectRef`'s order."""


def build_model(objects: Iterable[Mapping[str, Any]]) -> WorkloadModel:
    """Resolve every running pod among `objects` to its top-level owner.

    One pass of plain dict lookups per pod (its key, phase, node, GPUs and owner walk);
    a later object with the key of an earlier one replaces it, as in `objects`."""
    index: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for obj in objects:
        meta = obj.get("metadata") or {}
        key = (
            str(obj.get("kind") or ""),
            str(meta.get("namespace") or ""),
            str(meta.get("name") or ""),
        )
        index[key] = obj
    by_kind: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    grouped: dict[Group, list[_Member]] = defaultdict(list)
    for key, obj in index.items():
        by_kind[key[0]].append(key)
        if key[0] == "Pod":
            _group(obj, index, grouped)
    workloads = tuple(_workload(g, grouped[g]) for g in sorted(grouped))
    by_node: dict[str, list[Workload]] = defaultdict(list)
    for w in workloads:
        if w.node_agent:
            continue
        for node in w.nodes:
            by_node[node].append(w)
    return WorkloadModel(
        workloads=workloads,
        objects=index,
        _by_kind=by_kind,
        _by_owner={(w.owner.kind, w.owner.namespace or "", w.owner.name): w for w in workloads},
        _by_node={n: tuple(ws) for n, ws in by_node.items()},
    )


def _group(
    pod: Mapping[str, Any],
    index: Mapping[tuple[str, str, str], Mapping[str, Any]],
    grouped: dict[Group, list[_Member]],
) -> None:
    """Add `pod`, when running, to its top-level owner's group."""
    spec = pod.get("spec") or {}
    node = spec.get("nodeName")
    phase = (pod.get("status") or {}).get("phase")
    if not (phase == "Running" or (phase == "Pending" and node)):
        return
    meta = pod.get("metadata") or {}
    namespace = meta.get("namespace") or None
    namespace = str(namespace) if namespace else None
    top = _walk(pod, index, namespace or "")
    if top is None:  # no owner: the pod is its own workload
        kind, name = str(pod.get("kind") or ""), str(meta.get("name") or "")
        top = (str(pod.get("apiVersion") or ""), kind, name)
    gpus = sum(gpu_units(c) for c in spec.get("containers") or ())
    grouped[(top[0], top[1], namespace, top[2])].append(_Member(pod, str(node or ""), gpus))


def _workload(group: Group, members: list[_Member]) -> Workload:
    nodes = tuple(sorted({m.node for m in members}))
    return Workload(ObjectRef(*group), sum(m.gpus for m in members), nodes, tuple(members))


def _sorted_pods(owner: ObjectRef, members: tuple[_Member, ...]) -> tuple[RunningPod, ...]:
    # Sorted by the refs' fields as tuples: the order `ObjectRef`'s generated comparison
    # gives, without a Python-level __lt__ call per comparison (1.4 million at 150k pods).
    pods = (_running_pod(m, owner) for m in members)
    return tuple(sorted(pods, key=lambda p: _order(p.ref)))


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


def _running_pod(member: _Member, owner: ObjectRef) -> RunningPod:
    pod = member.obj
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    containers = list(spec.get("containers") or ())
    return RunningPod(
        ref=ref_of(pod),
        owner=owner,
        node=member.node,
        gpus=member.gpus,
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
    top = _walk(obj, index, current.namespace or "")
    return current if top is None else ObjectRef(top[0], top[1], current.namespace, top[2])


def _walk(
    obj: Mapping[str, Any], index: Mapping[tuple[str, str, str], Mapping[str, Any]], namespace: str
) -> tuple[str, str, str] | None:
    """(apiVersion, kind, name) of the last controller owner up the chain; None when `obj`
    has no owner. An owner not in `index` is named from the reference and ends the walk."""
    top, node = None, obj
    for _ in range(_MAX_DEPTH):
        owner = _controller(node)
        if owner is None:
            return top
        kind, name = str(owner.get("kind") or ""), str(owner.get("name") or "")
        top = (str(owner.get("apiVersion") or ""), kind, name)
        found = index.get((kind, namespace, name))
        if found is None:
            return top
        node = found
    return top


def _controller(obj: Mapping[str, object]) -> OwnerReference | None:
    """The controlling owner reference, or the only one when none is marked controller."""
    refs = owner_references_of(obj)
    for r in refs:
        if r.get("controller"):
            return r
    return refs[0] if len(refs) == 1 else None

"""AI workload rules on running pods: node consistency, image references, GPU limits, skew.

- `multi-node-job-inconsistent`: a workload running on two nodes or more (other than a
  serving kind, whose replicas are independent) whose nodes disagree on the NVIDIA driver,
  the CUDA version the driver supports, the kernel or the GPU product. NCCL collectives
  across such nodes hang or fail, or silently run slower. The odd nodes are those the node
  analysis flagged on that fact (their pool's majority disagrees with them), measured
  against the value the unflagged nodes share; without node findings, a strict majority of
  the job's own nodes. When neither exists (a 2-node job split 1:1 in a pool with no
  majority) the finding lists every node's value and names no culprit: blaming the
  healthy half would send the operator to the wrong node.
- `mutable-image`: a GPU workload running an image by `:latest` or with no tag, and no
  digest; a restarted member may pull different code than its peers.
- `gpu-pod-without-gpu-limit`: a pod running on a node with GPU capacity, tolerating the
  `nvidia.com/gpu` taint, that declares no GPU in limits or requests. (A request without a
  limit cannot exist on a live pod: the API server rejects it.) Such a pod escapes the device
  plugin's accounting and, with the default `NVIDIA_VISIBLE_DEVICES=all` of CUDA images,
  can see every GPU on the node. Node agents (DaemonSet and static pods: the device plugin, the
  DCGM exporter) are exempt.
- `inference-image-skew`: replicas of one Deployment or InferenceService running different
  images (by `spec.containers[].image`, or by the pulled `imageID` when the references are
  equal: a mutable tag pulled at different times). A rollout in progress shows the same
  picture; a finished rollout does not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from kubedrift.analysis.gpu_labels import CUDA_FULL, DRIVER_FULL, GPU_PRODUCT
from kubedrift.analysis.workload_findings import WorkloadRule, impact_of, workload_finding
from kubedrift.analysis.workload_model import GPU_RESOURCE, RunningPod, Workload, WorkloadModel
from kubedrift.model import Category, Finding, Severity

__all__ = [
    "SERVING_KINDS",
    "gpu_without_limit",
    "image_skew",
    "inconsistent_nodes",
    "is_mutable_image",
    "mutable_images",
]

SERVING_KINDS = frozenset({"Deployment", "ReplicaSet", "InferenceService"})
_DRIVER, _CUDA = "label:" + DRIVER_FULL, "label:" + CUDA_FULL
_FACTS = (
    ("label:" + DRIVER_FULL, ("metadata", "labels", DRIVER_FULL)),
    ("label:" + CUDA_FULL, ("metadata", "labels", CUDA_FULL)),
    ("nodeInfo.kernelVersion", ("status", "nodeInfo", "kernelVersion")),
    ("label:" + GPU_PRODUCT, ("metadata", "labels", GPU_PRODUCT)),
)


def inconsistent_nodes(
    model: WorkloadModel,
    nodes: Mapping[str, Mapping[str, Any]],
    now: datetime,
    node_findings: Sequence[Finding] = (),
) -> Iterator[Finding]:
    """One finding per multi-node workload and fact its nodes disagree on."""
    flagged = _flagged_facts(node_findings)
    for w in model.workloads:
        if not w.multi_node or w.owner.kind in SERVING_KINDS:
            continue
        for fact, path in _FACTS:
            values = {n: _dig(nodes.get(n, {}), path) for n in w.nodes}
            if len({v for v in values.values() if v is not None}) > 1:
                odd = {n for n in w.nodes if fact in flagged.get(n, ())}
                yield _inconsistent(w, fact, values, _reference(values, odd), now)


def _flagged_facts(findings: Sequence[Finding]) -> dict[str, set[str]]:
    """Node → the facts node analysis reported on it (CUDA follows the driver)."""
    flagged: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        if f.category is Category.NODE and f.object.kind == "Node":
            flagged[f.object.name].add(f.path)
            if f.path == _DRIVER:
                flagged[f.object.name].add(_CUDA)
    return flagged


def _reference(values: Mapping[str, str | None], odd: set[str]) -> str | None:
    """The value the job's nodes should have, or None when nothing says which side is right."""
    healthy = {v for n, v in values.items() if n not in odd and v is not None}
    if odd and len(healthy) == 1:
        return next(iter(healthy))
    if not odd:
        counts = Counter(v for v in values.values() if v is not None).most_common(1)
        if counts and counts[0][1] * 2 > len(values):
            return counts[0][0]
    return None


def _inconsistent(
    w: Workload, fact: str, values: Mapping[str, str | None], reference: str | None, now: datetime
) -> Finding:
    if reference is None:
        return _undecided(w, fact, values, now)
    odd = sorted(n for n, v in values.items() if v != reference)
    return workload_finding(
        obj=w.owner,
        rule=WorkloadRule.MULTI_NODE_INCONSISTENT,
        severity=Severity.HIGH,
        path=fact,
        desired=reference,
        # only the nodes that differ: a 64-node job's finding must read in a few lines,
        # and a node joining on the majority's value is not a change of the finding
        live={n: values[n] for n in odd},
        message=(
            f"{w.label()} spans {len(w.nodes)} nodes that disagree on {fact}: "
            + ", ".join(f"{n}={values[n]}" for n in odd)
            + f" (others {reference})"
        ),
        impact=impact_of(w, now),
        details={"nodes": ",".join(odd)},
    )


def _undecided(w: Workload, fact: str, values: Mapping[str, str | None], now: datetime) -> Finding:
    groups: dict[str, list[str]] = defaultdict(list)
    for node, value in sorted(values.items()):
        groups[str(value)].append(node)
    shown = "; ".join(f"{v} on {', '.join(ns)}" for v, ns in sorted(groups.items()))
    return workload_finding(
        obj=w.owner,
        rule=WorkloadRule.MULTI_NODE_INCONSISTENT,
        severity=Severity.HIGH,
        path=fact,
        desired=None,
        live=dict(sorted(values.items())),
        message=(
            f"{w.label()} spans {len(w.nodes)} nodes that disagree on {fact}: {shown}; "
            "neither their pool nor the job has a majority, so no side is picked"
        ),
        impact=impact_of(w, now),
        details={"nodes": ",".join(sorted(values))},
    )


def _dig(obj: Mapping[str, Any], path: Sequence[str]) -> str | None:
    current: Any = obj
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return None if current is None else str(current)


def is_mutable_image(image: str) -> bool:
    """`:latest` or no tag, and no `@sha256:` digest."""
    if "@" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.rsplit(":", 1)[1] == "latest"


def mutable_images(model: WorkloadModel, now: datetime) -> Iterator[Finding]:
    """One finding per GPU workload with a mutable image reference."""
    for w in model.workloads:
        if w.gpus == 0:
            continue
        mutable = sorted({i for p in w.pods for i in p.images if is_mutable_image(i)})
        if mutable:
            yield workload_finding(
                obj=w.owner,
                rule=WorkloadRule.MUTABLE_IMAGE,
                severity=Severity.MEDIUM,
                path="images",
                desired="an image pinned by tag or digest",
                live=mutable,
                message=(
                    f"{w.label()} ({w.gpus} GPUs) runs mutable image "
                    f"{', '.join(mutable)}: a restarted member may pull different code"
                ),
                impact=impact_of(w, now),
            )


def gpu_without_limit(
    model: WorkloadModel, nodes: Mapping[str, Mapping[str, Any]]
) -> Iterator[Finding]:
    """Pods on GPU nodes that tolerate the GPU taint but declare no GPU (see module doc)."""
    for w in model.workloads:
        if w.node_agent:  # a DaemonSet's or a static pod: the node's own plumbing
            continue
        pods = [p for p in w.pods if _gpu_node(nodes.get(p.node)) and _bypasses(p)]
        if pods:
            names = sorted(p.ref.name for p in pods)
            yield workload_finding(
                obj=w.owner,
                rule=WorkloadRule.GPU_POD_WITHOUT_GPU_LIMIT,
                severity=Severity.MEDIUM,
                path=f"resources.limits.{GPU_RESOURCE}",
                desired="a GPU limit on pods that tolerate the GPU taint",
                live=None,
                message=(
                    f"{w.label()}: {len(pods)} pods on GPU nodes tolerate the GPU taint "
                    f"but set no {GPU_RESOURCE} limit: {', '.join(names)}"
                ),
                impact=None,
                details={
                    "pods": ",".join(names),
                    "nodes": ",".join(sorted({p.node for p in pods})),
                },
            )


def _gpu_node(node: Mapping[str, Any] | None) -> bool:
    capacity = ((node or {}).get("status") or {}).get("capacity") or {}
    return str(capacity.get(GPU_RESOURCE, "0")) not in ("0", "")


def _bypasses(pod: RunningPod) -> bool:
    if pod.gpus:
        return False
    tolerations = (pod.obj.get("spec") or {}).get("tolerations") or ()
    return any(
        t.get("key") == GPU_RESOURCE or (not t.get("key") and t.get("operator") == "Exists")
        for t in tolerations
    )


def image_skew(model: WorkloadModel, now: datetime) -> Iterator[Finding]:
    """Replicas of one serving workload running different images."""
    for w in model.workloads:
        if w.owner.kind not in SERVING_KINDS or len(w.pods) < 2:
            continue
        by_image = _pods_by(w.pods, lambda p: " ".join(p.images))
        if len(by_image) < 2:
            by_image = _pods_by(w.pods, lambda p: " ".join(p.image_ids))
        if len(by_image) > 1:
            yield _skew(w, by_image, now)


def _pods_by(pods: Sequence[RunningPod], key: Any) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for p in pods:
        value = key(p)
        if value.strip():
            grouped[value].append(p.ref.name)
    return dict(grouped)


def _skew(w: Workload, by_image: dict[str, list[str]], now: datetime) -> Finding:
    common = max(sorted(by_image), key=lambda i: len(by_image[i]))
    live = {image: sorted(pods) for image, pods in sorted(by_image.items())}
    return workload_finding(
        obj=w.owner,
        rule=WorkloadRule.INFERENCE_IMAGE_SKEW,
        severity=Severity.MEDIUM,
        path="images",
        desired=common,
        live=live,
        message=(
            f"{w.label()}: {len(w.pods)} replicas run {len(by_image)} different images: "
            + "; ".join(f"{i} ({len(p)})" for i, p in live.items())
        ),
        impact=impact_of(w, now),
    )

"""The rules of node analysis and how their findings are built.

Every node finding is category `node`, names the Node (`v1`, `Node`, no namespace) and
carries its pool in `details` under `pool` (what the table groups by). Findings about a
whole pool (no majority on a fact) name a `kubedrift.io/v1alpha1` `NodePool` instead.

`path` is a fact name (see `analysis.facts`); a rule that compares a family of labels
names the family with `*` (`label:nvidia.com/cuda.driver.*`), and the profile rules that
are about the node's profiles rather than a fact use `profiles`.
"""

from __future__ import annotations

import enum

from kubedrift.model import JSON, MISSING, Category, Finding, ObjectRef, Severity

POOL_DETAIL = "pool"
POOL_API_VERSION = "kubedrift.io/v1alpha1"


class NodeRule(enum.Enum):
    """Rule ids of node findings (the `rule` field of the output contract)."""

    PROFILE_MISMATCH = "profile-mismatch"
    PROFILE_OVERLAP = "profile-overlap"
    PROFILE_UNMATCHED_GPU_NODE = "profile-unmatched-gpu-node"
    PEER_MISMATCH = "peer-mismatch"
    PEER_TIE = "peer-tie"
    PEER_SPLIT = "peer-split"
    NO_CONSENSUS = "no-consensus"
    GPU_COUNT_MISMATCH = "gpu-count-mismatch"
    GPU_UNHEALTHY = "gpu-unhealthy"
    MIG_CONFIG_NOT_APPLIED = "mig-config-not-applied"
    DRIVER_LABEL_DISAGREEMENT = "driver-label-disagreement"
    DRIVER_TOO_OLD_FOR_CUDA = "driver-too-old-for-cuda"
    DRIVER_UPGRADE_FAILED = "driver-upgrade-failed"
    GFD_LABELS_STALE = "gfd-labels-stale"
    KERNEL_CHANGED_SINCE_DRIVER = "kernel-changed-since-driver"
    LIKELY_TO_DRIFT = "likely-to-drift"
    """A notice, not drift: the node's pool is mid upgrade wave and it has yet to change."""


def node_ref(name: str) -> ObjectRef:
    """The reference of a Node."""
    return ObjectRef("v1", "Node", None, name)


def pool_ref(pool: str) -> ObjectRef:
    """The reference of a node pool, for findings about the pool as a whole."""
    return ObjectRef(POOL_API_VERSION, "NodePool", None, pool)


def node_finding(
    ref: ObjectRef,
    pool: str,
    rule: NodeRule,
    *,
    severity: Severity,
    path: str,
    desired: JSON,
    live: JSON,
    message: str,
    details: tuple[tuple[str, str], ...] = (),
) -> Finding:
    """A node-category finding with its pool recorded in `details`."""
    return Finding(
        category=Category.NODE,
        severity=severity,
        object=ref,
        path=path,
        desired=desired,
        live=live,
        rule=rule.value,
        message=message,
        details=((POOL_DETAIL, pool), *details),
    )


_TITLES = {
    "nodeInfo.kernelVersion": "kernel",
    "nodeInfo.osImage": "OS image",
    "nodeInfo.containerRuntimeVersion": "container runtime",
    "nodeInfo.kubeletVersion": "kubelet",
    "nodeInfo.kubeProxyVersion": "kube-proxy",
    "nodeInfo.architecture": "architecture",
    "nodeInfo.operatingSystem": "operating system",
    "label:nvidia.com/cuda.driver-version.full": "NVIDIA driver",
    "label:nvidia.com/cuda.runtime-version.full": "CUDA version",
    "label:nvidia.com/gpu.product": "GPU product",
    "label:nvidia.com/gpu.count": "GPU count",
    "label:nvidia.com/mig.config": "MIG configuration",
    "capacity:nvidia.com/gpu": "GPU capacity",
    "allocatable:nvidia.com/gpu": "allocatable GPUs",
}
_KIND_TITLES = {
    "label": "label",
    "taint": "taint",
    "capacity": "capacity",
    "allocatable": "allocatable",
    "agent": "agent fact",
}


def fact_title(name: str) -> str:
    """How a message names a fact: `kernel`, `NVIDIA driver`, `label example.com/x`."""
    title = _TITLES.get(name)
    if title is not None:
        return title
    prefix, sep, rest = name.partition(":")
    if sep and prefix in _KIND_TITLES:
        return f"{_KIND_TITLES[prefix]} {rest}"
    return name


def show(value: JSON) -> str:
    """A value inside a message: the text itself, `(missing)` for `MISSING`, `""` quoted."""
    if value is MISSING:
        return "(missing)"
    if value == "":
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

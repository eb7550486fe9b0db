"""Impact of node drift: which running workloads each drifted node puts at risk.

A node is *drifted* when a node-level finding (object kind `Node`, severity low or above)
names it; pool-level findings (`NodePool`) are not about one node and are left alone.
Each running workload with a pod on a drifted node gets one `workload-on-drifted-node`
finding carrying the workload's whole GPU count and GPU-hours: a multi-node job fails as a
whole when one member fails. Its severity is the highest of the node findings under it,
one step higher when the workload spans several nodes. Node findings get the impact of the
GPUs on that node, and rise one step when a running multi-node job sits on the node.

Only facts that can break a job are raised (`breaks_jobs`): the driver and CUDA version,
the kernel, the GPU product, count and health, MIG, the container runtime, and the GPU
rules about them. A bookkeeping label that differs (an NFD feature label, a GPU operator
switch, a missing label family) keeps its own severity whatever runs on the node.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from kubedrift.analysis.workload_findings import WorkloadRule
from kubedrift.analysis.workload_model import Workload, WorkloadModel
from kubedrift.model import JSON, MISSING, Category, Finding, Impact, Severity

__all__ = ["NodeImpact", "breaks_jobs", "drifted_nodes", "node_impact", "raise_one"]

_SEVERITIES = list(Severity)
_BREAKING_PATHS = (
    "label:nvidia.com/cuda.driver-version.full",
    "label:nvidia.com/cuda.driver.[*]",  # the split driver labels of GFD < v0.15, as one
    "label:nvidia.com/cuda.runtime-version.full",
    "label:nvidia.com/gpu.product",
    "label:nvidia.com/gpu.count",
    "label:nvidia.com/mig.*",
    "label:nvidia.com/gpu-driver-upgrade-state",
    "label:feature.node.kubernetes.io/kernel-version.*",
    "nodeInfo.kernelVersion",
    "nodeInfo.containerRuntimeVersion",
    "capacity:nvidia.com/*",
    "allocatable:nvidia.com/*",
    "agent:nvml.*",
    "agent:module.nvidia*",
    "agent:nvidia.driver.kernel",
)


def breaks_jobs(finding: Finding) -> bool:
    """Whether the finding's fact can break a job running across nodes (see module doc)."""
    return any(fnmatch.fnmatchcase(finding.path, p) for p in _BREAKING_PATHS)


@dataclasses.dataclass(frozen=True, slots=True)
class NodeImpact:
    """Node findings with impact attached, and one finding per workload at risk."""

    node_findings: tuple[Finding, ...]
    workload_findings: tuple[Finding, ...]


def raise_one(severity: Severity) -> Severity:
    """One step more serious, at most critical."""
    return _SEVERITIES[min(severity.rank + 1, len(_SEVERITIES) - 1)]


def drifted_nodes(findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    """Node name → its node-level findings of severity low or above."""
    by_node: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.category is Category.NODE and f.object.kind == "Node" and f.severity >= Severity.LOW:
            by_node[f.object.name].append(f)
    return dict(by_node)


def node_impact(findings: Sequence[Finding], model: WorkloadModel, now: datetime) -> NodeImpact:
    """Attach impact to node findings and name every workload on a drifted node."""
    drifted = drifted_nodes(findings)
    return NodeImpact(
        node_findings=tuple(_with_impact(f, model, now, drifted) for f in findings),
        workload_findings=tuple(
            _workload_finding(w, drifted, now)
            for w in model.workloads
            if not w.node_agent and any(n in drifted for n in w.nodes)
        ),
    )


def _with_impact(
    finding: Finding, model: WorkloadModel, now: datetime, drifted: dict[str, list[Finding]]
) -> Finding:
    node = finding.object.name
    if node not in drifted or finding not in drifted[node]:
        return finding
    workloads = model.on_node(node)
    if not workloads:
        return finding
    pods = [p for w in workloads for p in w.pods if p.node == node]
    impact = Impact(
        gpus=sum(p.gpus for p in pods),
        gpu_hours=sum(p.gpus * p.hours(now) for p in pods),
        workloads=tuple(w.label() for w in workloads),
    )
    severity = finding.severity
    if breaks_jobs(finding) and any(w.multi_node for w in workloads):
        severity = raise_one(severity)
    return dataclasses.replace(finding, impact=impact, severity=severity)


def _workload_finding(w: Workload, drifted: dict[str, list[Finding]], now: datetime) -> Finding:
    under = {n: drifted[n] for n in w.nodes if n in drifted}
    severity = max((f.severity for fs in under.values() for f in fs), key=lambda s: s.rank)
    if w.multi_node and any(breaks_jobs(f) for fs in under.values() for f in fs):
        severity = raise_one(severity)
    facts = sorted({f.path for fs in under.values() for f in fs})
    live: dict[str, JSON] = {n: {f.path: _plain(f.live) for f in fs} for n, fs in under.items()}
    return Finding(
        category=Category.WORKLOAD,
        severity=severity,
        object=w.owner,
        path="nodes",
        desired="nodes consistent with their pool",
        live=live,
        rule=WorkloadRule.ON_DRIFTED_NODE.value,
        message=(
            f"{w.label()} ({w.gpus} GPUs on {len(w.nodes)} nodes) runs on drifted "
            f"{_plural(len(under), 'node')} {', '.join(under)}: {', '.join(facts)}"
        ),
        impact=Impact(gpus=w.gpus, gpu_hours=w.gpu_hours(now), workloads=(w.label(),)),
        details=(("nodes", ",".join(under)), ("facts", ",".join(facts))),
    )


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def _plain(value: JSON) -> JSON:
    return None if value is MISSING else value

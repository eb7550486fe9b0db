"""Node quarantine plans (pure): which node findings warrant a cordon, and what a drain may evict.

**Which findings.** A node is quarantined (cordoned, and tainted
`kubedrift.io/drift=<rule>:NoSchedule` so that pods tolerating `unschedulable` still keep
away) only for drift that makes it unfit for new GPU work: a finding on one `Node` (not a
pool-wide `NodePool` one) of severity high or critical, whose rule says the GPU stack is
broken (`QUARANTINE_RULES`: unhealthy or missing GPUs, a failed driver upgrade or MIG
reconfiguration, a driver too old for the CUDA it claims, a driver built for another
kernel), or whose fact can break a job (`analysis.impact.breaks_jobs`: driver, CUDA,
kernel, GPU product, runtime) and differs from the node's profile or its pool. Everything
else stays `none` with the reason: bookkeeping labels, low and medium findings
(informational, or fixed by relabelling), disagreements in the pool that name no culprit.
The most severe finding of a node carries the action; the node's others are `covers`.

**What a drain evicts** (`pod_notes`), after `kubectl drain`'s own filters
(kubernetes/kubectl `pkg/drain/filters.go`: skip deleted, DaemonSet and mirror pods;
refuse unreplicated pods without `--force` and emptyDir pods without
`--delete-emptydir-data`; its help text: "will not delete any daemon set-managed pods,
because those pods would be immediately replaced by the daemon set controller, which
ignores unschedulable markings" and mirror pods "cannot be deleted through the API
server"). kubedrift never forces, and adds two AI rules that `kubectl drain` lacks: a pod
of a running gang or multi-node job (`analysis.gangs.gang_of`: JobSet, LeaderWorkerSet,
Kubeflow jobs, Ray, Volcano PodGroup, Kueue, any job spanning nodes) and a training pod
whose PVC has no fresh successful Velero backup (`analysis.backups`) are *held*: the node
is cordoned now and drained after the job ends or checkpoints, the job named. A drain is
planned only when no pod is held and every pod on the node could be seen.

**Release.** A node carrying kubedrift's mark (`CORDONED_BY`, set in the same request as
the cordon) or taint whose drift no longer warrants quarantine is released: uncordoned
only when kubedrift cordoned it, its taint removed either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubedrift.analysis.gangs import gang_of
from kubedrift.analysis.impact import breaks_jobs
from kubedrift.analysis.workload_model import RunningPod, WorkloadModel
from kubedrift.analysis.workload_rules import SERVING_KINDS
from kubedrift.model import Category, Finding, ObjectRef, Severity, ref_of
from kubedrift.model.kube import Taint, as_node, metadata_of, node_spec_of, owner_references_of
from kubedrift.model.rules import NodeRule, RemedyRule
from kubedrift.remediate.plan import (
    Action,
    Cordon,
    Drain,
    NoAction,
    PodNote,
    Risk,
    Uncordon,
    risk_of,
)

TAINT_KEY = "kubedrift.io/drift"
CORDONED_BY = "kubedrift.io/cordoned-by"
"""Set (to `kubedrift`) in the cordon's own request: the proof that kubedrift cordoned."""
CORDON_REASON = "kubedrift.io/cordon-reason"
RESOLVED_RULE = RemedyRule.NODE_DRIFT_RESOLVED.value
MIRROR = "kubernetes.io/config.mirror"
QUARANTINE_RULES = frozenset(
    {
        NodeRule.GPU_UNHEALTHY,
        NodeRule.GPU_COUNT_MISMATCH,
        NodeRule.DRIVER_UPGRADE_FAILED,
        NodeRule.MIG_CONFIG_NOT_APPLIED,
        NodeRule.DRIVER_TOO_OLD_FOR_CUDA,
        NodeRule.KERNEL_CHANGED_SINCE_DRIVER,
    }
)
_FACT_RULES = frozenset({NodeRule.PROFILE_MISMATCH, NodeRule.PEER_MISMATCH})
_REPLICATED = frozenset({"ReplicaSet", "ReplicationController", "StatefulSet", "Job"})


@dataclass(frozen=True, slots=True)
class NodeContext:
    """What node plans are judged with: live nodes, running workloads, unprotected PVCs.

    `complete`: every pod on every node could be listed (RBAC let us); a drain is never
    planned otherwise.
    """

    nodes: Mapping[str, Mapping[str, object]]
    model: WorkloadModel
    unprotected: Mapping[tuple[str, str], str]
    complete: bool = True


@dataclass(frozen=True, slots=True)
class NodePlan:
    """The action of each node finding (by identity), and releases of resolved nodes."""

    by_finding: Mapping[tuple[str, ...], Action]
    releases: tuple[Action, ...]


def quarantine_bar(finding: Finding) -> str:
    """Why `finding` does not warrant quarantine, or "" when it does (see module doc)."""
    if finding.object.kind != "Node" or finding.object.name == "*":
        return "not about one node: there is no single node to cordon"
    if finding.severity < Severity.HIGH:
        return (
            f"{finding.severity.value} node drift: informational, below the quarantine bar "
            "(high); the node keeps its work"
        )
    if finding.rule in QUARANTINE_RULES:
        return ""
    if finding.rule in _FACT_RULES and breaks_jobs(finding):
        return ""
    return f"`{finding.path}` ({finding.rule}) does not break jobs: no quarantine"


def plan_nodes(findings: Sequence[Finding], ctx: NodeContext, *, drain: bool) -> NodePlan:
    """Node actions for `findings` (node ones; others are ignored), and releases."""
    by_node: dict[str, list[Finding]] = {}
    out: dict[tuple[str, ...], Action] = {}
    for f in findings:
        if f.category is not Category.NODE:
            continue
        why_not = quarantine_bar(f)
        if why_not:
            out[f.identity()] = NoAction(f, risk_of(f, None), why_not)
        else:
            by_node.setdefault(f.object.name, []).append(f)
    for found in by_node.values():
        ranked = sorted(found, key=lambda f: -f.severity.rank)
        action = _quarantine(ranked[0], tuple(ranked[1:]), ctx, drain=drain)
        out[ranked[0].identity()] = action
        for other in ranked[1:]:
            why = f"covered by the {action.kind.value} planned for {other.object}"
            out[other.identity()] = NoAction(other, action.risk, why)
    return NodePlan(out, tuple(_releases(ctx, set(by_node))))


def _quarantine(
    primary: Finding, covers: tuple[Finding, ...], ctx: NodeContext, *, drain: bool
) -> Action:
    node = ctx.nodes.get(primary.object.name)
    if node is None:
        return NoAction(primary, reason=f"{primary.object} is not among the live nodes")
    pods = pod_notes(primary.object.name, ctx)
    risk = node_risk(primary.object.name, ctx.model, pods)
    patch = cordon_patch(node, primary.rule, primary.message)
    held = [p for p in pods if p.fate == "hold"]
    evict = [p for p in pods if p.fate == "evict"]
    if patch is None and (not drain or not evict or held or not ctx.complete):
        why = "already cordoned and tainted by kubedrift"
        return NoAction(primary, risk, why + (f"; {_hold_text(held)}" if held else ""))
    body = patch or {}
    if drain and not held and ctx.complete:
        why = f"cordon, taint and drain: evict {len(evict)} pods through the Eviction API"
        return Drain(primary, risk, why, primary.rule, body, pods, covers)
    why = _cordon_text(held, evict, ctx, drain)
    return Cordon(primary, risk, why, primary.rule, body, pods, covers)


def _cordon_text(held: list[PodNote], evict: list[PodNote], ctx: NodeContext, drain: bool) -> str:
    text = "cordon and taint: nothing new lands here, running pods keep running"
    if held:
        return f"cordon now, drain after the job ends or checkpoints: {_hold_text(held)}"
    if drain and not ctx.complete:
        return text + "; no drain: not every pod on the node could be listed (RBAC)"
    if evict:
        return text + f" (`--drain` would evict {len(evict)} pods)"
    return text


def _hold_text(held: Iterable[PodNote]) -> str:
    jobs: dict[str, list[str]] = {}
    for p in held:
        jobs.setdefault(str(p.job) if p.job else str(p.pod), []).append(p.why)
    return "; ".join(f"{job} ({', '.join(sorted(set(whys)))})" for job, whys in jobs.items())


def node_risk(node: str, model: WorkloadModel, pods: Sequence[PodNote]) -> Risk:
    """GPUs held on the node and the workloads running there; high with GPUs or a held job."""
    workloads = model.on_node(node)
    gpus = sum(p.gpus for w in workloads for p in w.pods if p.node == node)
    names = tuple(w.label() for w in workloads)
    held = any(p.fate == "hold" for p in pods)
    level = "high" if gpus or held else ("medium" if names else "low")
    return Risk(level, gpus, names)


# --- pods ------------------------------------------------------------------------------


def pod_notes(node: str, ctx: NodeContext) -> tuple[PodNote, ...]:
    """What a drain does with each pod running on `node` (see module doc)."""
    pods = list(ctx.model.pods_on(node))  # node agents too: a drain says it skips them
    return tuple(_note(p, ctx) for p in sorted(pods, key=lambda p: p.ref))


_Verdict = tuple[str, str, ObjectRef | None] | None
"""(fate, why, job) of one check, or None when the check has nothing to say."""


def _note(pod: RunningPod, ctx: NodeContext) -> PodNote:
    uid = str((pod.obj.get("metadata") or {}).get("uid") or "")
    for check in (_skipped, _in_gang, _unprotected, _kubectl_refuses):
        verdict = check(pod, ctx)
        if verdict is not None:
            fate, why, job = verdict
            return PodNote(pod.ref, uid, fate, why, job)
    return PodNote(pod.ref, uid, "evict", f"managed by {_controller_kind(pod.obj)}", pod.owner)


def _skipped(pod: RunningPod, _: NodeContext) -> _Verdict:
    """What `kubectl drain` leaves alone: terminating, DaemonSet and mirror pods."""
    meta = pod.obj.get("metadata") or {}
    if meta.get("deletionTimestamp"):
        return "skip", "already terminating", None
    if _controller_kind(pod.obj) == "DaemonSet":
        return "skip", "DaemonSet pod (its controller ignores cordons)", None
    if MIRROR in (meta.get("annotations") or {}):
        return "skip", "mirror pod (the API cannot evict it)", None
    return None


def _in_gang(pod: RunningPod, ctx: NodeContext) -> _Verdict:
    gang = gang_of(pod, ctx.model)
    if gang is None:
        return None
    return "hold", f"{gang[1]}: evicting a member stalls all", gang[0]


def _unprotected(pod: RunningPod, ctx: NodeContext) -> _Verdict:
    if not _training(pod, ctx.model):
        return None
    for claim in pod.claims:
        why = ctx.unprotected.get((pod.ref.namespace or "", claim))
        if why is not None:
            text = f"training PVC {claim} has no fresh successful Velero backup ({why})"
            return "hold", text, pod.owner
    return None


def _kubectl_refuses(pod: RunningPod, _: NodeContext) -> _Verdict:
    """What `kubectl drain` refuses without --force / --delete-emptydir-data."""
    if _controller_kind(pod.obj) not in _REPLICATED:
        return "hold", "managed by no controller: evicted, it is gone", None
    volumes = (pod.obj.get("spec") or {}).get("volumes") or ()
    if any("emptyDir" in (v or {}) for v in volumes):
        return "hold", "emptyDir data would be lost", pod.owner
    return None


def _training(pod: RunningPod, model: WorkloadModel) -> bool:
    """A pod of a GPU workload that is not a serving kind (as `analysis.backups` counts)."""
    w = model.workload(pod.owner)
    return w is not None and w.gpus > 0 and pod.owner.kind not in SERVING_KINDS


def _controller_kind(pod: Mapping[str, object]) -> str | None:
    for ref in owner_references_of(pod):
        if ref.get("controller"):
            return ref.get("kind") or ""
    return None


# --- node patches ----------------------------------------------------------------------


def _taints(node: Mapping[str, object]) -> list[Taint]:
    return [Taint(**t) for t in node_spec_of(as_node(node)).get("taints") or ()]


def ours(taint: Mapping[str, object]) -> bool:
    """Whether a taint is kubedrift's quarantine taint."""
    return taint.get("key") == TAINT_KEY and taint.get("effect") == "NoSchedule"


def cordoned_by_us(node: Mapping[str, object]) -> bool:
    """Whether kubedrift's mark says it cordoned the node."""
    return CORDONED_BY in (metadata_of(node).get("annotations") or {})


def quarantined(node: Mapping[str, object]) -> bool:
    """Whether the node carries kubedrift's mark or taint."""
    return cordoned_by_us(node) or any(ours(t) for t in _taints(node))


def cordon_patch(node: Mapping[str, object], rule: str, reason: str) -> dict[str, Any] | None:
    """A JSON merge patch that cordons, taints and marks the node in one request; None
    when it is already unschedulable with kubedrift's taint.

    The node's `resourceVersion` makes it conditional (409 if the node changed), because
    a merge patch replaces the whole `taints` list. The mark is set only when this patch
    is what makes the node unschedulable: a node someone else cordoned stays theirs.
    """
    unschedulable = bool(node_spec_of(as_node(node)).get("unschedulable"))
    taints = _taints(node)
    if unschedulable and any(ours(t) and t.get("value") == rule for t in taints):
        return None
    mine = Taint(key=TAINT_KEY, value=rule, effect="NoSchedule")
    meta: dict[str, Any] = {"resourceVersion": _resource_version(node)}
    if not unschedulable:
        meta["annotations"] = {CORDONED_BY: "kubedrift", CORDON_REASON: f"{rule}: {reason}"[:250]}
    new_spec = {"unschedulable": True, "taints": [t for t in taints if not ours(t)] + [mine]}
    return {"metadata": meta, "spec": new_spec}


def release_patch(node: Mapping[str, object]) -> dict[str, Any] | None:
    """A merge patch removing kubedrift's taint, and its cordon and mark if it cordoned the
    node; None when neither is there."""
    if not quarantined(node):
        return None
    meta: dict[str, Any] = {"resourceVersion": _resource_version(node)}
    spec: dict[str, Any] = {"taints": [t for t in _taints(node) if not ours(t)] or None}
    if cordoned_by_us(node):
        meta["annotations"] = {CORDONED_BY: None, CORDON_REASON: None}
        spec["unschedulable"] = None
    return {"metadata": meta, "spec": spec}


def _resource_version(node: Mapping[str, object]) -> str:
    """What makes a merge patch of `node` conditional ("" when the node has none)."""
    return str(metadata_of(node).get("resourceVersion") or "")


def _releases(ctx: NodeContext, still: set[str]) -> Iterable[Action]:
    for name, node in sorted(ctx.nodes.items()):
        patch = release_patch(node)
        if name in still or patch is None:
            continue
        uncordon = cordoned_by_us(node)
        finding = resolved_finding(name, node, uncordon=uncordon)
        why = (
            "drift resolved: uncordon and remove the kubedrift taint (kubedrift cordoned it)"
            if uncordon
            else "drift resolved: remove the kubedrift taint; the cordon is someone else's"
        )
        yield Uncordon(finding, Risk(), why, uncordon, patch)


def resolved_finding(name: str, node: Mapping[str, object], *, uncordon: bool) -> Finding:
    """The finding a release answers: kubedrift's quarantine outlived the drift."""
    taint = next((t for t in _taints(node) if ours(t)), None)
    return Finding(
        category=Category.NODE,
        severity=Severity.INFO,
        object=ObjectRef("v1", "Node", None, name),
        path="spec.unschedulable" if uncordon else "spec.taints",
        desired=False if uncordon else "no kubedrift.io/drift taint",
        live=True if uncordon else f"{TAINT_KEY}={(taint or {}).get('value', '')}:NoSchedule",
        rule=RESOLVED_RULE,
        message=f"Node/{name} is quarantined by kubedrift but no longer drifts",
    )


def nodes_by_name(objects: Iterable[Mapping[str, object]]) -> dict[str, Mapping[str, object]]:
    """Node name → node object."""
    return {ref_of(o).name: o for o in objects if o.get("kind") == "Node"}

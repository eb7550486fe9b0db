"""Gangs and quota: gangs running with fewer members than their minimum, quota held idle.

`gang-below-minimum` compares the running pods of a gang with the members it needs:

| kind | members needed | running pods counted |
|---|---|---|
| `PodGroup` | `spec.minMember` | pods marked with the group (below) |
| `JobSet` | Σ replicatedJobs `replicas` × job `parallelism` | pods whose top owner it is |
| `LeaderWorkerSet` | `replicas` × `leaderWorkerTemplate.size` | pods whose top owner it is |
| Kubeflow `PyTorchJob` | Σ `pytorchReplicaSpecs[*].replicas` | pods whose top owner it is |
| Kueue `Workload` (admitted) | Σ podSets `minCount` (else `count`) | pods of its owner |

A pod belongs to a `PodGroup` (Volcano, or scheduler-plugins' coscheduling) by the
annotation `scheduling.k8s.io/group-name` / `scheduling.volcano.sh/group-name` or the label
`scheduling.x-k8s.io/pod-group`.

A gang is reported only when *some* but not enough members run (a gang still queued runs
none and is fine), or a PodGroup says `Running` with fewer than `minMember`: the members
that run hold GPUs and wait forever at the first collective. Finished gangs are skipped.

`quota-held-without-pods`: a Kueue `Workload` with `status.admission` and condition
`Admitted` (or `QuotaReserved`) true, not `Finished`, admitted longer ago than a grace
period (pods take a moment to start), with no running pod of its owner. Its impact is the
GPUs the admission reserves (`podSetAssignments[].resourceUsage`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kubedrift.analysis.workload_findings import WorkloadRule, impact_of, workload_finding
from kubedrift.analysis.workload_model import (
    GPU_RESOURCE,
    RunningPod,
    WorkloadModel,
    is_running,
    parse_time,
    top_owner,
)
from kubedrift.model import Finding, Impact, ObjectRef, Severity, ref_of

__all__ = ["DEFAULT_QUOTA_GRACE", "GANG_GROUPS", "gang_of", "gangs_below_minimum", "idle_quota"]

DEFAULT_QUOTA_GRACE = timedelta(minutes=10)
# Volcano's annotations, and the label of scheduler-plugins' coscheduling PodGroup
_GROUP_KEYS = (
    "scheduling.k8s.io/group-name",
    "scheduling.volcano.sh/group-name",
    "scheduling.x-k8s.io/pod-group",
)
GANG_GROUPS = frozenset(
    {
        "jobset.x-k8s.io",  # JobSet
        "leaderworkerset.x-k8s.io",  # LeaderWorkerSet
        "kubeflow.org",  # PyTorchJob, MPIJob, TFJob, XGBoostJob, PaddleJob, JAXJob
        "ray.io",  # RayCluster, RayJob
        "batch.volcano.sh",  # Volcano Job
    }
)
"""API groups whose workloads run as gangs: one member lost stalls or fails them all."""
_SERVICES = frozenset(
    {
        "Deployment",
        "ReplicaSet",
        "ReplicationController",
        "StatefulSet",
        "DaemonSet",
        "InferenceService",
    }
)
"""Owners whose replicas are independent: spread over nodes, they are no gang (a drain
moves them one at a time, as their PodDisruptionBudget allows)."""
_LONG_AGO = datetime.min.replace(tzinfo=UTC)  # admitted at an unknown time
_TERMINAL = frozenset({"Completed", "Failed", "Succeeded", "Finished"})


def gangs_below_minimum(model: WorkloadModel, now: datetime) -> Iterator[Finding]:
    """One finding per gang running with fewer members than it needs."""
    for group in model.of_kind("PodGroup"):
        yield from _podgroup(model, group, now)
    for kind, needed in _NEEDED.items():
        for obj in model.of_kind(kind):
            if _finished(obj) or (kind == "Workload" and not _admitted(obj)):
                continue
            owner = top_owner(obj, model.objects)
            w = model.workload(owner)
            running = len(w.pods) if w else 0
            need = needed(obj)
            if 0 < running < need:
                yield _below(obj, need, running, impact_of(w, now))


def gang_of(pod: RunningPod, model: WorkloadModel) -> tuple[ObjectRef, str] | None:
    """The running gang or multi-node job `pod` belongs to, and how it was told; or None.

    A member of a PodGroup (Volcano, coscheduling), a pod whose top owner is a gang kind
    (`GANG_GROUPS`), a pod whose owner an admitted Kueue `Workload` holds quota for, or a
    pod of any non-serving workload running on two nodes or more (an indexed Job doing
    distributed training): evicting one member of any of these stalls the others.
    """
    group = _group_of(pod.obj)
    namespace = pod.ref.namespace
    if group is not None:
        found = model.objects.get(("PodGroup", namespace or "", group))
        version = str(found.get("apiVersion")) if found else "scheduling.volcano.sh/v1beta1"
        return ObjectRef(version, "PodGroup", namespace, group), "a PodGroup gang"
    if pod.owner.group in GANG_GROUPS:
        return pod.owner, f"a {pod.owner.kind} gang"
    kueue = _kueue_holder(pod, model)
    if kueue is not None:
        return pod.owner, f"admitted by Kueue Workload {kueue.name}"
    w = model.workload(pod.owner)
    if w is not None and w.multi_node and pod.owner.kind not in _SERVICES:
        return pod.owner, f"a job running on {len(w.nodes)} nodes"
    return None


def _kueue_holder(pod: RunningPod, model: WorkloadModel) -> ObjectRef | None:
    """The admitted, unfinished Kueue Workload of the pod's owner (or naming the pod)."""
    labels = (pod.obj.get("metadata") or {}).get("labels") or {}
    for obj in model.of_kind("Workload"):
        if "kueue" not in str(obj.get("apiVersion")) or _finished(obj) or not _admitted(obj):
            continue
        ref = ref_of(obj)
        if ref.namespace != pod.ref.namespace:
            continue
        if labels.get("kueue.x-k8s.io/workload") == ref.name:
            return ref
        if top_owner(obj, model.objects) == pod.owner:
            return ref
    return None


def _podgroup(model: WorkloadModel, group: Mapping[str, Any], now: datetime) -> Iterator[Finding]:
    ref = ref_of(group)
    need = _int((group.get("spec") or {}).get("minMember"), 1)
    # Only the group's members are made into `RunningPod`s (see `Workload.pods_where`).
    pods = [
        p
        for w in model.workloads
        for p in w.pods_where(lambda o: _group_of(o) == ref.name)
        if p.ref.namespace == ref.namespace
    ]
    phase = (group.get("status") or {}).get("phase")
    if len(pods) < need and (pods or phase == "Running"):
        gpus = sum(p.gpus for p in pods)
        impact = Impact(gpus, sum(p.gpus * p.hours(now) for p in pods), (str(ref),))
        yield _below(group, need, len(pods), impact if gpus else None)


def _group_of(pod: Mapping[str, Any]) -> str | None:
    meta = pod.get("metadata") or {}
    marks = {**(meta.get("labels") or {}), **(meta.get("annotations") or {})}
    for key in _GROUP_KEYS:
        if key in marks:
            return str(marks[key])
    return None


def _below(obj: Mapping[str, Any], need: int, running: int, impact: Impact | None) -> Finding:
    ref = ref_of(obj)
    return workload_finding(
        obj=ref,
        rule=WorkloadRule.GANG_BELOW_MINIMUM,
        severity=Severity.HIGH,
        path="members",
        desired=need,
        live=running,
        message=(
            f"{ref} needs {need} members to make progress but {running} run: "
            "the running members hold their GPUs and wait"
        ),
        impact=impact,
    )


def _jobset(obj: Mapping[str, Any]) -> int:
    total = 0
    for rj in (obj.get("spec") or {}).get("replicatedJobs") or ():
        job_spec = ((rj.get("template") or {}).get("spec")) or {}
        total += _int(rj.get("replicas"), 1) * _int(job_spec.get("parallelism"), 1)
    return total


def _lws(obj: Mapping[str, Any]) -> int:
    spec = obj.get("spec") or {}
    size = _int((spec.get("leaderWorkerTemplate") or {}).get("size"), 1)
    return _int(spec.get("replicas"), 1) * size


def _pytorchjob(obj: Mapping[str, Any]) -> int:
    specs = (obj.get("spec") or {}).get("pytorchReplicaSpecs") or {}
    return sum(_int((s or {}).get("replicas"), 1) for s in specs.values())


def _kueue(obj: Mapping[str, Any]) -> int:
    sets = (obj.get("spec") or {}).get("podSets") or ()
    return sum(_int(s.get("minCount"), _int(s.get("count"), 1)) for s in sets)


_NEEDED = {
    "JobSet": _jobset,
    "LeaderWorkerSet": _lws,
    "PyTorchJob": _pytorchjob,
    "Workload": _kueue,
}


def idle_quota(
    model: WorkloadModel, now: datetime, grace: timedelta = DEFAULT_QUOTA_GRACE
) -> Iterator[Finding]:
    """Admitted Kueue Workloads whose owner runs no pod (see module doc)."""
    for obj in model.of_kind("Workload"):
        if "kueue" not in str(obj.get("apiVersion")) or _finished(obj):
            continue
        since = _admitted(obj)
        if since is None or now - since < grace:
            continue
        owner = top_owner(obj, model.objects)
        if model.workload(owner) is None and not _running_owned(model, obj):
            yield _idle(obj, owner.kind + "/" + owner.name, since, now)


def _running_owned(model: WorkloadModel, obj: Mapping[str, Any]) -> bool:
    """Pods that name the Workload itself (Kueue's plain-pod integration)."""
    name = ref_of(obj).name
    for pod in model.of_kind("Pod"):
        labels = (pod.get("metadata") or {}).get("labels") or {}
        if labels.get("kueue.x-k8s.io/workload") == name and is_running(pod):
            return True
    return False


def _idle(obj: Mapping[str, Any], owner: str, since: datetime, now: datetime) -> Finding:
    ref = ref_of(obj)
    gpus = _reserved_gpus(obj)
    hours = max((now - since).total_seconds(), 0.0) / 3600.0
    queue = str((obj.get("status") or {}).get("admission", {}).get("clusterQueue") or "")
    return workload_finding(
        obj=ref,
        rule=WorkloadRule.QUOTA_WITHOUT_PODS,
        severity=Severity.HIGH if gpus else Severity.MEDIUM,
        path="status.admission",
        desired="running pods while quota is held",
        live=0,
        message=(
            f"{ref} holds quota in ClusterQueue {queue or '?'} ({gpus} GPUs) since "
            f"{since.isoformat()} but {owner} runs no pod"
        ),
        impact=Impact(gpus, gpus * hours, (str(ref),)) if gpus else None,
        details={"clusterQueue": queue, "owner": owner},
    )


def _reserved_gpus(obj: Mapping[str, Any]) -> int:
    admission = (obj.get("status") or {}).get("admission") or {}
    return sum(
        _int((a.get("resourceUsage") or {}).get(GPU_RESOURCE), 0)
        for a in admission.get("podSetAssignments") or ()
    )


def _admitted(obj: Mapping[str, Any]) -> datetime | None:
    """When quota was granted, if it is held; None otherwise."""
    status = obj.get("status") or {}
    if not status.get("admission"):
        return None
    for cond in status.get("conditions") or ():
        if cond.get("type") in ("Admitted", "QuotaReserved") and cond.get("status") == "True":
            return parse_time(cond.get("lastTransitionTime")) or _LONG_AGO
    return None


def _finished(obj: Mapping[str, Any]) -> bool:
    status = obj.get("status") or {}
    if (obj.get("spec") or {}).get("suspend") is True:
        return True
    return any(
        c.get("type") in _TERMINAL and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value)) if value is not None else default
    except ValueError:
        return default

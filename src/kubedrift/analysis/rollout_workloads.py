""" "Likely to drift" notices for Deployments and StatefulSets rolling out with a drift history.

A rollout rewrites the pods of an object; if that object drifted before (someone hand-edits
it, a controller rewrites it), the new revision is when its drift is most likely to come
back, or to be wiped and re-applied by hand. While such an object rolls out it gets one
notice — category `workload`, severity `info`, rule `likely-to-drift`, path
`/status/updatedReplicas` (`desired` the replicas, `live` those updated so far) — with its
predicted 7-day risk; once the rollout is done the notice is gone.

"Rolling out" is what `kubectl rollout status` waits for (kubectl
`pkg/polymorphichelpers/rollout_status.go`): a Deployment whose spec change is not observed
yet, or with fewer updated replicas than desired, old replicas still terminating, or fewer
available than updated (a Deployment past its progress deadline is stuck, not rolling);
a StatefulSet (RollingUpdate) not observed yet, with fewer ready replicas than desired,
fewer updated than its partition allows, or its update revision not yet current. Objects
that never drifted are left alone: a rollout alone is no reason to expect drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kubedrift.analysis.findings import NodeRule
from kubedrift.model import Category, Finding, ObjectRef, Severity

KINDS = ("Deployment", "StatefulSet")
Key = tuple[str, str, str, str]
"""API group, kind, namespace, name: how a drift history is looked up."""


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) else default


def deployment_rolling(obj: Mapping[str, Any]) -> bool:
    """Whether `kubectl rollout status` would still wait for this Deployment."""
    meta, spec, status = (obj.get(k) or {} for k in ("metadata", "spec", "status"))
    if _int(meta.get("generation")) > _int(status.get("observedGeneration")):
        return True
    conditions = status.get("conditions") or ()
    if any(c.get("reason") == "ProgressDeadlineExceeded" for c in conditions):
        return False
    want, updated = _int(spec.get("replicas"), 1), _int(status.get("updatedReplicas"))
    return (
        updated < want
        or _int(status.get("replicas")) > updated
        or _int(status.get("availableReplicas")) < updated
    )


def statefulset_rolling(obj: Mapping[str, Any]) -> bool:
    """Whether `kubectl rollout status` would still wait for this StatefulSet."""
    meta, spec, status = (obj.get(k) or {} for k in ("metadata", "spec", "status"))
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return False
    observed = _int(status.get("observedGeneration"))
    if observed == 0 or _int(meta.get("generation")) > observed:
        return True
    want = _int(spec.get("replicas"), 1)
    if _int(status.get("readyReplicas")) < want:
        return True
    partition = (strategy.get("rollingUpdate") or {}).get("partition")
    if isinstance(partition, int) and partition > 0:
        return _int(status.get("updatedReplicas")) < want - partition
    return status.get("updateRevision") != status.get("currentRevision")


_ROLLING = {"Deployment": deployment_rolling, "StatefulSet": statefulset_rolling}


def workload_notices(
    objects: Iterable[Mapping[str, Any]], history: Mapping[Key, float]
) -> list[Finding]:
    """A notice per Deployment or StatefulSet rolling out whose key is in `history` (its
    predicted 7-day risk: it drifted before)."""
    out = []
    for obj in objects:
        kind = obj.get("kind")
        if kind not in _ROLLING or not _ROLLING[kind](obj):
            continue
        ref = _ref(obj)
        risk = history.get((ref.group, ref.kind, ref.namespace or "", ref.name))
        if risk is not None:
            out.append(_notice(obj, ref, risk))
    return out


def _ref(obj: Mapping[str, Any]) -> ObjectRef:
    meta = obj.get("metadata") or {}
    return ObjectRef(
        str(obj.get("apiVersion", "apps/v1")), str(obj["kind"]), meta.get("namespace"), meta["name"]
    )


def _notice(obj: Mapping[str, Any], ref: ObjectRef, risk: float) -> Finding:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    want, updated = _int(spec.get("replicas"), 1), _int(status.get("updatedReplicas"))
    return Finding(
        category=Category.WORKLOAD,
        severity=Severity.INFO,
        object=ref,
        path="/status/updatedReplicas",
        desired=want,
        live=updated,
        rule=NodeRule.LIKELY_TO_DRIFT.value,
        message=(
            f"{ref} is rolling out ({updated} of {want} replicas updated) and drifted before: "
            f"predicted risk of drifting within 7 days {risk:.0%}; compare it with Git once "
            "the rollout is done"
        ),
        details=(("predicted_risk_7d", f"{risk:.2f}"),),
    )

"""AI workload impact: what node drift puts at risk, and the AI-specific workload rules.

`analyze_workloads` builds the workload model (`analysis.workload_model`) from live objects,
attaches impact to node findings and names each workload on a drifted node
(`analysis.impact`), then runs the rules on running workloads (`analysis.workload_rules`),
gangs and quota (`analysis.gangs`) and checkpoint backups (`analysis.backups`). Every
finding that touches GPUs carries an `Impact`, so `analysis.ranking.rank` puts it first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubedrift.analysis.backups import training_claims, unprotected_claims
from kubedrift.analysis.gangs import DEFAULT_QUOTA_GRACE, gangs_below_minimum, idle_quota
from kubedrift.analysis.impact import node_impact
from kubedrift.analysis.workload_findings import WorkloadRule
from kubedrift.analysis.workload_model import WorkloadModel, build_model
from kubedrift.analysis.workload_rules import (
    gpu_without_limit,
    image_skew,
    inconsistent_nodes,
    mutable_images,
)
from kubedrift.model import Finding, ref_of

__all__ = ["WorkloadAnalysis", "WorkloadRule", "analyze_workloads"]


@dataclass(frozen=True, slots=True)
class WorkloadAnalysis:
    """Workload findings, the node findings with impact attached, and what was seen."""

    findings: tuple[Finding, ...]
    node_findings: tuple[Finding, ...]
    workloads: int
    gpus: int
    notes: tuple[str, ...] = ()


def analyze_workloads(
    objects: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    nodes: Sequence[Mapping[str, Any]] = (),
    node_findings: Sequence[Finding] = (),
    quota_grace: timedelta = DEFAULT_QUOTA_GRACE,
    velero: bool | None = None,
) -> WorkloadAnalysis:
    """Judge running workloads among `objects` against node drift and the AI rules.

    `now` (timezone-aware) is the moment GPU-hours and backup ages are measured at: the
    snapshot's time or the wall clock. `node_findings` come from `analyze_nodes` over
    `nodes`; they are returned with impact attached, in the same order. `velero` says
    whether the cluster serves Velero's kinds (from discovery); None infers it from the
    objects (a Velero object or CRD among them). Without Velero, `pvc-not-backed-up` does
    not run — every PVC would be "not backed up" by a tool that is not there — and a note
    says so when there were training PVCs to check.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    model = build_model(objects)
    by_name = {ref_of(n).name: n for n in nodes}
    impact = node_impact(node_findings, model, now)
    if velero is None:
        velero = velero_present(model)
    findings = [
        *impact.workload_findings,
        *inconsistent_nodes(model, by_name, now, node_findings),
        *gangs_below_minimum(model, now),
        *idle_quota(model, now, quota_grace),
        *(unprotected_claims(model, now) if velero else ()),
        *mutable_images(model, now),
        *gpu_without_limit(model, by_name),
        *image_skew(model, now),
    ]
    return WorkloadAnalysis(
        findings=tuple(findings),
        node_findings=impact.node_findings,
        workloads=len(model.workloads),
        gpus=sum(w.gpus for w in model.workloads),
        notes=() if velero else _no_velero(model),
    )


def _no_velero(model: WorkloadModel) -> tuple[str, ...]:
    """A note when training PVCs went unchecked for want of Velero; none when there are none."""
    count = len(training_claims(model))
    if not count:
        return ()
    return (
        f"pvc-not-backed-up not checked for {count} training PVCs: "
        "Velero is not installed (no velero.io kinds)",
    )


def velero_present(model: WorkloadModel) -> bool:
    """Whether the objects show Velero: one of its objects, or its CRD."""
    if any(_velero(o) for o in model.of_kind("Schedule", "Backup")):
        return True
    return any(
        str((crd.get("metadata") or {}).get("name", "")).endswith(".velero.io")
        for crd in model.of_kind("CustomResourceDefinition")
    )


def _velero(obj: Mapping[str, Any]) -> bool:
    return str(obj.get("apiVersion", "")).startswith("velero.io/")

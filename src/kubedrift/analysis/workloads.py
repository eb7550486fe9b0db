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

from kubedrift.analysis.backups import unprotected_claims
from kubedrift.analysis.gangs import DEFAULT_QUOTA_GRACE, gangs_below_minimum, idle_quota
from kubedrift.analysis.impact import node_impact
from kubedrift.analysis.workload_findings import WorkloadRule
from kubedrift.analysis.workload_model import build_model
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


def analyze_workloads(
    objects: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    nodes: Sequence[Mapping[str, Any]] = (),
    node_findings: Sequence[Finding] = (),
    quota_grace: timedelta = DEFAULT_QUOTA_GRACE,
) -> WorkloadAnalysis:
    """Judge running workloads among `objects` against node drift and the AI rules.

    `now` (timezone-aware) is the moment GPU-hours and backup ages are measured at: the
    snapshot's time or the wall clock. `node_findings` come from `analyze_nodes` over
    `nodes`; they are returned with impact attached, in the same order.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    model = build_model(objects)
    by_name = {ref_of(n).name: n for n in nodes}
    impact = node_impact(node_findings, model, now)
    findings = [
        *impact.workload_findings,
        *inconsistent_nodes(model, by_name, now),
        *gangs_below_minimum(model, now),
        *idle_quota(model, now, quota_grace),
        *unprotected_claims(model, now),
        *mutable_images(model, now),
        *gpu_without_limit(model, by_name),
        *image_skew(model, now),
    ]
    return WorkloadAnalysis(
        findings=tuple(findings),
        node_findings=impact.node_findings,
        workloads=len(model.workloads),
        gpus=sum(w.gpus for w in model.workloads),
    )

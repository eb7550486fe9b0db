"""How AI workload rules build their findings: one constructor, impact filled in the same way."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kubedrift.analysis.workload_model import Workload
from kubedrift.model import JSON, Category, Finding, Impact, ObjectRef, Severity

__all__ = ["WorkloadRule", "impact_of", "workload_finding"]


class WorkloadRule(enum.Enum):
    """Rule ids of workload findings (the `rule` field of the output contract)."""

    ON_DRIFTED_NODE = "workload-on-drifted-node"
    MULTI_NODE_INCONSISTENT = "multi-node-job-inconsistent"
    GANG_BELOW_MINIMUM = "gang-below-minimum"
    QUOTA_WITHOUT_PODS = "quota-held-without-pods"
    PVC_NOT_BACKED_UP = "pvc-not-backed-up"
    MUTABLE_IMAGE = "mutable-image"
    GPU_POD_WITHOUT_GPU_LIMIT = "gpu-pod-without-gpu-limit"
    INFERENCE_IMAGE_SKEW = "inference-image-skew"


def impact_of(workload: Workload | None, now: datetime) -> Impact | None:
    """The impact of a whole workload, or None when it holds no GPUs."""
    if workload is None or workload.gpus == 0:
        return None
    return Impact(workload.gpus, workload.gpu_hours(now), (workload.label(),))


def workload_finding(
    *,
    obj: ObjectRef,
    rule: WorkloadRule,
    severity: Severity,
    path: str,
    desired: JSON,
    live: JSON,
    message: str,
    impact: Impact | None,
    details: Mapping[str, Any] | None = None,
) -> Finding:
    """A `workload` finding; `details` values are shown as strings."""
    return Finding(
        category=Category.WORKLOAD,
        severity=severity,
        object=obj,
        path=path,
        desired=desired,
        live=live,
        rule=rule.value,
        message=message,
        impact=impact,
        details=tuple((k, str(v)) for k, v in (details or {}).items()),
    )

"""How AI workload rules build their findings: one constructor, impact filled in the same way."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kubedrift.analysis.workload_model import Workload
from kubedrift.model import JSON, Category, Finding, Impact, ObjectRef, Severity
from kubedrift.model.rules import WorkloadRule

__all__ = ["WorkloadRule", "impact_of", "workload_finding"]


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

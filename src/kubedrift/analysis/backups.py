"""`pvc-not-backed-up`: checkpoint volumes of training jobs that Velero does not protect.

A PVC is checked when a running pod of a GPU training workload (any owner that is not a
serving kind) mounts it. It is protected when at least one Velero `Schedule` covers it and
that schedule's last finished `Backup` is good:

- *covers*: not `spec.paused`; `spec.template.includedNamespaces` empty, `*` or naming the
  namespace, and `excludedNamespaces` not naming it; `includedResources` empty, `*` or
  naming `persistentvolumeclaims`, and `excludedResources` not naming it; the
  `labelSelector` (if any) matching the PVC's labels or those of a pod mounting it (Velero
  backs up the claims of the pods it selects).
- *last finished backup*: the newest `Backup` labelled `velero.io/schedule-name` with the
  schedule's name, in phase `Completed`, `PartiallyFailed`, `Failed` or `FailedValidation`.
  It is good when `Completed` and finished no longer ago than the schedule's period (see
  `analysis.cron`) × `LATE_FACTOR`; a schedule that never finished a backup is good only
  while it is younger than that.

An uncovered PVC is `high`; a covered one whose backups are late or failed is `medium`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubedrift.analysis.cron import cron_period
from kubedrift.analysis.selectors import compile_selector
from kubedrift.analysis.workload_findings import WorkloadRule, workload_finding
from kubedrift.analysis.workload_model import RunningPod, Workload, WorkloadModel, parse_time
from kubedrift.analysis.workload_rules import SERVING_KINDS
from kubedrift.model import Finding, Impact, ObjectRef, Severity, ref_of

__all__ = ["LATE_FACTOR", "claims_without_fresh_backup", "unprotected_claims"]

LATE_FACTOR = 1.5
"""A backup may be this many periods old: the next run may still be in progress."""
_FINISHED = frozenset({"Completed", "PartiallyFailed", "Failed", "FailedValidation"})
_SCHEDULE_LABEL = "velero.io/schedule-name"
_PVC = "persistentvolumeclaims"


@dataclass(frozen=True, slots=True)
class _Claim:
    namespace: str
    name: str
    pods: tuple[RunningPod, ...]
    workloads: tuple[Workload, ...]


def unprotected_claims(model: WorkloadModel, now: datetime) -> Iterator[Finding]:
    """One finding per training PVC with no good Velero backup (see module doc)."""
    schedules = [s for s in model.of_kind("Schedule") if "velero.io" in str(s.get("apiVersion"))]
    backups = _last_backups(model.of_kind("Backup"))
    for claim in training_claims(model):
        pvc = model.objects.get(("PersistentVolumeClaim", claim.namespace, claim.name), {})
        covering = [s for s in schedules if _covers(s, claim, pvc)]
        problems = [p for s in covering if (p := _problem(s, backups, now)) is not None]
        if not covering:
            yield _finding(claim, pvc, Severity.HIGH, "no Velero schedule covers it", now)
        elif len(problems) == len(covering):
            yield _finding(claim, pvc, Severity.MEDIUM, "; ".join(problems), now)


def claims_without_fresh_backup(model: WorkloadModel, now: datetime) -> dict[tuple[str, str], str]:
    """(namespace, claim) → why, for each training PVC no fresh successful backup protects.

    Stricter than `unprotected_claims`, for deciding whether a pod may be evicted: a
    covering schedule counts only once it has a `Completed` backup within its period ×
    `LATE_FACTOR`; a young schedule that has finished none yet does not protect anything.
    """
    schedules = [s for s in model.of_kind("Schedule") if "velero.io" in str(s.get("apiVersion"))]
    backups = _last_backups(model.of_kind("Backup"))
    out: dict[tuple[str, str], str] = {}
    for claim in training_claims(model):
        pvc = model.objects.get(("PersistentVolumeClaim", claim.namespace, claim.name), {})
        covering = [s for s in schedules if _covers(s, claim, pvc)]
        problems = [_strict_problem(s, backups, now) for s in covering]
        if not covering:
            out[(claim.namespace, claim.name)] = "no Velero schedule covers it"
        elif all(p is not None for p in problems):
            out[(claim.namespace, claim.name)] = "; ".join(p for p in problems if p)
    return out


def _strict_problem(
    schedule: Mapping[str, Any], backups: Mapping[str, Mapping[str, Any]], now: datetime
) -> str | None:
    name = ref_of(schedule).name
    if name not in backups:
        return f"schedule {name} has no finished backup yet"
    return _problem(schedule, backups, now)


def training_claims(model: WorkloadModel) -> list[_Claim]:
    """The PVCs mounted by pods of GPU training workloads (serving kinds left out)."""
    pods: dict[tuple[str, str], list[RunningPod]] = defaultdict(list)
    owners: dict[tuple[str, str], dict[ObjectRef, Workload]] = defaultdict(dict)
    for w in model.workloads:
        if w.owner.kind in SERVING_KINDS or w.gpus == 0:
            continue
        for pod in w.pods:
            for claim in pod.claims:
                key = (pod.ref.namespace or "", claim)
                pods[key].append(pod)
                owners[key][w.owner] = w
    return [
        _Claim(ns, name, tuple(pods[(ns, name)]), tuple(owners[(ns, name)].values()))
        for ns, name in sorted(pods)
    ]


def _covers(schedule: Mapping[str, Any], claim: _Claim, pvc: Mapping[str, Any]) -> bool:
    spec = schedule.get("spec") or {}
    template = spec.get("template") or {}
    if spec.get("paused") is True:
        return False
    if not _included(template, "Namespaces", claim.namespace):
        return False
    if not _included(template, "Resources", _PVC):
        return False
    raw = template.get("labelSelector")
    if not raw:
        return True
    try:
        selector = compile_selector(raw, "spec.template.labelSelector")
    except ValueError:
        return False
    labels = [_labels(pvc)] + [_labels(p.obj) for p in claim.pods]
    return any(selector.matches(lbl) for lbl in labels)


def _included(template: Mapping[str, Any], what: str, value: str) -> bool:
    included = list(template.get("included" + what) or ())
    excluded = list(template.get("excluded" + what) or ())
    return (not included or "*" in included or value in included) and value not in excluded


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in ((obj.get("metadata") or {}).get("labels") or {}).items()}


def _last_backups(backups: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Schedule name → its newest finished backup."""
    newest: dict[str, tuple[datetime, Mapping[str, Any]]] = {}
    for backup in backups:
        schedule = _labels(backup).get(_SCHEDULE_LABEL)
        status = backup.get("status") or {}
        moment = _finished_at(backup)
        if schedule is None or status.get("phase") not in _FINISHED or moment is None:
            continue
        if schedule not in newest or moment > newest[schedule][0]:
            newest[schedule] = (moment, backup)
    return {name: backup for name, (_, backup) in newest.items()}


def _finished_at(backup: Mapping[str, Any]) -> datetime | None:
    status = backup.get("status") or {}
    meta = backup.get("metadata") or {}
    for value in (
        status.get("completionTimestamp"),
        status.get("startTimestamp"),
        meta.get("creationTimestamp"),
    ):
        moment = parse_time(value)
        if moment is not None:
            return moment
    return None


def _problem(
    schedule: Mapping[str, Any], backups: Mapping[str, Mapping[str, Any]], now: datetime
) -> str | None:
    """Why a covering schedule does not protect the claim, or None when it does."""
    name = ref_of(schedule).name
    period = cron_period(str((schedule.get("spec") or {}).get("schedule") or ""))
    allowed = period * LATE_FACTOR if period else None
    last = backups.get(name)
    if last is None:
        created = parse_time((schedule.get("metadata") or {}).get("creationTimestamp"))
        if allowed is not None and created is not None and now - created > allowed:
            return f"schedule {name} has finished no backup"
        return None
    phase = (last.get("status") or {}).get("phase")
    if phase != "Completed":
        return f"last backup {ref_of(last).name} of schedule {name} ended {phase}"
    finished = _finished_at(last)
    if allowed is not None and finished is not None and now - finished > allowed:
        return (
            f"last backup of schedule {name} finished {_age(now - finished)} ago, "
            f"more than its period {_age(period or allowed)} allows"
        )
    return None


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600.0
    return f"{hours / 24:.1f}d" if hours >= 48 else f"{hours:.1f}h"


def _finding(
    claim: _Claim, pvc: Mapping[str, Any], severity: Severity, why: str, now: datetime
) -> Finding:
    ref = (
        ref_of(pvc)
        if pvc
        else ObjectRef("v1", "PersistentVolumeClaim", claim.namespace, claim.name)
    )
    names = tuple(w.label() for w in claim.workloads)
    gpus = sum(w.gpus for w in claim.workloads)
    hours = sum(w.gpu_hours(now) for w in claim.workloads)
    return workload_finding(
        obj=ref,
        rule=WorkloadRule.PVC_NOT_BACKED_UP,
        severity=severity,
        path="backup",
        desired="a recent completed Velero backup",
        live=why,
        message=f"{ref}, mounted by {', '.join(names)}: {why}",
        impact=Impact(gpus, hours, names),
        details={"workloads": ",".join(names)},
    )

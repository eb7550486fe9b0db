"""The API defaults of common fields, for "desired leaves it to the default".

When desired does not mention a field and a person set it live, the finding is
`default-overridden` with the default as the desired value if the field has one here, and
`field-added` otherwise. A person's value equal to the default is no drift at all.

Values are those of the apiserver's defaulting functions (`k8s.io/kubernetes/pkg/apis/*/v1/
defaults.go`) for the fields people change by hand most. Only unconditional defaults are
listed: `imagePullPolicy` (depends on the tag) and Service `externalTrafficPolicy` (depends
on the type) are not.
"""

from __future__ import annotations

from collections.abc import Mapping

from kubedrift.diff.pointers import Path
from kubedrift.model import JSON, MISSING

_WORKLOADS = frozenset(
    {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"}
)

_BY_KIND: Mapping[str, Mapping[tuple[str, ...], JSON]] = {
    "PersistentVolume": {
        ("spec", "persistentVolumeReclaimPolicy"): "Retain",
        ("spec", "volumeMode"): "Filesystem",
    },
    "PersistentVolumeClaim": {("spec", "volumeMode"): "Filesystem"},
    "Service": {("spec", "sessionAffinity"): "None", ("spec", "type"): "ClusterIP"},
    "Deployment": {
        ("spec", "replicas"): 1,
        ("spec", "revisionHistoryLimit"): 10,
        ("spec", "progressDeadlineSeconds"): 600,
    },
    "ReplicaSet": {("spec", "replicas"): 1},
    "StatefulSet": {
        ("spec", "replicas"): 1,
        ("spec", "revisionHistoryLimit"): 10,
        ("spec", "podManagementPolicy"): "OrderedReady",
    },
    "DaemonSet": {("spec", "revisionHistoryLimit"): 10},
    "Job": {("spec", "backoffLimit"): 6},
    "CronJob": {
        ("spec", "concurrencyPolicy"): "Allow",
        ("spec", "suspend"): False,
        ("spec", "successfulJobsHistoryLimit"): 3,
        ("spec", "failedJobsHistoryLimit"): 1,
    },
    "StorageClass": {("reclaimPolicy",): "Delete", ("volumeBindingMode",): "Immediate"},
}

_POD_SPEC: Mapping[str, JSON] = {
    "dnsPolicy": "ClusterFirst",
    "restartPolicy": "Always",
    "schedulerName": "default-scheduler",
    "terminationGracePeriodSeconds": 30,
}

_CONTAINER: Mapping[str, JSON] = {
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
}

_CONTAINER_LISTS = frozenset({"containers", "initContainers"})


def _pod_spec_prefix(kind: str) -> tuple[str, ...] | None:
    if kind == "Pod":
        return ("spec",)
    if kind in _WORKLOADS:
        return ("spec", "template", "spec")
    if kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    return None


def default_of(kind: str, path: Path) -> JSON:
    """The API default of the field at `path` in an object of `kind`, or MISSING."""
    if all(isinstance(segment, str) for segment in path):
        found = _BY_KIND.get(kind, {}).get(tuple(str(s) for s in path), MISSING)
        if found is not MISSING:
            return found
    prefix = _pod_spec_prefix(kind)
    if prefix is None or tuple(path[: len(prefix)]) != prefix:
        return MISSING
    rest = path[len(prefix) :]
    if len(rest) == 1 and isinstance(rest[0], str):
        return _POD_SPEC.get(rest[0], MISSING)
    if len(rest) == 3 and rest[0] in _CONTAINER_LISTS and isinstance(rest[2], str):
        return _CONTAINER.get(rest[2], MISSING)
    return MISSING

"""Hand-built workload objects for the AI workload tests: pods, owners, CRDs, Velero objects.

Every builder returns a fresh plain dict as the API server would show it; times are
relative to `NOW`, the moment the analysis judges at.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from analysis.nodefactory import NOW

TRAINING = "ml-training"


def stamp(hours_ago: float) -> str:
    """An RFC 3339 timestamp `hours_ago` before NOW."""
    return (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def owner_ref(api_version: str, kind: str, name: str) -> dict[str, Any]:
    """A controller ownerReference."""
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": f"uid-{name}",
        "controller": True,
    }


def obj(
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None = TRAINING,
    *,
    owner: dict[str, Any] | None = None,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    created_hours_ago: float = 100.0,
) -> dict[str, Any]:
    """Any object."""
    meta: dict[str, Any] = {"name": name, "creationTimestamp": stamp(created_hours_ago)}
    if namespace:
        meta["namespace"] = namespace
    if owner:
        meta["ownerReferences"] = [owner]
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    out: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    out["spec"] = spec or {}
    if status is not None:
        out["status"] = status
    return out


def pod(
    name: str,
    node: str,
    *,
    owner: dict[str, Any] | None = None,
    gpus: int = 8,
    image: str = "nvcr.io/nvidia/pytorch:24.05-py3",
    image_id: str = "",
    limits: bool = True,
    claims: tuple[str, ...] = (),
    phase: str = "Running",
    hours: float = 10.0,
    tolerate_gpu: bool = True,
    namespace: str = TRAINING,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A pod bound to `node`, holding `gpus` (in limits and requests, or requests only)."""
    resources: dict[str, Any] = {}
    if gpus:
        resources["requests"] = {"nvidia.com/gpu": str(gpus)}
        if limits:
            resources["limits"] = {"nvidia.com/gpu": str(gpus)}
    spec: dict[str, Any] = {
        "nodeName": node,
        "containers": [{"name": "main", "image": image, "resources": resources}],
        "volumes": [{"name": c, "persistentVolumeClaim": {"claimName": c}} for c in claims],
    }
    if tolerate_gpu:
        spec["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists"}]
    status = {
        "phase": phase,
        "startTime": stamp(hours),
        "containerStatuses": [
            {
                "name": "main",
                "image": image,
                "imageID": image_id or f"{image}@sha256:aa",
                "ready": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": stamp(hours)}},
            }
        ],
    }
    return obj(
        "v1",
        "Pod",
        name,
        namespace,
        owner=owner,
        spec=spec,
        status=status,
        labels=labels,
        annotations=annotations,
    )


def job(name: str, owner: dict[str, Any] | None = None) -> dict[str, Any]:
    """A batch/v1 Job."""
    return obj("batch/v1", "Job", name, owner=owner)


def job_pods(job_name: str, nodes: list[str], **kwargs: Any) -> list[dict[str, Any]]:
    """One pod of Job `job_name` on each of `nodes`."""
    ref = owner_ref("batch/v1", "Job", job_name)
    return [pod(f"{job_name}-{i}", n, owner=ref, **kwargs) for i, n in enumerate(nodes)]


def deployment(
    name: str, nodes: list[str], images: list[str], namespace: str = "ml-inference"
) -> list[dict[str, Any]]:
    """A Deployment, its ReplicaSet and one one-GPU pod per node with the given images."""
    dep = obj("apps/v1", "Deployment", name, namespace)
    rs = obj(
        "apps/v1",
        "ReplicaSet",
        f"{name}-abc",
        namespace,
        owner=owner_ref("apps/v1", "Deployment", name),
    )
    rs_ref = owner_ref("apps/v1", "ReplicaSet", f"{name}-abc")
    pods = [
        pod(f"{name}-abc-{i}", n, owner=rs_ref, gpus=1, image=img, namespace=namespace)
        for i, (n, img) in enumerate(zip(nodes, images, strict=True))
    ]
    return [dep, rs, *pods]


def condition(kind: str, status: str = "True", hours_ago: float = 2.0) -> dict[str, Any]:
    """A status condition."""
    return {"type": kind, "status": status, "lastTransitionTime": stamp(hours_ago)}

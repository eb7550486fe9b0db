"""Workload objects as the API server returns them: Namespace, Job, Deployment, Pod, PVC, ….

Builders take already-decided facts (names, uids, placement, times) and only shape them;
the decisions live in `kubedrift.simulate.workloads`. Server-set fields are filled the way
a v1.29 API server and its controllers fill them (defaults, `creationTimestamp`,
`resourceVersion`, controller labels, status), so a snapshot looks like `kubectl get -o json`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubedrift.simulate.ids import Counter, digest, hex_id, name_suffix, new_uid, timestamp

GPU_TOLERATION = {"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}
_DEFAULT_TOLERATIONS = [
    {
        "effect": "NoExecute",
        "key": f"node.kubernetes.io/{key}",
        "operator": "Exists",
        "tolerationSeconds": 300,
    }
    for key in ("not-ready", "unreachable")
]


@dataclass(frozen=True, slots=True)
class Meta:
    """Identity and bookkeeping of one object being built."""

    name: str
    namespace: str
    uid: str
    created: datetime
    resource_version: str


def new_meta(
    name: str, namespace: str, created: datetime, rng: random.Random, versions: Counter
) -> Meta:
    """Fresh identity for an object created at `created`."""
    return Meta(name, namespace, new_uid(rng), created, versions.next())


def _metadata(meta: Meta, **extra: Any) -> dict[str, Any]:
    out = {
        "creationTimestamp": timestamp(meta.created),
        "name": meta.name,
        "namespace": meta.namespace,
        "resourceVersion": meta.resource_version,
        "uid": meta.uid,
    }
    out.update({k: v for k, v in extra.items() if v})
    return out


def owner_ref(api_version: str, kind: str, meta: Meta) -> dict[str, Any]:
    """A controller ownerReference to the object `meta` describes."""
    return {
        "apiVersion": api_version,
        "blockOwnerDeletion": True,
        "controller": True,
        "kind": kind,
        "name": meta.name,
        "uid": meta.uid,
    }


def namespace(
    name: str, created: datetime, rng: random.Random, versions: Counter
) -> dict[str, Any]:
    """A Namespace in phase Active."""
    meta = _metadata(new_meta(name, "", created, rng, versions))
    del meta["namespace"]
    meta["labels"] = {"kubernetes.io/metadata.name": name}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta,
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


@dataclass(frozen=True, slots=True)
class Container:
    """The one container of a workload's pods, with its Guaranteed resources."""

    name: str
    image: str
    args: tuple[str, ...]
    gpus: int
    cpu: str
    memory: str
    port: int | None = None
    mounts: tuple[tuple[str, str], ...] = ()  # (volume name, mount path)


def container_spec(c: Container) -> dict[str, Any]:
    """The container as stored in a template, server defaults included."""
    resources = {"cpu": c.cpu, "memory": c.memory}
    if c.gpus:
        resources["nvidia.com/gpu"] = str(c.gpus)
    out: dict[str, Any] = {
        "args": list(c.args),
        "image": c.image,
        "imagePullPolicy": "IfNotPresent",
        "name": c.name,
        "resources": {"limits": dict(resources), "requests": dict(resources)},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if c.mounts:
        out["volumeMounts"] = [{"mountPath": path, "name": name} for name, path in c.mounts]
    if c.port is not None:
        out["ports"] = [{"containerPort": c.port, "name": "http", "protocol": "TCP"}]
    return out


def template_spec(c: Container, volumes: list[dict[str, Any]], restart: str) -> dict[str, Any]:
    """A pod spec as stored in a controller's template (PodSpec defaults only)."""
    spec: dict[str, Any] = {
        "containers": [container_spec(c)],
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": restart,
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
    }
    if c.gpus:
        spec["tolerations"] = [dict(GPU_TOLERATION)]
    if volumes:
        spec["volumes"] = [dict(v) for v in volumes]
    return spec


def bound_pod_spec(
    c: Container, volumes: list[dict[str, Any]], restart: str, node: str, token_volume: str
) -> dict[str, Any]:
    """A pod's spec: the template plus what admission and binding add."""
    spec = template_spec(c, volumes, restart)
    spec["containers"][0].setdefault("volumeMounts", []).append(
        {
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
            "name": token_volume,
            "readOnly": True,
        }
    )
    spec["tolerations"] = [*spec.get("tolerations", []), *_default_tolerations()]
    spec["volumes"] = [*spec.get("volumes", []), _token_volume(token_volume)]
    spec |= {
        "enableServiceLinks": True,
        "nodeName": node,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "serviceAccount": "default",
        "serviceAccountName": "default",
    }
    return spec


def _default_tolerations() -> list[dict[str, Any]]:
    return [dict(t) for t in _DEFAULT_TOLERATIONS]


def _token_volume(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {
                    "configMap": {
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                        "name": "kube-root-ca.crt",
                    }
                },
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                "path": "namespace",
                            }
                        ]
                    }
                },
            ],
        },
    }


@dataclass(frozen=True, slots=True)
class Binding:
    """Where and when one pod runs."""

    node: str
    host_ip: str
    pod_ip: str
    started: datetime


def pod(
    meta: Meta,
    *,
    labels: dict[str, str],
    owner: dict[str, Any],
    spec: dict[str, Any],
    binding: Binding,
    rng: random.Random,
    generate_name: str,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Running pod bound to `binding.node`, with the status a kubelet reports."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _metadata(
            meta,
            annotations=annotations,
            generateName=generate_name,
            labels=labels,
            ownerReferences=[owner],
        ),
        "spec": spec,
        "status": _pod_status(spec, binding, rng),
    }


def _pod_status(spec: dict[str, Any], b: Binding, rng: random.Random) -> dict[str, Any]:
    started = timestamp(b.started)
    running = timestamp(b.started + timedelta(seconds=rng.randint(20, 240)))
    conditions = [
        ("PodReadyToStartContainers", running),
        ("Initialized", started),
        ("Ready", running),
        ("ContainersReady", running),
        ("PodScheduled", started),
    ]
    containers = [
        {
            "containerID": f"containerd://{hex_id(rng, 64)}",
            "image": c["image"],
            "imageID": f"{c['image'].rsplit(':', 1)[0]}@{digest(c['image'])}",
            "lastState": {},
            "name": c["name"],
            "ready": True,
            "restartCount": 0,
            "started": True,
            "state": {"running": {"startedAt": running}},
        }
        for c in spec["containers"]
    ]
    return {
        "conditions": [
            {"lastProbeTime": None, "lastTransitionTime": t, "status": "True", "type": kind}
            for kind, t in conditions
        ],
        "containerStatuses": containers,
        "hostIP": b.host_ip,
        "hostIPs": [{"ip": b.host_ip}],
        "phase": "Running",
        "podIP": b.pod_ip,
        "podIPs": [{"ip": b.pod_ip}],
        "qosClass": "Guaranteed",
        "startTime": started,
    }


def job(
    meta: Meta,
    labels: dict[str, str],
    template: dict[str, Any],
    parallelism: int,
    started: datetime,
) -> dict[str, Any]:
    """An Indexed batch/v1 Job with `parallelism` pods running (gang of whole nodes)."""
    selector = {"batch.kubernetes.io/controller-uid": meta.uid}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _metadata(
            meta, annotations={"batch.kubernetes.io/job-tracking": ""}, generation=1, labels=labels
        ),
        "spec": {
            "backoffLimit": 0,
            "completionMode": "Indexed",
            "completions": parallelism,
            "parallelism": parallelism,
            "podReplacementPolicy": "TerminatingOrFailed",
            "selector": {"matchLabels": selector},
            "suspend": False,
            "template": template,
        },
        "status": {
            "active": parallelism,
            "ready": parallelism,
            "startTime": timestamp(started),
            "terminating": 0,
            "uncountedTerminatedPods": {},
        },
    }


def deployment(
    meta: Meta, labels: dict[str, str], template: dict[str, Any], replicas: int, replica_set: str
) -> dict[str, Any]:
    """An apps/v1 Deployment whose one ReplicaSet (named `replica_set`) is fully available."""
    created = timestamp(meta.created)
    ready = timestamp(meta.created + timedelta(minutes=3))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(
            meta,
            annotations={"deployment.kubernetes.io/revision": "1"},
            generation=1,
            labels=labels,
        ),
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": replicas,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": dict(template["metadata"]["labels"])},
            "strategy": {
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                "type": "RollingUpdate",
            },
            "template": template,
        },
        "status": {
            "availableReplicas": replicas,
            "conditions": [
                _condition(
                    "Available",
                    "MinimumReplicasAvailable",
                    ready,
                    ready,
                    "Deployment has minimum availability.",
                ),
                _condition(
                    "Progressing",
                    "NewReplicaSetAvailable",
                    ready,
                    created,
                    f'ReplicaSet "{replica_set}" has successfully progressed.',
                ),
            ],
            "observedGeneration": 1,
            "readyReplicas": replicas,
            "replicas": replicas,
            "updatedReplicas": replicas,
        },
    }


def _condition(
    kind: str, reason: str, update: str, transition: str, message: str
) -> dict[str, str]:
    return {
        "lastTransitionTime": transition,
        "lastUpdateTime": update,
        "message": message,
        "reason": reason,
        "status": "True",
        "type": kind,
    }


def replica_set(
    meta: Meta,
    owner: dict[str, Any],
    template: dict[str, Any],
    replicas: int,
) -> dict[str, Any]:
    """The ReplicaSet a Deployment created for its current template."""
    labels = dict(template["metadata"]["labels"])
    annotations = {
        "deployment.kubernetes.io/desired-replicas": str(replicas),
        "deployment.kubernetes.io/max-replicas": str(replicas + (replicas + 3) // 4),
        "deployment.kubernetes.io/revision": "1",
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": _metadata(
            meta, annotations=annotations, generation=1, labels=labels, ownerReferences=[owner]
        ),
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
        "status": {
            "availableReplicas": replicas,
            "fullyLabeledReplicas": replicas,
            "observedGeneration": 1,
            "readyReplicas": replicas,
            "replicas": replicas,
        },
    }


def pvc(meta: Meta, storage_class: str, size: str, provisioner: str) -> dict[str, Any]:
    """A bound ReadWriteMany claim (checkpoints on a shared file system)."""
    annotations = {
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
        "volume.beta.kubernetes.io/storage-provisioner": provisioner,
        "volume.kubernetes.io/storage-provisioner": provisioner,
    }
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(
            meta, annotations=annotations, finalizers=["kubernetes.io/pvc-protection"]
        ),
        "spec": {
            "accessModes": ["ReadWriteMany"],
            "resources": {"requests": {"storage": size}},
            "storageClassName": storage_class,
            "volumeMode": "Filesystem",
            "volumeName": f"pvc-{meta.uid}",
        },
        "status": {
            "accessModes": ["ReadWriteMany"],
            "capacity": {"storage": size},
            "phase": "Bound",
        },
    }


def template_of(labels: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    """A pod template as stored in a controller (`creationTimestamp: null` included)."""
    return {"metadata": {"creationTimestamp": None, "labels": dict(labels)}, "spec": spec}


def token_volume_name(rng: random.Random) -> str:
    """The projected service-account token volume's generated name."""
    return f"kube-api-access-{name_suffix(rng)}"

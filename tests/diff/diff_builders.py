"""Builders for the object-diff tests: desired Deployments and live objects as served."""

from __future__ import annotations

import copy
import json
from typing import Any

Obj = dict[str, Any]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def deployment(**spec_overrides: Any) -> Obj:
    """A Deployment as a person writes it."""
    pod: Obj = {
        "containers": [
            {
                "name": "trainer",
                "image": "ghcr.io/acme/trainer:1.0",
                "ports": [{"containerPort": 8080}],
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                "resources": {"limits": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": 1}},
            }
        ]
    }
    obj: Obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "trainer", "namespace": "ml", "labels": {"app": "trainer"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "trainer"}},
            "template": {"metadata": {"labels": {"app": "trainer"}}, "spec": pod},
        },
    }
    obj["spec"].update(spec_overrides)
    return obj


def served(
    desired: Obj, *, last_applied: Obj | None = None, managed: list[Obj] | None = None
) -> Obj:
    """`desired` as the apiserver returns it: defaults, status, server metadata."""
    live = copy.deepcopy(desired)
    meta = live["metadata"]
    meta.update(
        uid="u-1", resourceVersion="42", generation=3, creationTimestamp="2026-01-01T00:00:00Z"
    )
    if last_applied is not None:
        record = copy.deepcopy(last_applied)
        record["metadata"]["annotations"] = {}
        meta.setdefault("annotations", {})[LAST_APPLIED] = json.dumps(record, sort_keys=True)
    if managed is not None:
        meta["managedFields"] = managed
    spec = live.get("spec", {})
    if "template" in spec:
        spec.update(progressDeadlineSeconds=600, revisionHistoryLimit=10)
        pod = spec["template"]["spec"]
        pod.update(dnsPolicy="ClusterFirst", schedulerName="default-scheduler", securityContext={})
        for container in pod["containers"]:
            container.update(
                imagePullPolicy="IfNotPresent", terminationMessagePath="/dev/termination-log"
            )
            for port in container.get("ports", []):
                port.setdefault("protocol", "TCP")
        live["status"] = {"replicas": spec.get("replicas"), "readyReplicas": spec.get("replicas")}
    return live


def entry(
    manager: str,
    fields: Obj,
    *,
    operation: str = "Update",
    time: str = "2026-01-02T00:00:00Z",
    subresource: str | None = None,
) -> Obj:
    """One managedFields entry."""
    out: Obj = {
        "manager": manager,
        "operation": operation,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
        "time": time,
    }
    if subresource:
        out["subresource"] = subresource
    return out


def container_fields(*path: str) -> Obj:
    """fieldsV1 owning one field of the `trainer` container."""
    node: Obj = {}
    for key in reversed(path):
        node = {key: node}
    return {"f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"trainer"}': node}}}}}

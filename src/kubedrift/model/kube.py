"""Shapes of the raw Kubernetes JSON kubedrift reads, other than whole Pods.

Live objects stay plain mappings (decoded once, never copied into classes); these
`TypedDict`s say which keys the code reads and of what type, as kopf does for its raw
bodies, and the accessors below do the defensive `(obj.get("metadata") or {}).get(...)`
walk once, returning the typed view. Every key is optional (`total=False`): the API
omits empty fields, and a snapshot may come from anything. Field names and meanings are
those of `k8s.io/apimachinery/pkg/apis/meta/v1` (`ObjectMeta`, `OwnerReference`,
`ManagedFieldsEntry`) and `k8s.io/api/core/v1` (`Container`, `ResourceRequirements`, and
`Node`, `NodeSpec`, `Taint`, `NodeStatus`, `NodeSystemInfo`, `ConfigMap` for the node
analysis and the node remedies; kube 1.20's API reference).

Whole Pods are projected elsewhere (model/shapes.py); kubedrift reads no Kubernetes
`Event`s, so none is described here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypedDict, cast

__all__ = [
    "ConfigMap",
    "Container",
    "ManagedFieldsEntry",
    "Node",
    "NodeSpec",
    "NodeStatus",
    "NodeSystemInfo",
    "ObjectMeta",
    "OwnerReference",
    "Quantity",
    "ResourceRequirements",
    "Taint",
    "as_configmap",
    "as_node",
    "containers_of",
    "managed_fields_of",
    "metadata_of",
    "node_spec_of",
    "node_status_of",
    "owner_references_of",
]

Quantity = str | int | float
"""A resource quantity as JSON carries it: `"8"`, `"16Gi"`, or a number."""


class OwnerReference(TypedDict, total=False):
    """`metadata.ownerReferences[]`: who owns (and, with `controller`, manages) an object."""

    apiVersion: str
    kind: str
    name: str
    uid: str
    controller: bool
    blockOwnerDeletion: bool


class ManagedFieldsEntry(TypedDict, total=False):
    """`metadata.managedFields[]`: one manager's set of fields, and how it wrote them."""

    manager: str
    operation: Literal["Apply", "Update"]
    apiVersion: str
    time: str
    fieldsType: str
    fieldsV1: Mapping[str, object]  # structured-merge-diff's set: `f:`/`k:`/`v:`/`i:` keys
    subresource: str


class ObjectMeta(TypedDict, total=False):
    """`metadata`: the fields kubedrift reads."""

    name: str
    namespace: str
    generateName: str
    uid: str
    resourceVersion: str
    generation: int
    creationTimestamp: str
    deletionTimestamp: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    ownerReferences: Sequence[OwnerReference]
    managedFields: Sequence[ManagedFieldsEntry]


class ResourceRequirements(TypedDict, total=False):
    """A container's `resources`: quantities by resource name (`"8"`, `"16Gi"`, or numbers)."""

    limits: Mapping[str, Quantity]
    requests: Mapping[str, Quantity]


class Container(TypedDict, total=False):
    """`spec.containers[]` (and init containers) of a pod or pod template."""

    name: str
    image: str
    imagePullPolicy: str
    command: Sequence[str]
    args: Sequence[str]
    resources: ResourceRequirements


class Taint(TypedDict, total=False):
    """`spec.taints[]` of a Node: `effect` is NoSchedule, PreferNoSchedule or NoExecute."""

    key: str
    value: str
    effect: str
    timeAdded: str


class NodeSpec(TypedDict, total=False):
    """A Node's `spec`: the fields kubedrift reads and (cordon, quarantine taint) writes."""

    taints: Sequence[Taint]
    unschedulable: bool
    providerID: str
    podCIDR: str


class NodeSystemInfo(TypedDict, total=False):
    """`status.nodeInfo`: what the kubelet reports of its machine (`NodeSystemInfo`)."""

    machineID: str
    systemUUID: str
    bootID: str
    kernelVersion: str
    osImage: str
    containerRuntimeVersion: str
    kubeletVersion: str
    kubeProxyVersion: str
    operatingSystem: str
    architecture: str


class NodeCondition(TypedDict, total=False):
    """`status.conditions[]`: `Ready` and the kubelet's pressure conditions; a snapshot's time
    is its newest `lastHeartbeatTime` (`engine.clock.snapshot_time`)."""

    type: str
    status: str
    reason: str
    message: str
    lastHeartbeatTime: str
    lastTransitionTime: str


class NodeStatus(TypedDict, total=False):
    """A Node's `status`: resources, system info and conditions (images are not read)."""

    capacity: Mapping[str, Quantity]
    allocatable: Mapping[str, Quantity]
    nodeInfo: NodeSystemInfo
    conditions: Sequence[NodeCondition]


class Node(TypedDict, total=False):
    """A `v1 Node` as the API (or a snapshot) gives it."""

    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: NodeSpec
    status: NodeStatus


class ConfigMap(TypedDict, total=False):
    """A `v1 ConfigMap`: the node agent publishes its facts in one (`data`)."""

    apiVersion: str
    kind: str
    metadata: ObjectMeta
    data: Mapping[str, str]


def as_node(obj: Mapping[str, object]) -> Node:
    """A decoded object read as a Node (no copy, nothing checked: every key stays
    optional, and readers still check the types of the values they use)."""
    return cast(Node, obj)


def as_configmap(obj: Mapping[str, object]) -> ConfigMap:
    """A decoded object read as a ConfigMap (no copy; see `as_node`)."""
    return cast(ConfigMap, obj)


def node_spec_of(node: Node) -> NodeSpec:
    """A Node's `spec` (empty when absent or null)."""
    return node.get("spec") or NodeSpec()


def node_status_of(node: Node) -> NodeStatus:
    """A Node's `status` (empty when absent or null)."""
    return node.get("status") or NodeStatus()


def metadata_of(obj: Mapping[str, object]) -> ObjectMeta:
    """An object's `metadata` (empty when absent or not a mapping)."""
    meta = obj.get("metadata")
    return cast(ObjectMeta, meta) if isinstance(meta, Mapping) else ObjectMeta()


def owner_references_of(obj: Mapping[str, object]) -> Sequence[OwnerReference]:
    """An object's `metadata.ownerReferences` (empty when none)."""
    return metadata_of(obj).get("ownerReferences") or ()


def managed_fields_of(obj: Mapping[str, object] | None) -> Sequence[ManagedFieldsEntry]:
    """An object's `metadata.managedFields` (empty when none, or for no object)."""
    return metadata_of(obj).get("managedFields") or () if obj is not None else ()


def containers_of(pod_spec: Mapping[str, object]) -> Sequence[Container]:
    """`containers` of a pod spec (or a pod template's spec); empty when none."""
    return cast(Sequence[Container], pod_spec.get("containers") or ())

"""Shapes of the raw Kubernetes JSON kubedrift reads, other than whole Nodes and Pods.

Live objects stay plain mappings (decoded once, never copied into classes); these
`TypedDict`s say which keys the code reads and of what type, as kopf does for its raw
bodies, and the accessors below do the defensive `(obj.get("metadata") or {}).get(...)`
walk once, returning the typed view. Every key is optional (`total=False`): the API
omits empty fields, and a snapshot may come from anything. Field names and meanings are
those of `k8s.io/apimachinery/pkg/apis/meta/v1` (`ObjectMeta`, `OwnerReference`,
`ManagedFieldsEntry`) and `k8s.io/api/core/v1` (`Container`, `ResourceRequirements`).

Whole Nodes and Pods are projected elsewhere (the analysis inputs); kubedrift reads no
Kubernetes `Event`s, so none is described here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, TypedDict, cast

__all__ = [
    "Container",
    "ManagedFieldsEntry",
    "ObjectMeta",
    "OwnerReference",
    "ResourceRequirements",
    "containers_of",
    "managed_fields_of",
    "metadata_of",
    "owner_references_of",
]


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

    limits: Mapping[str, str | int | float]
    requests: Mapping[str, str | int | float]


class Container(TypedDict, total=False):
    """`spec.containers[]` (and init containers) of a pod or pod template."""

    name: str
    image: str
    imagePullPolicy: str
    command: Sequence[str]
    args: Sequence[str]
    resources: ResourceRequirements


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

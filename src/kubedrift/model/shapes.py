"""Typed shapes of the raw Kubernetes objects kubedrift reads in bulk: the Pod projection.

A 5,000-node cluster runs ~150,000 pods; decoded whole they are ~3 GiB of dicts, most of
it `managedFields`, status conditions, env and probes that no rule reads. `PodProjection`
names every field of a Pod that workload analysis (`analysis.workload_model`, `gangs`,
`workload_rules`, `backups`) and node remediation (`remediate.nodes`) read, and nothing
else; a snapshot reader decodes Pods straight into it (msgspec skips every other field
without building it), so the result is still a plain mapping the rules read unchanged.

A field added to a rule that reads Pods must be added here too: the test
`tests/engine/test_projection.py` compares the findings of projected and whole pods.

These are `TypedDict`s, not classes with behaviour: raw objects stay plain mappings at the
edges (as kopf keeps them), and the pure layers can name their shape.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = [
    "ContainerShape",
    "ContainerStatusShape",
    "OwnerReferenceShape",
    "PodMetadataShape",
    "PodProjection",
    "PodSpecShape",
    "PodStatusShape",
    "PvcSourceShape",
    "ResourcesShape",
    "TolerationShape",
    "VolumeShape",
]


class OwnerReferenceShape(TypedDict, total=False):
    """An owner reference: the owner walk reads its kind, name, version and controller flag."""

    apiVersion: str
    kind: str
    name: str
    uid: str
    controller: bool


class PodMetadataShape(TypedDict, total=False):
    """Identity, owners, and the labels and annotations gangs and Kueue are told by."""

    name: str
    namespace: str
    uid: str
    labels: dict[str, Any]
    annotations: dict[str, Any]
    ownerReferences: list[OwnerReferenceShape]
    deletionTimestamp: Any


class ResourcesShape(TypedDict, total=False):
    """Requests and limits: GPUs are counted from them (quantities stay as written)."""

    limits: dict[str, Any]
    requests: dict[str, Any]


class ContainerShape(TypedDict, total=False):
    """A container: its image (mutable tags, image skew) and resources (GPUs)."""

    name: str
    image: str
    resources: ResourcesShape


class PvcSourceShape(TypedDict, total=False):
    """The claim a `persistentVolumeClaim` volume mounts."""

    claimName: str


class VolumeShape(TypedDict, total=False):
    """A volume: the PVC it mounts (backups), or an emptyDir (what a drain would lose)."""

    name: str
    persistentVolumeClaim: PvcSourceShape
    emptyDir: Any


class TolerationShape(TypedDict, total=False):
    """A toleration: a pod tolerating the GPU taint without asking for a GPU is a finding."""

    key: str
    operator: str
    value: Any
    effect: str
    tolerationSeconds: Any


class PodSpecShape(TypedDict, total=False):
    """Where the pod runs and what it runs."""

    nodeName: str
    containers: list[ContainerShape]
    volumes: list[VolumeShape]
    tolerations: list[TolerationShape]


class ContainerStatusShape(TypedDict, total=False):
    """The image a container really runs (by digest)."""

    imageID: str


class PodStatusShape(TypedDict, total=False):
    """Phase (running or not), start time (GPU-hours), and running images."""

    phase: str
    startTime: str
    containerStatuses: list[ContainerStatusShape]


class PodProjection(TypedDict, total=False):
    """A Pod reduced to what the rules read (see the module docstring)."""

    apiVersion: str
    kind: str
    metadata: PodMetadataShape
    spec: PodSpecShape
    status: PodStatusShape

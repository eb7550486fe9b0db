"""Clean `v1 Node` objects for one pool, as the API server returns them.

Everything a pool's nodes share (labels from NFD, GFD and the GPU operator, capacity,
taints, nodeInfo) is computed once per pool in `PoolShape`; each node then adds what is
its own (name, addresses, uids, boot and heartbeat times). Capacity and allocatable follow
the EKS kubelet reservation formulas, so allocatable is slightly below capacity.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubedrift.simulate.catalog import GpuModel, InstanceType, NodeStack
from kubedrift.simulate.ids import (
    AddressPlan,
    Counter,
    before,
    digest,
    hex_id,
    new_uid,
    timestamp,
)
from kubedrift.simulate.spec import FleetSpec, GfdVocabulary, PoolRole, PoolSpec

GPU_TAINT: dict[str, str] = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
CONTROL_PLANE_TAINT: dict[str, str] = {
    "key": "node-role.kubernetes.io/control-plane",
    "effect": "NoSchedule",
}
NFD = "feature.node.kubernetes.io/"
ECR_ACCOUNT = "602401143452"  # the account EKS serves its add-on images from


@dataclass(frozen=True, slots=True)
class NodeContext:
    """Fleet-wide inputs of node building: the spec, its clock and the shared allocators."""

    spec: FleetSpec
    addresses: AddressPlan
    versions: Counter
    cloud_provider_hash: str

    @property
    def now(self) -> datetime:
        """The simulated present."""
        return self.spec.now


@dataclass(frozen=True, slots=True)
class PoolShape:
    """What every clean node of one pool has in common."""

    pool: PoolSpec
    labels: dict[str, str]
    annotations: dict[str, str]
    capacity: dict[str, str]
    allocatable: dict[str, str]
    node_info: dict[str, str]
    images: tuple[tuple[tuple[str, ...], int], ...]


def pool_shape(pool: PoolSpec, ctx: NodeContext, ami: str) -> PoolShape:
    """Compute the shared part of a pool's nodes."""
    labels = {
        **_kubernetes_labels(pool, ctx, ami),
        **_nfd_labels(pool.instance, pool.stack),
        **(_gpu_labels(pool, pool.gpu) if pool.gpu is not None else {}),
    }
    labels = {k: v for k, v in labels.items() if k not in _absent_from(pool)}
    feature_labels = sorted(k.removeprefix(NFD) for k in labels if _published_by_nfd(k))
    capacity, allocatable = _resources(pool)
    return PoolShape(
        pool=pool,
        labels=labels,
        annotations={
            "nfd.node.kubernetes.io/feature-labels": ",".join(feature_labels),
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        },
        capacity=capacity,
        allocatable=allocatable,
        node_info=_node_info(pool.stack),
        images=_images(pool, ctx.spec.region),
    )


def build_node(shape: PoolShape, ctx: NodeContext, rng: random.Random, zone: str) -> dict[str, Any]:
    """One clean Node of `shape`'s pool in `zone`, with its own identity and times."""
    ip = ctx.addresses.node_ip(zone)
    region = ctx.spec.region
    suffix = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    name = f"ip-{ip.replace('.', '-')}.{suffix}"
    created = before(ctx.now, rng, 3 * 86400, 60 * 86400)
    labels = {**shape.labels, **_zone_labels(zone, region)}
    labels["kubernetes.io/hostname"] = name
    if "nvidia.com/gfd.timestamp" in labels:
        labels["nvidia.com/gfd.timestamp"] = str(int(before(ctx.now, rng, 0, 60).timestamp()))
    pod_cidr = ctx.addresses.pod_cidr()
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": {**shape.annotations, "alpha.kubernetes.io/provided-node-ip": ip},
            "creationTimestamp": timestamp(created),
            "labels": labels,
            "name": name,
            "resourceVersion": ctx.versions.next(),
            "uid": new_uid(rng),
        },
        "spec": {
            "podCIDR": pod_cidr,
            "podCIDRs": [pod_cidr],
            "providerID": f"aws:///{zone}/i-0{hex_id(rng, 16)}",
            **_taints(shape.pool),
        },
        "status": _status(shape, ctx, rng, name=name, ip=ip, created=created),
    }


def _taints(pool: PoolSpec) -> dict[str, list[dict[str, str]]]:
    if pool.role is PoolRole.CONTROL_PLANE:
        return {"taints": [dict(CONTROL_PLANE_TAINT)]}
    return {"taints": [dict(GPU_TAINT)]} if pool.gpu is not None else {}


# Labels a pool's component versions do not write (see `GfdVocabulary`, NFD < v0.12).
_LEGACY_GFD_ABSENT = frozenset(
    {
        *(f"nvidia.com/cuda.driver-version.{p}" for p in ("full", "major", "minor", "revision")),
        *(f"nvidia.com/cuda.runtime-version.{p}" for p in ("full", "major", "minor")),
        "nvidia.com/gpu.replicas",
        "nvidia.com/gpu.sharing-strategy",
        "nvidia.com/gpu.mode",
        "nvidia.com/mps.capable",
    }
)
_OLD_NFD_ABSENT = frozenset(
    {NFD + "system-os_release.VERSION_ID.major", NFD + "system-os_release.VERSION_ID.minor"}
)


def _absent_from(pool: PoolSpec) -> frozenset[str]:
    absent: frozenset[str] = frozenset()
    if pool.gfd_vocabulary is GfdVocabulary.LEGACY:
        absent |= _LEGACY_GFD_ABSENT
    if pool.stack.nfd_version < "v0.12":
        absent |= _OLD_NFD_ABSENT
    return absent


def _status(
    shape: PoolShape,
    ctx: NodeContext,
    rng: random.Random,
    *,
    name: str,
    ip: str,
    created: datetime,
) -> dict[str, Any]:
    system_uuid = f"ec2{hex_id(rng, 5)}-{hex_id(rng, 4)}-{hex_id(rng, 4)}-{hex_id(rng, 4)}-"
    return {
        "addresses": [
            {"address": ip, "type": "InternalIP"},
            {"address": name, "type": "InternalDNS"},
            {"address": name, "type": "Hostname"},
        ],
        "allocatable": dict(shape.allocatable),
        "capacity": dict(shape.capacity),
        "conditions": _conditions(ctx.now, rng, created),
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "images": [{"names": list(names), "sizeBytes": size} for names, size in shape.images],
        "nodeInfo": {
            **shape.node_info,
            "bootID": new_uid(rng),
            "machineID": hex_id(rng, 32),
            "systemUUID": system_uuid + hex_id(rng, 12),
        },
    }


_CONDITIONS = (
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


def _conditions(now: datetime, rng: random.Random, created: datetime) -> list[dict[str, str]]:
    heartbeat = timestamp(before(now, rng, 0, 300))
    started = timestamp(created + timedelta(seconds=rng.randint(5, 20)))
    ready = timestamp(created + timedelta(seconds=rng.randint(40, 90)))
    return [
        {
            "lastHeartbeatTime": heartbeat,
            "lastTransitionTime": ready if kind == "Ready" else started,
            "message": message,
            "reason": reason,
            "status": status,
            "type": kind,
        }
        for kind, status, reason, message in _CONDITIONS
    ]


def _kubernetes_labels(pool: PoolSpec, ctx: NodeContext, ami: str) -> dict[str, str]:
    itype = pool.instance.name
    if pool.role is PoolRole.CONTROL_PLANE:  # self-managed: no node group, a role label
        return {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/instance-type": itype,
            "beta.kubernetes.io/os": "linux",
            "k8s.io/cloud-provider-aws": ctx.cloud_provider_hash,
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/os": "linux",
            "node-role.kubernetes.io/control-plane": "",
            "node.kubernetes.io/exclude-from-external-load-balancers": "",
            "node.kubernetes.io/instance-type": itype,
        }
    return {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": itype,
        "beta.kubernetes.io/os": "linux",
        "eks.amazonaws.com/capacityType": "ON_DEMAND",
        "eks.amazonaws.com/nodegroup": pool.name,
        "eks.amazonaws.com/nodegroup-image": ami,
        "k8s.io/cloud-provider-aws": ctx.cloud_provider_hash,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": itype,
    }


def _zone_labels(zone: str, region: str) -> dict[str, str]:
    area, direction, number = region.split("-")
    return {
        "failure-domain.beta.kubernetes.io/region": region,
        "failure-domain.beta.kubernetes.io/zone": zone,
        "topology.k8s.aws/zone-id": f"{area}{direction[0]}{number}-az{ord(zone[-1]) - 96}",
        "topology.kubernetes.io/region": region,
        "topology.kubernetes.io/zone": zone,
    }


def kernel_labels(kernel: str) -> dict[str, str]:
    """NFD's kernel-version labels for a kernel release such as `5.15.0-1057-aws`."""
    major, minor, revision = [*kernel.split("-", 1)[0].split("."), "0", "0"][:3]
    return {
        NFD + "kernel-version.full": kernel,
        NFD + "kernel-version.major": major,
        NFD + "kernel-version.minor": minor,
        NFD + "kernel-version.revision": revision,
    }


def _nfd_labels(instance: InstanceType, stack: NodeStack) -> dict[str, str]:
    version_major, _, version_minor = stack.os_version_id.partition(".")
    labels = {
        NFD + "cpu-model.vendor_id": instance.cpu_vendor,
        NFD + "pci-1d0f.present": "true",  # Amazon ENA / EFA
        NFD + "system-os_release.ID": stack.os_id,
        NFD + "system-os_release.VERSION_ID": stack.os_version_id,
        NFD + "system-os_release.VERSION_ID.major": version_major,
        NFD + "system-os_release.VERSION_ID.minor": version_minor,
        **kernel_labels(stack.kernel),
    }
    if instance.gpu is not None:
        labels[NFD + "pci-10de.present"] = "true"
    return labels


def driver_labels(driver: str) -> dict[str, str]:
    """GFD's driver-version labels, the current names and the deprecated ones."""
    major, minor, revision = [*driver.split("."), ""][:3]
    return {
        "nvidia.com/cuda.driver-version.full": driver,
        "nvidia.com/cuda.driver-version.major": major,
        "nvidia.com/cuda.driver-version.minor": minor,
        "nvidia.com/cuda.driver-version.revision": revision,
        "nvidia.com/cuda.driver.major": major,
        "nvidia.com/cuda.driver.minor": minor,
        "nvidia.com/cuda.driver.rev": revision,
    }


def cuda_labels(cuda: tuple[int, int]) -> dict[str, str]:
    """GFD's CUDA labels (the CUDA version the driver supports), current and deprecated."""
    major, minor = str(cuda[0]), str(cuda[1])
    return {
        "nvidia.com/cuda.runtime-version.full": f"{major}.{minor}",
        "nvidia.com/cuda.runtime-version.major": major,
        "nvidia.com/cuda.runtime-version.minor": minor,
        "nvidia.com/cuda.runtime.major": major,
        "nvidia.com/cuda.runtime.minor": minor,
    }


def _gpu_labels(pool: PoolSpec, gpu: GpuModel) -> dict[str, str]:
    labels = {
        **driver_labels(pool.stack.driver),
        **cuda_labels(pool.stack.cuda()),
        **_device_labels(pool, gpu),
        **_operator_labels(pool, gpu),
        "nvidia.com/gfd.timestamp": "0",  # set per node
        "nvidia.com/gpu.compute.major": str(gpu.compute[0]),
        "nvidia.com/gpu.compute.minor": str(gpu.compute[1]),
        "nvidia.com/gpu.family": gpu.family,
        "nvidia.com/gpu.machine": pool.instance.name,
        "nvidia.com/gpu.mode": "compute",
        "nvidia.com/mig.capable": str(gpu.mig_capable).lower(),
        "nvidia.com/mps.capable": "false",
        "nvidia.com/vgpu.present": "false",
    }
    if gpu.family == "hopper":
        labels["nvidia.com/gpu.clique"] = f"{_pool_uuid(pool.name)}.1"
    return labels


def _device_labels(pool: PoolSpec, gpu: GpuModel) -> dict[str, str]:
    """Product, count, memory and sharing labels; MIG `single` overrides them per slice."""
    profile = gpu.mig_profile(pool.mig_config)
    shared = pool.gpu_replicas > 1
    labels = {
        "nvidia.com/gpu.count": str(pool.instance.gpus),
        "nvidia.com/gpu.memory": str(gpu.memory_mib),
        "nvidia.com/gpu.product": gpu.product + ("-SHARED" if shared else ""),
        "nvidia.com/gpu.replicas": str(pool.gpu_replicas),
        "nvidia.com/gpu.sharing-strategy": "time-slicing" if shared else "none",
    }
    if gpu.mig_capable:
        labels["nvidia.com/mig.strategy"] = "single"
    if profile is not None:
        labels |= {
            "nvidia.com/gpu.count": str(pool.instance.gpus * profile.per_gpu),
            "nvidia.com/gpu.memory": str(profile.memory_mib),
            "nvidia.com/gpu.product": f"{gpu.product}-MIG-{profile.profile}",
            "nvidia.com/gpu.multiprocessors": str(profile.multiprocessors),
            "nvidia.com/gpu.slices.ci": str(profile.slices),
            "nvidia.com/gpu.slices.gi": str(profile.slices),
        }
    return labels


_OPERANDS = (
    "container-toolkit",
    "dcgm",
    "dcgm-exporter",
    "device-plugin",
    "driver",
    "gpu-feature-discovery",
    "node-status-exporter",
    "operator-validator",
)


def _operator_labels(pool: PoolSpec, gpu: GpuModel) -> dict[str, str]:
    labels = {f"nvidia.com/gpu.deploy.{operand}": "true" for operand in _OPERANDS}
    labels |= {
        "nvidia.com/gpu-driver-upgrade-enabled": "true",
        "nvidia.com/gpu-driver-upgrade-state": "upgrade-done",
        "nvidia.com/gpu.present": "true",
    }
    if gpu.mig_capable:
        labels |= {
            "nvidia.com/gpu.deploy.mig-manager": "true",
            "nvidia.com/mig.config": pool.mig_config,
            "nvidia.com/mig.config.state": "success",
        }
    return labels


def _published_by_nfd(key: str) -> bool:
    """NFD owns its own labels and those GFD writes through its `features.d` file."""
    return key.startswith(NFD) or (
        key.startswith("nvidia.com/") and not key.startswith(_OPERATOR_PREFIXES)
    )


_OPERATOR_PREFIXES = (
    "nvidia.com/gpu.deploy.",
    "nvidia.com/gpu-driver",
    "nvidia.com/mig.config",
    "nvidia.com/gpu.present",
)


def _pool_uuid(name: str) -> str:
    h = digest(name)[7:]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _resources(pool: PoolSpec) -> tuple[dict[str, str], dict[str, str]]:
    """Capacity and allocatable, with the EKS kube-reserved and eviction thresholds."""
    it = pool.instance
    memory_ki = it.memory_gib * 1024 * 1024 * 984 // 1000 // 4 * 4  # what the kernel leaves
    disk_ki = it.root_disk_gib * 1024 * 1024 - 20972  # filesystem overhead
    reserved_mem_ki = (255 + 11 * it.max_pods + 100) * 1024  # kube-reserved + eviction
    capacity = {
        "cpu": str(it.cpus),
        "ephemeral-storage": f"{disk_ki}Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": f"{memory_ki}Ki",
        "pods": str(it.max_pods),
    }
    allocatable = {
        **capacity,
        "cpu": f"{it.cpus * 1000 - _reserved_millicores(it.cpus)}m",
        "ephemeral-storage": str(disk_ki * 1024 * 9 // 10 - 1024**3),
        "memory": f"{memory_ki - reserved_mem_ki}Ki",
    }
    extra = dict(it.extra_resources)
    if pool.gpu is not None:
        extra["nvidia.com/gpu"] = str(pool.gpu_units)
    return capacity | extra, allocatable | extra


def _reserved_millicores(cpus: int) -> int:
    """EKS: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% above."""
    reserved = 60.0 + (10 if cpus > 1 else 0) + 5 * min(max(cpus - 2, 0), 2)
    return int(reserved + 2.5 * max(cpus - 4, 0))


def _node_info(stack: NodeStack) -> dict[str, str]:
    return {
        "architecture": "amd64",
        "containerRuntimeVersion": f"containerd://{stack.containerd}",
        "kernelVersion": stack.kernel,
        "kubeProxyVersion": stack.kubelet,
        "kubeletVersion": stack.kubelet,
        "operatingSystem": "linux",
        "osImage": stack.os_image,
    }


def _images(pool: PoolSpec, region: str) -> tuple[tuple[tuple[str, ...], int], ...]:
    """A short image list (the kubelet reports up to 50, largest first)."""
    ecr = f"{ECR_ACCOUNT}.dkr.ecr.{region}.amazonaws.com"
    images: list[tuple[str, int]] = []
    if pool.gpu is not None:
        images += [
            ("nvcr.io/nvidia/k8s/dcgm-exporter:3.3.9-3.6.1-ubuntu22.04", 346_012_573),
            ("nvcr.io/nvidia/k8s-device-plugin:v0.17.1", 159_213_054),
        ]
    images += [
        (f"{ecr}/amazon-k8s-cni:v1.18.3-eksbuild.2", 64_012_350),
        (f"{ecr}/eks/kube-proxy:v1.29.3-minimal-eksbuild.2", 28_612_114),
        (f"{ecr}/eks/pause:3.5", 298_689),
    ]
    return tuple(((f"{name.split(':')[0]}@{digest(name)}", name), size) for name, size in images)

"""Hand-built `v1 Node` objects for the analysis tests: clean by default, drifted on request.

Nodes of one pool share everything that is configuration and differ in what differs
between healthy machines: name, addresses, uids, boot ids, zones, heartbeat times, the
GFD timestamp (within a minute) and a few KiB of allocatable memory.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

NOW = datetime(2025, 6, 2, 12, 0, 0, tzinfo=UTC)
ZONES = ("us-east-2a", "us-east-2b", "us-east-2c")


def gpu_node(index: int, **overrides: Any) -> dict[str, Any]:
    """A clean p5.48xlarge (8 × H100) node; `overrides` edit it (see `_apply`)."""
    name = f"ip-10-16-{index // 250}-{index % 250 + 2}.us-east-2.compute.internal"
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": "p5.48xlarge",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "p5.48xlarge",
        "eks.amazonaws.com/nodegroup": "h100",
        "topology.kubernetes.io/zone": ZONES[index % 3],
        "topology.kubernetes.io/region": "us-east-2",
        "failure-domain.beta.kubernetes.io/zone": ZONES[index % 3],
        "feature.node.kubernetes.io/kernel-version.full": "5.15.0-1057-aws",
        "feature.node.kubernetes.io/kernel-version.major": "5",
        "feature.node.kubernetes.io/pci-10de.present": "true",
        "nvidia.com/cuda.driver-version.full": "570.133.20",
        "nvidia.com/cuda.driver-version.major": "570",
        "nvidia.com/cuda.driver-version.minor": "133",
        "nvidia.com/cuda.driver-version.revision": "20",
        "nvidia.com/cuda.driver.major": "570",
        "nvidia.com/cuda.driver.minor": "133",
        "nvidia.com/cuda.driver.rev": "20",
        "nvidia.com/cuda.runtime-version.full": "12.8",
        "nvidia.com/cuda.runtime-version.major": "12",
        "nvidia.com/cuda.runtime-version.minor": "8",
        "nvidia.com/cuda.runtime.major": "12",
        "nvidia.com/cuda.runtime.minor": "8",
        "nvidia.com/gfd.timestamp": str(int(NOW.timestamp()) - 17 * (index % 3)),
        "nvidia.com/gpu.count": "8",
        "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3",
        "nvidia.com/gpu.replicas": "1",
        "nvidia.com/gpu.present": "true",
        "nvidia.com/gpu.clique": f"7f0c2a4e-rack{index % 2}.1",
        "nvidia.com/mig.capable": "true",
        "nvidia.com/mig.strategy": "single",
        "nvidia.com/mig.config": "all-disabled",
        "nvidia.com/mig.config.state": "success",
        "nvidia.com/gpu-driver-upgrade-state": "upgrade-done",
    }
    node: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"00000000-0000-4000-8000-{index:012d}",
            "labels": labels,
            "annotations": {
                "nfd.node.kubernetes.io/feature-labels": "kernel-version.full,pci-10de.present",
                "alpha.kubernetes.io/provided-node-ip": f"10.16.0.{index % 250 + 2}",
            },
            "creationTimestamp": f"2025-05-{index % 28 + 1:02d}T08:00:00Z",
        },
        "spec": {
            "providerID": f"aws:///{ZONES[index % 3]}/i-0{index:016x}",
            "podCIDR": f"100.64.{index % 256}.0/24",
            "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}],
        },
        "status": {
            "addresses": [{"type": "InternalIP", "address": f"10.16.0.{index % 250 + 2}"}],
            "capacity": {
                "cpu": "192",
                "memory": "2112438272Ki",
                "ephemeral-storage": "524266516Ki",
                "pods": "100",
                "nvidia.com/gpu": "8",
                "vpc.amazonaws.com/efa": "32",
            },
            "allocatable": {
                "cpu": "191450m",
                # the kernel leaves a few MiB more or less on identical machines
                "memory": f"{2111000000 - 4096 * (index % 5)}Ki",
                "ephemeral-storage": "482107510353",
                "pods": "100",
                "nvidia.com/gpu": "8",
                "vpc.amazonaws.com/efa": "32",
            },
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "lastHeartbeatTime": f"2025-06-02T11:5{index % 10}:00Z",
                }
            ],
            "images": [{"names": [f"nvcr.io/nvidia/k8s-device-plugin:v0.17.{index % 2}"]}],
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": f"b00b{index:08d}",
                "containerRuntimeVersion": "containerd://1.7.12",
                "kernelVersion": "5.15.0-1057-aws",
                "kubeProxyVersion": "v1.29.3-eks-ae9a62a",
                "kubeletVersion": "v1.29.3-eks-ae9a62a",
                "machineID": f"ec2{index:029x}",
                "operatingSystem": "linux",
                "osImage": "Ubuntu 22.04.4 LTS",
                "systemUUID": f"ec2{index:08x}-0000-0000-0000-000000000000",
            },
        },
    }
    return _apply(node, overrides)


def cpu_node(index: int, **overrides: Any) -> dict[str, Any]:
    """A clean m7i.8xlarge node without GPUs."""
    node = gpu_node(index)
    labels = node["metadata"]["labels"]
    for key in list(labels):
        if key.startswith("nvidia.com/") or key.endswith("pci-10de.present"):
            del labels[key]
    labels["node.kubernetes.io/instance-type"] = "m7i.8xlarge"
    labels["beta.kubernetes.io/instance-type"] = "m7i.8xlarge"
    labels["eks.amazonaws.com/nodegroup"] = "system"
    del node["spec"]["taints"]
    for part in ("capacity", "allocatable"):
        resources = node["status"][part]
        del resources["nvidia.com/gpu"], resources["vpc.amazonaws.com/efa"]
        resources["cpu"] = "32" if part == "capacity" else "31750m"
    return _apply(node, overrides)


def pool(count: int, start: int = 0, **overrides: Any) -> list[dict[str, Any]]:
    """`count` clean GPU nodes."""
    return [gpu_node(start + i, **overrides) for i in range(count)]


def _apply(node: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`label_x=…`-style overrides are awkward for dotted keys, so overrides are explicit:

    labels={key: value or None}, info={field: value}, capacity={...}, allocatable={...},
    taints=[...], annotations={...}; a None value removes the key.
    """
    node = copy.deepcopy(node)
    meta, status = node["metadata"], node["status"]
    for section, target in (
        ("labels", meta["labels"]),
        ("annotations", meta["annotations"]),
        ("info", status["nodeInfo"]),
        ("capacity", status["capacity"]),
        ("allocatable", status["allocatable"]),
    ):
        for key, value in overrides.get(section, {}).items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
    if "taints" in overrides:
        node["spec"]["taints"] = overrides["taints"]
    return node


def with_changes(node: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A copy of `node` with overrides applied (see `_apply`)."""
    return _apply(node, overrides)

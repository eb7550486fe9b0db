"""Real Node objects as seven kinds of clusters label them, grown into healthy pools.

Each builder returns node `i` of a healthy pool, with what really differs between healthy
peers there: names, zones, spot/on-demand, ENIConfigs and EC2 network-topology layers,
KubeVirt's measured TSC frequency and heartbeat, GFD timestamps (GFD writes the label
once, at its start), boot IDs. Label vocabularies follow what each component publishes:
Kubernetes well-known labels, Karpenter's `karpenter.sh/*` and `karpenter.k8s.aws/*`,
AKS's `kubernetes.azure.com/*`, GKE's `cloud.google.com/*` (GKE installs the driver
itself: no GFD labels), RKE2 (`node.kubernetes.io/instance-type=rke2`, server roles),
Tanzu on vSphere with the GPU operator, KubeVirt's virt-handler labels, and a kubeadm
homelab with the device-plugin Helm chart's GFD and NFD.

`DRIFTS` are the real-world drifts issue 11 injected, each with the finding it must give.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NFD = "feature.node.kubernetes.io/"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}

Node = dict[str, Any]


def _stamp(i: int, days: float) -> str:
    """A GFD start some days ago, different per node."""
    return str(int((NOW - timedelta(days=days, minutes=37 * i)).timestamp()))


def gfd(
    product: str, count: int, driver: str, cuda: str, i: int, *, legacy: bool = False
) -> dict[str, str]:
    """GPU Feature Discovery's labels; `legacy`: a GFD before v0.15 (deprecated names only)."""
    major, minor, rev = driver.split(".")
    cmajor, cminor = cuda.split(".")
    labels = {
        "nvidia.com/cuda.driver.major": major,
        "nvidia.com/cuda.driver.minor": minor,
        "nvidia.com/cuda.driver.rev": rev,
        "nvidia.com/cuda.runtime.major": cmajor,
        "nvidia.com/cuda.runtime.minor": cminor,
        "nvidia.com/gfd.timestamp": _stamp(i, 3 + i % 5),
        "nvidia.com/gpu.count": str(count),
        "nvidia.com/gpu.product": product,
        "nvidia.com/gpu.memory": "81559",
        "nvidia.com/gpu.family": "hopper",
        "nvidia.com/gpu.compute.major": "9",
        "nvidia.com/gpu.compute.minor": "0",
        "nvidia.com/mig.capable": "true",
    }
    if not legacy:
        labels |= {
            "nvidia.com/cuda.driver-version.full": driver,
            "nvidia.com/cuda.driver-version.major": major,
            "nvidia.com/cuda.driver-version.minor": minor,
            "nvidia.com/cuda.driver-version.revision": rev,
            "nvidia.com/cuda.runtime-version.full": cuda,
            "nvidia.com/cuda.runtime-version.major": cmajor,
            "nvidia.com/cuda.runtime-version.minor": cminor,
            "nvidia.com/gpu.replicas": "1",
            "nvidia.com/gpu.sharing-strategy": "none",
            "nvidia.com/gpu.mode": "compute",
            "nvidia.com/mps.capable": "false",
        }
    return labels


def operator(mig_config: str = "all-disabled") -> dict[str, str]:
    """The GPU operator's own labels: operand switches, MIG manager, upgrade controller."""
    labels = {
        f"nvidia.com/gpu.deploy.{o}": "true"
        for o in (
            "container-toolkit",
            "dcgm",
            "dcgm-exporter",
            "device-plugin",
            "driver",
            "gpu-feature-discovery",
            "mig-manager",
            "node-status-exporter",
            "operator-validator",
        )
    }
    return labels | {
        "nvidia.com/gpu.present": "true",
        "nvidia.com/gpu-driver-upgrade-enabled": "true",
        "nvidia.com/gpu-driver-upgrade-state": "upgrade-done",
        "nvidia.com/mig.config": mig_config,
        "nvidia.com/mig.config.state": "success",
        "nvidia.com/mig.strategy": "single",
    }


def nfd(kernel: str, os_id: str, version: str) -> dict[str, str]:
    """Node Feature Discovery's labels for the kernel and OS."""
    return {
        NFD + "kernel-version.full": kernel,
        NFD + "kernel-version.major": kernel.split(".", maxsplit=1)[0],
        NFD + "system-os_release.ID": os_id,
        NFD + "system-os_release.VERSION_ID": version,
        NFD + "pci-10de.present": "true",
        NFD + "cpu-model.vendor_id": "AMD",
    }


def node(
    name: str,
    labels: dict[str, str],
    info: dict[str, str],
    *,
    capacity: dict[str, str],
    taints: list[dict[str, str]] | None = None,
    i: int = 0,
) -> Node:
    """A `v1 Node` as the API returns it."""
    allocatable = dict(capacity)
    if "memory" in capacity:
        allocatable["memory"] = (
            str(int(capacity["memory"].removesuffix("Ki")) - 4 * 1024 * 1024 - i * 4) + "Ki"
        )
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": f"4b1d{i:04d}-0000-4000-8000-{i:012d}",
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                **labels,
            },
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
            "creationTimestamp": (NOW - timedelta(days=10 + i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "spec": {"taints": taints} if taints else {},
        "status": {
            "capacity": capacity,
            "allocatable": allocatable,
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "bootID": f"b00d{i:04d}-1111-4111-8111-{i:012d}",
                "machineID": f"{i:032x}",
                "systemUUID": f"ec2{i:05x}-aaaa-bbbb-cccc-{i:012x}",
                **info,
            },
        },
    }


def _zone(zones: tuple[str, ...], i: int) -> str:
    return zones[i % len(zones)]


def eks_karpenter(i: int) -> Node:
    """EKS with Karpenter: a p5.48xlarge GPU NodePool, spot and on-demand."""
    zone = _zone(("us-west-2a", "us-west-2b", "us-west-2d"), i)
    labels = {
        "karpenter.sh/nodepool": "gpu-h100",
        "karpenter.sh/capacity-type": "spot" if i % 3 == 0 else "on-demand",
        "karpenter.sh/initialized": "true",
        "karpenter.sh/registered": "true",
        "karpenter.k8s.aws/ec2nodeclass": "gpu",
        "karpenter.k8s.aws/instance-category": "p",
        "karpenter.k8s.aws/instance-family": "p5",
        "karpenter.k8s.aws/instance-generation": "5",
        "karpenter.k8s.aws/instance-size": "48xlarge",
        "karpenter.k8s.aws/instance-gpu-name": "h100",
        "karpenter.k8s.aws/instance-gpu-count": "8",
        "karpenter.k8s.aws/instance-hypervisor": "nitro",
        "node.kubernetes.io/instance-type": "p5.48xlarge",
        "topology.kubernetes.io/region": "us-west-2",
        "topology.kubernetes.io/zone": zone,
        "topology.k8s.aws/zone-id": f"usw2-az{i % 3 + 1}",
        "topology.k8s.aws/network-node-layer-1": f"nn-{i:017x}",
        "topology.k8s.aws/network-node-layer-2": f"nn-{i * 7:017x}",
        "topology.k8s.aws/network-node-layer-3": f"nn-{i * 13:017x}",
        "vpc.amazonaws.com/eniConfig": zone,
        "k8s.io/cloud-provider-aws": "a94967527effcefb5f5829f529c0a1b9",
        **nfd("6.1.115-126.197.amzn2023.x86_64", "amzn", "2023"),
        **gfd("NVIDIA-H100-80GB-HBM3", 8, "570.124.06", "12.8", i),
        **operator(),
    }
    info = {
        "kernelVersion": "6.1.115-126.197.amzn2023.x86_64",
        "osImage": "Amazon Linux 2023.6.20241212",
        "containerRuntimeVersion": "containerd://1.7.23",
        "kubeletVersion": "v1.31.3-eks-59bf375",
        "kubeProxyVersion": "v1.31.3-eks-59bf375",
    }
    capacity = {
        "cpu": "192",
        "memory": "2097152000Ki",
        "pods": "100",
        "nvidia.com/gpu": "8",
        "vpc.amazonaws.com/efa": "32",
    }
    return node(
        f"ip-10-0-{i // 200}-{i % 200 + 10}.us-west-2.compute.internal",
        labels,
        info,
        capacity=capacity,
        taints=[dict(GPU_TAINT)],
        i=i,
    )


def aks(i: int) -> Node:
    """AKS: a Standard_NC96ads_A100_v4 user node pool (VM scale set) with the GPU operator."""
    labels = {
        "agentpool": "gpunp",
        "kubernetes.azure.com/agentpool": "gpunp",
        "kubernetes.azure.com/cluster": "MC_ml-rg_ml-aks_eastus",
        "kubernetes.azure.com/mode": "user",
        "kubernetes.azure.com/role": "agent",
        "kubernetes.azure.com/accelerator": "nvidia",
        "kubernetes.azure.com/node-image-version": "AKSUbuntu-2204gen2containerd-202411.12.0",
        "kubernetes.azure.com/os-sku": "Ubuntu",
        "kubernetes.azure.com/nodepool-type": "VirtualMachineScaleSets",
        "kubernetes.azure.com/storageprofile": "managed",
        "kubernetes.azure.com/storagetier": "Premium_LRS",
        "kubernetes.azure.com/network-subnet": f"gpu-subnet-{i % 2}",
        "kubernetes.azure.com/nodenetwork-vnetguid": "6d3b1a3e-6f0a-4f6c-9b1a-2f1c0c6c2a11",
        "node.kubernetes.io/instance-type": "Standard_NC96ads_A100_v4",
        "topology.kubernetes.io/region": "eastus",
        "topology.kubernetes.io/zone": f"eastus-{i % 3 + 1}",
        "topology.disk.csi.azure.com/zone": f"eastus-{i % 3 + 1}",
        **nfd("5.15.0-1075-azure", "ubuntu", "22.04"),
        **gfd("NVIDIA-A100-80GB-PCIe", 4, "550.127.05", "12.4", i),
        **operator(),
    }
    info = {
        "kernelVersion": "5.15.0-1075-azure",
        "osImage": "Ubuntu 22.04.5 LTS",
        "containerRuntimeVersion": "containerd://1.7.23-1",
        "kubeletVersion": "v1.30.6",
        "kubeProxyVersion": "v1.30.6",
    }
    capacity = {"cpu": "96", "memory": "928741188Ki", "pods": "110", "nvidia.com/gpu": "4"}
    return node(
        f"aks-gpunp-38215461-vmss{i:06x}",
        labels,
        info,
        capacity=capacity,
        taints=[dict(GPU_TAINT)],
        i=i,
    )


def gke(i: int) -> Node:
    """GKE: an a3-highgpu-8g node pool; GKE installs the driver, so no GFD labels."""
    labels = {
        "cloud.google.com/gke-nodepool": "a3-pool",
        "cloud.google.com/gke-accelerator": "nvidia-h100-80gb",
        "cloud.google.com/gke-gpu-driver-version": "latest",
        "cloud.google.com/gke-boot-disk": "pd-balanced",
        "cloud.google.com/gke-container-runtime": "containerd",
        "cloud.google.com/gke-os-distribution": "cos",
        "cloud.google.com/gke-provisioning": "standard",
        "cloud.google.com/machine-family": "a3",
        "cloud.google.com/private-node": "false",
        "cloud.google.com/gke-stack-type": "IPV4",
        "iam.gke.io/gke-metadata-server-enabled": "true",
        "node.kubernetes.io/instance-type": "a3-highgpu-8g",
        "topology.gke.io/zone": _zone(("us-central1-a", "us-central1-c"), i),
        "topology.kubernetes.io/region": "us-central1",
        "topology.kubernetes.io/zone": _zone(("us-central1-a", "us-central1-c"), i),
    }
    info = {
        "kernelVersion": "6.1.100+",
        "osImage": "Container-Optimized OS from Google",
        "containerRuntimeVersion": "containerd://1.7.22",
        "kubeletVersion": "v1.31.1-gke.1678000",
        "kubeProxyVersion": "v1.31.1-gke.1678000",
    }
    capacity = {"cpu": "208", "memory": "1905382064Ki", "pods": "110", "nvidia.com/gpu": "8"}
    return node(
        f"gke-ml-a3-pool-5f0c2b1e-{i:04x}",
        labels,
        info,
        capacity=capacity,
        taints=[dict(GPU_TAINT)],
        i=i,
    )


_RKE2_INFO = {
    "kernelVersion": "5.14.0-503.14.1.el9_5.x86_64",
    "osImage": "Rocky Linux 9.5 (Blue Onyx)",
    "containerRuntimeVersion": "containerd://1.7.23-k3s2",
    "kubeletVersion": "v1.31.3+rke2r1",
    "kubeProxyVersion": "v1.31.3+rke2r1",
}


def rke2(i: int) -> Node:
    """RKE2 on bare metal: nodes 0-2 servers, 3-5 CPU agents, the rest 2×L40S agents.

    Every node says `instance-type=rke2`: without the role and GPU split they would be
    one pool."""
    labels = {
        "node.kubernetes.io/instance-type": "rke2",
        "beta.kubernetes.io/instance-type": "rke2",
        "rke.cattle.io/machine": f"9a6c1e52-{i:04x}-4c1e-9f00-7d2b{i:08x}",
        "cattle.io/os": "linux",
        NFD + "system-os_release.ID": "rocky",
        NFD + "kernel-version.full": _RKE2_INFO["kernelVersion"],
    }
    capacity = {"cpu": "64", "memory": "527927888Ki", "pods": "110"}
    taints = None
    if i < 3:
        labels |= {
            "node-role.kubernetes.io/control-plane": "true",
            "node-role.kubernetes.io/etcd": "true",
            "node-role.kubernetes.io/master": "true",
        }
        taints = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
        capacity = {"cpu": "16", "memory": "65843292Ki", "pods": "110"}
    elif i >= 6:
        labels |= {
            **gfd("NVIDIA-L40S", 2, "560.35.03", "12.6", i),
            **operator(),
            NFD + "pci-10de.present": "true",
        }
        labels["nvidia.com/mig.capable"] = "false"
        capacity = {**capacity, "nvidia.com/gpu": "2"}
        taints = [dict(GPU_TAINT)]
    return node(
        f"rke2-node-{i:02d}.lab.example.net",
        labels,
        dict(_RKE2_INFO),
        capacity=capacity,
        taints=taints,
        i=i,
    )


def vsphere(i: int) -> Node:
    """Tanzu (TKG) on vSphere: passthrough A100s, MIG 1g.5gb everywhere, GPU operator."""
    labels = {
        "node.kubernetes.io/instance-type": "vsphere-vm.cpu-32.mem-256gb.os-ubuntu",
        "run.tanzu.vmware.com/tkr": "v1.29.4---vmware.3-fips.1-tkg.1",
        "run.tanzu.vmware.com/kubernetesDistributionVersion": "v1.29.4---vmware.3-fips.1-tkg.1",
        "cluster.x-k8s.io/cluster-name": "ml-tkc",
        "cluster.x-k8s.io/deployment-name": "ml-tkc-gpu-workers-x7k2p",
        "cluster.x-k8s.io/set-name": "ml-tkc-gpu-workers-x7k2p-6c9f8d",
        **nfd("5.15.0-125-generic", "ubuntu", "22.04"),
        **gfd("NVIDIA-A100-PCIE-40GB-MIG-1g.5gb", 14, "550.127.05", "12.4", i),
        **operator("all-1g.5gb"),
        "nvidia.com/gpu.memory": "4864",
    }
    info = {
        "kernelVersion": "5.15.0-125-generic",
        "osImage": "Ubuntu 22.04.5 LTS",
        "containerRuntimeVersion": "containerd://1.6.33+vmware.1",
        "kubeletVersion": "v1.29.4+vmware.3-fips.1",
        "kubeProxyVersion": "v1.29.4+vmware.3-fips.1",
    }
    capacity = {"cpu": "32", "memory": "263855572Ki", "pods": "110", "nvidia.com/gpu": "14"}
    return node(
        f"ml-tkc-gpu-workers-x7k2p-6c9f8d-{i:05x}",
        labels,
        info,
        capacity=capacity,
        taints=[dict(GPU_TAINT)],
        i=i,
    )


def kubevirt(i: int) -> Node:
    """KubeVirt hosts (kubeadm on bare metal) passing A100s to VMs: no GFD, the sandbox
    device plugin's resource, virt-handler's CPU and per-host TSC labels."""
    tsc = 2095078000 + 1731 * i  # measured per host at boot
    labels = {
        "kubevirt.io/schedulable": "true",
        "kubevirt.io/ksm-enabled": "false",
        "kubevirt.io/heartbeat": (NOW - timedelta(seconds=17 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu-model.node.kubevirt.io/Cascadelake-Server": "true",
        "cpu-feature.node.kubevirt.io/avx512f": "true",
        "host-model-cpu.node.kubevirt.io/Cascadelake-Server-noTSX": "true",
        "machine-type.node.kubevirt.io/pc-q35-rhel9.4.0": "true",
        "cpu-timer.node.kubevirt.io/tsc-frequency": str(tsc),
        "cpu-timer.node.kubevirt.io/tsc-scalable": "true",
        f"scheduling.node.kubevirt.io/tsc-frequency-{tsc}": "true",
        "nvidia.com/gpu.present": "true",
        "nvidia.com/gpu.workload.config": "vm-passthrough",
        "nvidia.com/gpu.deploy.sandbox-device-plugin": "true",
        "nvidia.com/gpu.deploy.vfio-manager": "true",
        **nfd("5.14.0-427.42.1.el9_4.x86_64", "rhel", "9.4"),
    }
    info = {
        "kernelVersion": "5.14.0-427.42.1.el9_4.x86_64",
        "osImage": "Red Hat Enterprise Linux 9.4 (Plow)",
        "containerRuntimeVersion": "cri-o://1.30.6",
        "kubeletVersion": "v1.30.6",
        "kubeProxyVersion": "v1.30.6",
    }
    capacity = {
        "cpu": "96",
        "memory": "791340264Ki",
        "pods": "250",
        "nvidia.com/GA100_A100_PCIE_40GB": "2",
        "devices.kubevirt.io/kvm": "1k",
    }
    return node(f"virt-host-{i:02d}", labels, info, capacity=capacity, i=i)


def homelab(i: int) -> Node:
    """kubeadm at home: node 0 the control plane, 1-2 CPU workers, 3-5 one RTX 4090 each."""
    labels: dict[str, str] = {
        NFD + "kernel-version.full": "6.8.0-49-generic",
        NFD + "system-os_release.ID": "ubuntu",
    }
    capacity = {"cpu": "16", "memory": "65786780Ki", "pods": "110"}
    taints = None
    if i == 0:
        labels["node-role.kubernetes.io/control-plane"] = ""
        taints = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    elif i >= 3:
        labels |= gfd("NVIDIA-GeForce-RTX-4090", 1, "565.57.01", "12.7", i)
        labels |= {
            "nvidia.com/mig.capable": "false",
            "nvidia.com/gpu.family": "ada-lovelace",
            NFD + "pci-10de.present": "true",
        }
        capacity = {**capacity, "nvidia.com/gpu": "1"}
    info = {
        "kernelVersion": "6.8.0-49-generic",
        "osImage": "Ubuntu 24.04.1 LTS",
        "containerRuntimeVersion": "containerd://1.7.24",
        "kubeletVersion": "v1.31.4",
        "kubeProxyVersion": "v1.31.4",
    }
    return node(
        f"{('cp', 'nuc1', 'nuc2', 'gpu1', 'gpu2', 'gpu3')[i % 6]}-{i // 6}",
        labels,
        info,
        capacity=capacity,
        taints=taints,
        i=i,
    )


CLOUDS: dict[str, tuple[Callable[[int], Node], int]] = {
    "eks-karpenter": (eks_karpenter, 9),
    "aks": (aks, 6),
    "gke": (gke, 6),
    "rke2": (rke2, 11),
    "vsphere": (vsphere, 5),
    "kubevirt": (kubevirt, 5),
    "homelab": (homelab, 6),
}


def fleet(cloud: str) -> list[Node]:
    """A healthy cluster of that kind."""
    build, size = CLOUDS[cloud]
    return [build(i) for i in range(size)]


# -- real-world drifts -------------------------------------------------------------------------


def _labels(n: Node) -> dict[str, str]:
    return n["metadata"]["labels"]  # type: ignore[no-any-return]


def _older_driver(n: Node) -> None:
    labels = _labels(n)
    labels |= {
        "nvidia.com/cuda.driver-version.full": "535.216.03",
        "nvidia.com/cuda.driver-version.major": "535",
        "nvidia.com/cuda.driver-version.minor": "216",
        "nvidia.com/cuda.driver-version.revision": "03",
    }
    labels |= {
        "nvidia.com/cuda.driver.major": "535",
        "nvidia.com/cuda.driver.minor": "216",
        "nvidia.com/cuda.driver.rev": "03",
    }
    labels |= {
        "nvidia.com/cuda.runtime-version.full": "12.2",
        "nvidia.com/cuda.runtime-version.minor": "2",
        "nvidia.com/cuda.runtime.minor": "2",
    }


def _kernel(n: Node) -> None:
    info = n["status"]["nodeInfo"]
    info["kernelVersion"] = info["kernelVersion"].replace("5", "6", 1) + "-new"
    if NFD + "kernel-version.full" in _labels(n):
        _labels(n)[NFD + "kernel-version.full"] = info["kernelVersion"]
        _labels(n)[NFD + "kernel-version.major"] = info["kernelVersion"].split(".")[0]


def _mig_failed(n: Node) -> None:
    _labels(n)["nvidia.com/mig.config.state"] = "failed"


def _gpu_lost(n: Node) -> None:
    for side in ("capacity", "allocatable"):
        n["status"][side]["nvidia.com/gpu"] = str(int(n["status"][side]["nvidia.com/gpu"]) - 1)


def _no_capacity(n: Node) -> None:
    for side in ("capacity", "allocatable"):
        n["status"][side].pop("nvidia.com/gpu")


def _runtime(n: Node) -> None:
    n["status"]["nodeInfo"]["containerRuntimeVersion"] += "-old"


def _no_taint(n: Node) -> None:
    n["spec"]["taints"] = [t for t in n["spec"]["taints"] if t["key"] != "nvidia.com/gpu"]


def _kubelet(n: Node) -> None:
    n["status"]["nodeInfo"]["kubeletVersion"] = "v1.28.15"
    n["status"]["nodeInfo"]["kubeProxyVersion"] = "v1.28.15"


def _cuda_too_new(n: Node) -> None:
    labels = _labels(n)
    labels |= {
        "nvidia.com/cuda.runtime-version.full": "13.0",
        "nvidia.com/cuda.runtime-version.major": "13",
        "nvidia.com/cuda.runtime-version.minor": "0",
    }
    labels |= {"nvidia.com/cuda.runtime.major": "13", "nvidia.com/cuda.runtime.minor": "0"}


def _upgrade_failed(n: Node) -> None:
    _labels(n)["nvidia.com/gpu-driver-upgrade-state"] = "upgrade-failed"


def _unhealthy(n: Node) -> None:
    n["status"]["allocatable"]["nvidia.com/gpu"] = str(
        int(n["status"]["capacity"]["nvidia.com/gpu"]) - 1
    )


def _gfd_gone(n: Node) -> None:
    """GFD stopped labelling this node: its whole label family is missing."""
    for key in [
        k
        for k in _labels(n)
        if k.startswith(
            (
                "nvidia.com/cuda.",
                "nvidia.com/gpu.",
                "nvidia.com/gfd.",
                "nvidia.com/mps.",
                "nvidia.com/mig.capable",
            )
        )
    ]:
        if not key.startswith(("nvidia.com/gpu.deploy.", "nvidia.com/gpu.present")):
            del _labels(n)[key]


# name -> (edit, needs, (rule, path) it must produce)
DRIFTS: dict[str, tuple[Callable[[Node], None], str, tuple[str, str]]] = {
    "driver": (
        _older_driver,
        "gfd",
        ("peer-mismatch", "label:nvidia.com/cuda.driver-version.full"),
    ),
    "kernel": (_kernel, "any", ("peer-mismatch", "nodeInfo.kernelVersion")),
    "mig-failed": (
        _mig_failed,
        "operator",
        ("mig-config-not-applied", "label:nvidia.com/mig.config.state"),
    ),
    "gpu-lost": (_gpu_lost, "gfd", ("gpu-count-mismatch", "capacity:nvidia.com/gpu")),
    "no-capacity": (_no_capacity, "gfd", ("gpu-count-mismatch", "capacity:nvidia.com/gpu")),
    "runtime": (_runtime, "any", ("peer-mismatch", "nodeInfo.containerRuntimeVersion")),
    "taint": (_no_taint, "taint", ("peer-mismatch", "taint:nvidia.com/gpu:NoSchedule")),
    "kubelet": (_kubelet, "any", ("peer-mismatch", "nodeInfo.kubeletVersion")),
    "cuda-driver": (
        _cuda_too_new,
        "gfd",
        ("driver-too-old-for-cuda", "label:nvidia.com/cuda.driver-version.full"),
    ),
    "upgrade-failed": (
        _upgrade_failed,
        "operator",
        ("driver-upgrade-failed", "label:nvidia.com/gpu-driver-upgrade-state"),
    ),
    "unhealthy-gpu": (_unhealthy, "gpu-capacity", ("gpu-unhealthy", "allocatable:nvidia.com/gpu")),
    "gfd-gone": (_gfd_gone, "gfd", ("peer-mismatch", "label:nvidia.com/*")),
}


def applies(needs: str, n: Node) -> bool:
    """Whether a drift of that kind can happen on the node."""
    labels = _labels(n)
    if needs == "gfd":
        return (
            "nvidia.com/cuda.driver-version.full" in labels
            and "nvidia.com/gpu" in n["status"]["capacity"]
        )
    if needs == "operator":
        return "nvidia.com/mig.config" in labels
    if needs == "taint":
        return any(t["key"] == "nvidia.com/gpu" for t in n["spec"].get("taints", ()))
    if needs == "gpu-capacity":
        return "nvidia.com/gpu" in n["status"]["capacity"]
    return True


def drifted(nodes: list[Node], index: int, edit: Callable[[Node], None]) -> list[Node]:
    """A copy of the cluster with one node drifted."""
    out = copy.deepcopy(nodes)
    edit(out[index])
    return out

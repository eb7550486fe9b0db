"""Hardware and software facts the simulator draws from: GPU models, instance types, node stacks.

Values follow what the real components publish: GPU names and label formats as NVIDIA GPU
Feature Discovery writes them (`nvidia.com/gpu.product` is the NVML name with spaces turned
into dashes, `gpu.memory` in MiB, `gpu.family` from the compute capability), instance sizes
and pod limits as Amazon EKS reports them, and the CUDA version each driver branch supports
(GFD's `cuda.runtime-version` is that driver-side CUDA version, not a container's toolkit).
"""

from __future__ import annotations

from dataclasses import dataclass

# The highest CUDA version each driver branch supports (what NVML reports as the CUDA
# driver version and GFD publishes as `nvidia.com/cuda.runtime-version.*`).
CUDA_BY_DRIVER_BRANCH: dict[int, tuple[int, int]] = {
    535: (12, 2),
    545: (12, 3),
    550: (12, 4),
    555: (12, 5),
    560: (12, 6),
    565: (12, 7),
    570: (12, 8),
    575: (12, 9),
    580: (13, 0),
}


def cuda_for_driver(driver: str) -> tuple[int, int]:
    """The CUDA version a driver such as `570.133.20` supports; ValueError if unknown."""
    branch = int(driver.split(".", 1)[0])
    try:
        return CUDA_BY_DRIVER_BRANCH[branch]
    except KeyError:
        raise ValueError(f"unknown NVIDIA driver branch {branch} (driver {driver})") from None


@dataclass(frozen=True, slots=True)
class MigProfile:
    """One MIG partitioning applied to every GPU of a node (the `single` strategy)."""

    config: str  # the mig-parted config name, as in `nvidia.com/mig.config`
    profile: str  # e.g. `1g.5gb`
    per_gpu: int  # MIG devices per GPU
    memory_mib: int
    multiprocessors: int
    slices: int  # GPU-instance (and compute-instance) slices


@dataclass(frozen=True, slots=True)
class GpuModel:
    """One NVIDIA GPU model as GPU Feature Discovery describes it."""

    product: str  # `nvidia.com/gpu.product`, e.g. NVIDIA-H100-80GB-HBM3
    nvml_name: str  # nvmlDeviceGetName; GFD's product is it with spaces as dashes
    family: str
    compute: tuple[int, int]
    memory_mib: int
    mig_profiles: tuple[MigProfile, ...] = ()

    @property
    def mig_capable(self) -> bool:
        """Whether the GPU can be partitioned with MIG."""
        return bool(self.mig_profiles)

    def mig_profile(self, config: str) -> MigProfile | None:
        """The profile for a `mig.config` name; None for `all-disabled`; ValueError if unknown."""
        if config == "all-disabled":
            return None
        for profile in self.mig_profiles:
            if profile.config == config:
                return profile
        raise ValueError(f"{self.product} has no MIG configuration {config!r}")


H100_80GB_HBM3 = GpuModel(
    product="NVIDIA-H100-80GB-HBM3",
    nvml_name="NVIDIA H100 80GB HBM3",
    family="hopper",
    compute=(9, 0),
    memory_mib=81559,
    mig_profiles=(
        MigProfile("all-1g.10gb", "1g.10gb", 7, 9856, 16, 1),
        MigProfile("all-3g.40gb", "3g.40gb", 2, 40192, 60, 3),
    ),
)
A100_SXM4_40GB = GpuModel(
    product="NVIDIA-A100-SXM4-40GB",
    nvml_name="NVIDIA A100-SXM4-40GB",
    family="ampere",
    compute=(8, 0),
    memory_mib=40960,
    mig_profiles=(
        MigProfile("all-1g.5gb", "1g.5gb", 7, 4864, 14, 1),
        MigProfile("all-3g.20gb", "3g.20gb", 2, 19968, 42, 3),
    ),
)
L4 = GpuModel(
    product="NVIDIA-L4",
    nvml_name="NVIDIA L4",
    family="ada-lovelace",
    compute=(8, 9),
    memory_mib=23034,
)


@dataclass(frozen=True, slots=True)
class InstanceType:
    """A machine shape: CPUs, memory, GPUs and what the kubelet reports for it."""

    name: str
    cpus: int
    memory_gib: int
    max_pods: int
    cpu_vendor: str  # NFD `cpu-model.vendor_id`: Intel or AMD
    gpu: GpuModel | None = None
    gpus: int = 0
    root_disk_gib: int = 100
    extra_resources: tuple[tuple[str, str], ...] = ()  # e.g. EFA interfaces


P5_48XLARGE = InstanceType(
    name="p5.48xlarge",
    cpus=192,
    memory_gib=2048,
    max_pods=100,
    cpu_vendor="AMD",
    gpu=H100_80GB_HBM3,
    gpus=8,
    root_disk_gib=500,
    extra_resources=(("vpc.amazonaws.com/efa", "32"),),
)
P4D_24XLARGE = InstanceType(
    name="p4d.24xlarge",
    cpus=96,
    memory_gib=1152,
    max_pods=737,
    cpu_vendor="Intel",
    gpu=A100_SXM4_40GB,
    gpus=8,
    root_disk_gib=500,
    extra_resources=(("vpc.amazonaws.com/efa", "4"),),
)
G6_XLARGE = InstanceType(
    name="g6.xlarge", cpus=4, memory_gib=16, max_pods=58, cpu_vendor="AMD", gpu=L4, gpus=1
)
G6_12XLARGE = InstanceType(
    name="g6.12xlarge", cpus=48, memory_gib=192, max_pods=234, cpu_vendor="AMD", gpu=L4, gpus=4
)
M7I_2XLARGE = InstanceType(
    name="m7i.2xlarge", cpus=8, memory_gib=32, max_pods=58, cpu_vendor="Intel"
)
M7I_8XLARGE = InstanceType(
    name="m7i.8xlarge", cpus=32, memory_gib=128, max_pods=234, cpu_vendor="Intel"
)


@dataclass(frozen=True, slots=True)
class NodeStack:
    """The software a pool's nodes run; every clean node of a pool has exactly this."""

    kernel: str = "5.15.0-1057-aws"
    os_image: str = "Ubuntu 22.04.4 LTS"
    os_id: str = "ubuntu"
    os_version_id: str = "22.04"
    containerd: str = "1.7.12"
    kubelet: str = "v1.29.3-eks-ae9a62a"
    driver: str = "570.133.20"
    nfd_version: str = "v0.16.6"

    def cuda(self) -> tuple[int, int]:
        """The CUDA version this stack's driver supports."""
        return cuda_for_driver(self.driver)


DEFAULT_STACK = NodeStack()

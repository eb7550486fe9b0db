"""Names of the labels the NVIDIA GPU stack and Node Feature Discovery publish.

GPU Feature Discovery (NVIDIA/k8s-device-plugin `internal/lm`): the driver and CUDA
version labels (current and deprecated names), `gpu.count` / `gpu.replicas` /
`gpu.product` per resource, `mig.strategy`, and `gfd.timestamp` (Unix seconds, written
once when the GFD process starts, not at each relabel: see `gpu_rules._gfd_stale`).
The GPU operator: `gpu.present`, the mig-manager's `mig.config` (desired) and
`mig.config.state` (`pending`, `rebooting`, `success`, `failed`), the driver upgrade
controller's `gpu-driver-upgrade-state` (`upgrade-required` … `upgrade-done`, or
`upgrade-failed`) and the per-operand switches `gpu.deploy.<operand>`. NFD:
`kernel-version.full` (the kernel release, `uname -r`) and `pci-10de.present` (an
NVIDIA PCI device).
"""

from __future__ import annotations

from kubedrift.analysis.facts import NodeFacts, capacity_fact
from kubedrift.diff.quantities import quantity_value

NVIDIA = "nvidia.com/"
NFD = "feature.node.kubernetes.io/"

DRIVER_FULL = NVIDIA + "cuda.driver-version.full"
DRIVER_PARTS = tuple(NVIDIA + f"cuda.driver-version.{p}" for p in ("major", "minor", "revision"))
DRIVER_PARTS_OLD = tuple(NVIDIA + f"cuda.driver.{p}" for p in ("major", "minor", "rev"))
CUDA_FULL = NVIDIA + "cuda.runtime-version.full"
CUDA_PARTS = (NVIDIA + "cuda.runtime-version.major", NVIDIA + "cuda.runtime-version.minor")
CUDA_PARTS_OLD = (NVIDIA + "cuda.runtime.major", NVIDIA + "cuda.runtime.minor")
GPU_COUNT = NVIDIA + "gpu.count"
GPU_REPLICAS = NVIDIA + "gpu.replicas"
GPU_PRODUCT = NVIDIA + "gpu.product"
GPU_PRESENT = NVIDIA + "gpu.present"
MIG_CONFIG = NVIDIA + "mig.config"
MIG_STATE = NVIDIA + "mig.config.state"
MIG_STRATEGY = NVIDIA + "mig.strategy"
UPGRADE_STATE = NVIDIA + "gpu-driver-upgrade-state"
GFD_TIMESTAMP = NVIDIA + "gfd.timestamp"
DEPLOY_GFD = NVIDIA + "gpu.deploy.gpu-feature-discovery"  # the GPU operator's switch
NFD_KERNEL = NFD + "kernel-version.full"
NFD_NVIDIA_PCI = NFD + "pci-10de.present"

GPU_RESOURCE = "nvidia.com/gpu"
SHARED_GPU_RESOURCE = "nvidia.com/gpu.shared"  # time-slicing with renameByDefault

# Agent facts (kubedrift's node agent; names as in `kubedrift.agent.names`).
AGENT_DRIVER = "agent:nvml.driver_version"  # nvmlSystemGetDriverVersion
AGENT_CUDA = "agent:nvml.cuda_driver_version"  # nvmlSystemGetCudaDriverVersion, e.g. 12.8
AGENT_MODULE_VERSION = "agent:module.nvidia.version"  # /sys/module/nvidia/version
AGENT_GPU_COUNT = "agent:nvml.gpu_count"  # nvmlDeviceGetCount
AGENT_GPU0_NAME = "agent:nvml.gpu.0.name"  # nvmlDeviceGetName, e.g. NVIDIA H100 80GB HBM3
# Unix seconds the host booted (/proc/stat btime); not published by the agent yet.
AGENT_BOOT_TIME = "agent:host.boot_time"
# The kernel the loaded NVIDIA module was built for; not published by the agent yet.
AGENT_DRIVER_KERNEL = "agent:nvidia.driver.kernel"


def is_gpu_node(facts: NodeFacts) -> bool:
    """An NVIDIA GPU node: operator label, GPU capacity, or an NVIDIA PCI device seen by NFD."""
    if facts.label(GPU_PRESENT) == "true" or facts.label(NFD_NVIDIA_PCI) == "true":
        return True
    units = quantity_value(facts.get(capacity_fact(GPU_RESOURCE)))
    return units is not None and units > 0

"""A whole collection over a fake GPU node: exact facts, and nothing at all on an empty host."""

from __future__ import annotations

import hashlib
import json

from kubedrift.agent.collect import collect
from kubedrift.agent.nvml import NvmlError, NvmlErrorKind, RecordedNvml
from kubedrift.agent.options import CollectOptions

from .conftest import MakeHost
from .samples import (
    CDI_SPEC,
    CMDLINE,
    CONTAINERD_CONFIG,
    KUBELET_CONF,
    KUBELET_CONFIG,
    gpu_node_files,
    gpu_node_links,
)

MODULES = [
    "br_netfilter",
    "ib_core",
    "ib_uverbs",
    "mlx5_core",
    "mlx5_ib",
    "nvidia",
    "nvidia_drm",
    "nvidia_modeset",
    "nvidia_peermem",
    "nvidia_uvm",
    "overlay",
]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


EXPECTED = {
    "kernel.cmdline": CMDLINE.strip(),
    "kernel.param.BOOT_IMAGE": "/vmlinuz-5.15.0-131-generic",
    "kernel.param.root": "UUID=6c1b4a3e-0f6d-4b8e-9a57-2d1c0e3f4a5b",
    "kernel.param.ro": "",
    "kernel.param.console": "tty0 ttyS0,115200n8",
    "kernel.param.quiet": "",
    "kernel.param.iommu": "pt",
    "kernel.param.intel_iommu": "on",
    "kernel.param.nvidia_drm.modeset": "1",
    "kernel.param.systemd.unified_cgroup_hierarchy": "1",
    "kernel.param.acpi_osi": "!Windows 2012",
    "sysctl.vm.max_map_count": "262144",
    "sysctl.vm.overcommit_memory": "1",
    "sysctl.kernel.numa_balancing": "0",
    "sysctl.net.core.rmem_max": "134217728",
    "sysctl.net.ipv4.tcp_rmem": "4096 87380 134217728",
    "thp.enabled": "madvise",
    "thp.defrag": "madvise",
    "modules.digest": "sha256:" + _sha("\n".join(MODULES)),
    "module.ib_core": "loaded",
    "module.ib_uverbs": "loaded",
    "module.mlx5_core": "loaded",
    "module.mlx5_core.version": "24.10-1.1.4",
    "module.mlx5_ib": "loaded",
    "module.nvidia": "loaded",
    "module.nvidia.version": "570.86.15",
    "module.nvidia_drm": "loaded",
    "module.nvidia_modeset": "loaded",
    "module.nvidia_peermem": "loaded",
    "module.nvidia_uvm": "loaded",
    "os.id": "ubuntu",
    "os.version_id": "22.04",
    "package.containerd.io": "1.7.25-1",
    "package.cuda-cudart-12-8": "12.8.57-1",
    "package.cuda-toolkit-12-8": "12.8.0-1",
    "package.kubelet": "1.31.4-1.1",
    "package.libnvidia-compute-570:amd64": "570.86.15-0ubuntu0.22.04.1",
    "package.libnvidia-compute-570:i386": "570.86.15-0ubuntu0.22.04.1",
    "package.linux-image-5.15.0-131-generic": "5.15.0-131.141",
    "package.nvidia-container-toolkit": "1.17.4-1",
    "package.nvidia-driver-570": "570.86.15-0ubuntu0.22.04.1",
    "file.kubelet-config.sha256": _sha(KUBELET_CONFIG),
    "file.kubelet-kubeconfig.sha256": _sha(KUBELET_CONF),
    "file.containerd-config.sha256": _sha(CONTAINERD_CONFIG),
    "file.cdi-run.nvidia.yaml.sha256": _sha(CDI_SPEC),
}


def test_gpu_node_yields_exactly_the_expected_facts(make_host: MakeHost) -> None:
    root = make_host(gpu_node_files(), gpu_node_links())
    collection = collect(CollectOptions(host_root=root), nvml=None)
    assert dict(collection.facts) == EXPECTED
    assert list(collection.facts) == sorted(EXPECTED)
    assert collection.notes == ()


def test_a_credential_in_kubelet_conf_never_reaches_the_facts(make_host: MakeHost) -> None:
    root = make_host(gpu_node_files(), gpu_node_links())
    text = json.dumps(dict(collect(CollectOptions(host_root=root), nvml=None).facts))
    assert "s3cr3t" not in text
    assert "system:node" not in text


def test_an_empty_host_yields_no_facts_and_no_error(make_host: MakeHost) -> None:
    collection = collect(CollectOptions(host_root=make_host({})), nvml=None)
    assert collection.facts == {}
    assert collection.notes == ()


def test_without_nvml_library_only_the_status_is_published(make_host: MakeHost) -> None:
    missing = NvmlError(NvmlErrorKind.LIBRARY_NOT_FOUND, "NVML Shared Library Not Found")
    collection = collect(
        CollectOptions(host_root=make_host({})), nvml=RecordedNvml({}, init_error=missing)
    )
    assert collection.facts == {"nvml.status": "library-not-found"}
    assert collection.notes == ("NVML not available: NVML Shared Library Not Found",)


def test_proc_and_sys_can_live_apart_from_the_host_root(make_host: MakeHost) -> None:
    host = make_host({"/etc/os-release": "ID=debian\nVERSION_ID=12\n"})
    proc = make_host({"/cmdline": "quiet\n", "/sys/vm/max_map_count": "65530\n"})
    sys = make_host({"/kernel/mm/transparent_hugepage/enabled": "[always] madvise never\n"})
    options = CollectOptions(host_root=host, proc_root=proc, sys_root=sys)
    assert dict(collect(options, nvml=None).facts) == {
        "kernel.cmdline": "quiet",
        "kernel.param.quiet": "",
        "os.id": "debian",
        "os.version_id": "12",
        "sysctl.vm.max_map_count": "65530",
        "thp.enabled": "always",
    }

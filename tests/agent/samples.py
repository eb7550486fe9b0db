"""Realistic host files of a GPU node (Ubuntu 22.04, driver 570, CUDA 12.8), for tests."""

from __future__ import annotations

CMDLINE = (
    "BOOT_IMAGE=/vmlinuz-5.15.0-131-generic root=UUID=6c1b4a3e-0f6d-4b8e-9a57-2d1c0e3f4a5b ro "
    "console=tty0 console=ttyS0,115200n8 quiet iommu=pt intel_iommu=on nvidia-drm.modeset=1 "
    'systemd.unified_cgroup_hierarchy=1 acpi_osi="!Windows 2012" -- single\n'
)

PROC_MODULES = """\
nvidia_uvm 1785856 4 - Live 0x0000000000000000 (PO)
nvidia_drm 126976 0 - Live 0x0000000000000000 (PO)
nvidia_modeset 1597440 1 nvidia_drm, Live 0x0000000000000000 (PO)
nvidia_peermem 16384 0 - Live 0x0000000000000000 (PO)
nvidia 60657664 48 nvidia_uvm,nvidia_peermem,nvidia_modeset, Live 0x0000000000000000 (PO)
mlx5_ib 458752 0 - Live 0x0000000000000000
ib_uverbs 163840 2 nvidia_peermem,mlx5_ib, Live 0x0000000000000000
ib_core 442368 3 mlx5_ib,ib_uverbs,nvidia_peermem, Live 0x0000000000000000
mlx5_core 2052096 1 mlx5_ib, Live 0x0000000000000000
overlay 151552 12 - Live 0x0000000000000000
br_netfilter 32768 0 - Live 0x0000000000000000
"""

OS_RELEASE = """\
PRETTY_NAME="Ubuntu 22.04.5 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.5 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
UBUNTU_CODENAME=jammy
"""

DPKG_STATUS = """\
Package: adduser
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 608
Maintainer: Ubuntu Core Developers <ubuntu-devel-discuss@lists.ubuntu.com>
Architecture: all
Multi-Arch: foreign
Version: 3.118ubuntu5
Depends: passwd, debconf (>= 0.5) | debconf-2.0
Description: add and remove users and groups
 This package includes the 'adduser' and 'deluser' commands for creating
 and removing users.
 .
 Version: 9.9 (a continuation line that looks like a field)

Package: containerd.io
Status: install ok installed
Priority: optional
Section: devel
Installed-Size: 118312
Maintainer: Containerd team <help@containerd.io>
Architecture: amd64
Version: 1.7.25-1
Conffiles:
 /etc/containerd/config.toml 2f8e6bb5c1a2e5a7e8b0f0e3cb0c1d1e
Description: An open and reliable container runtime

Package: cuda-cudart-12-8
Status: install ok installed
Priority: optional
Section: devel
Installed-Size: 753
Maintainer: cudatools <cudatools@nvidia.com>
Architecture: amd64
Version: 12.8.57-1
Provides: cuda-cudart
Depends: cuda-toolkit-config-common, cuda-toolkit-12-config-common
Description: CUDA Runtime native Libraries

Package: cuda-toolkit-12-8
Status: install ok installed
Priority: optional
Section: devel
Installed-Size: 8
Maintainer: cudatools <cudatools@nvidia.com>
Architecture: amd64
Version: 12.8.0-1
Description: CUDA Toolkit 12.8 meta-package

Package: kubelet
Status: hold ok installed
Priority: optional
Section: misc
Installed-Size: 79146
Maintainer: Kubernetes Authors <dev@kubernetes.io>
Architecture: amd64
Version: 1.31.4-1.1
Depends: iptables (>= 1.4.21), kubernetes-cni (>= 1.1.1), iproute2, socat, util-linux
Description: Node agent for Kubernetes clusters

Package: libnvidia-compute-570
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 247891
Maintainer: Ubuntu Core Developers <ubuntu-devel-discuss@lists.ubuntu.com>
Architecture: amd64
Multi-Arch: same
Source: nvidia-graphics-drivers-570
Version: 570.86.15-0ubuntu0.22.04.1
Description: NVIDIA libcompute package

Package: libnvidia-compute-570
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 201203
Maintainer: Ubuntu Core Developers <ubuntu-devel-discuss@lists.ubuntu.com>
Architecture: i386
Multi-Arch: same
Source: nvidia-graphics-drivers-570
Version: 570.86.15-0ubuntu0.22.04.1
Description: NVIDIA libcompute package

Package: linux-image-5.15.0-131-generic
Status: install ok installed
Priority: optional
Section: kernel
Installed-Size: 11600
Maintainer: Canonical Kernel Team <kernel-team@lists.ubuntu.com>
Architecture: amd64
Source: linux-signed
Version: 5.15.0-131.141
Description: Signed kernel image generic

Package: nvidia-driver-550
Status: deinstall ok config-files
Priority: optional
Section: restricted/libs
Installed-Size: 567
Maintainer: Ubuntu Core Developers <ubuntu-devel-discuss@lists.ubuntu.com>
Architecture: amd64
Version: 550.127.05-0ubuntu0.22.04.1
Description: NVIDIA driver metapackage (removed, configuration files remain)

Package: nvidia-driver-570
Status: install ok installed
Priority: optional
Section: restricted/libs
Installed-Size: 579
Maintainer: Ubuntu Core Developers <ubuntu-devel-discuss@lists.ubuntu.com>
Architecture: amd64
Source: nvidia-graphics-drivers-570
Version: 570.86.15-0ubuntu0.22.04.1
Depends: nvidia-driver-570-server | libnvidia-gl-570, nvidia-dkms-570
Description: NVIDIA driver metapackage

Package: nvidia-container-toolkit
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 8262
Maintainer: NVIDIA CORPORATION <cudatools@nvidia.com>
Architecture: amd64
Version: 1.17.4-1
Description: NVIDIA Container toolkit

Package: zlib1g
Status: install ok installed
Priority: required
Section: libs
Installed-Size: 164
Maintainer: Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>
Architecture: amd64
Multi-Arch: same
Version: 1:1.2.11.dfsg-2ubuntu9.2
Description: compression library - runtime
"""

KUBELET_CONFIG = """\
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
cpuManagerPolicy: static
topologyManagerPolicy: single-numa-node
"""

KUBELET_CONF = """\
apiVersion: v1
kind: Config
users:
- name: system:node:gpu-1
  user:
    token: s3cr3t-node-token-that-must-never-leave
"""

CONTAINERD_CONFIG = """\
version = 2
[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "nvidia"
"""

CDI_SPEC = """\
cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
- name: "0"
- name: GPU-3f3c8f2b-8c2d-4e3b-a1f2-5d6e7f8a9b0c
"""


def gpu_node_files() -> dict[str, str]:
    """Every host file of a typical GPU node, by host path."""
    return {
        "/proc/cmdline": CMDLINE,
        "/proc/modules": PROC_MODULES,
        "/proc/sys/vm/max_map_count": "262144\n",
        "/proc/sys/vm/overcommit_memory": "1\n",
        "/proc/sys/kernel/numa_balancing": "0\n",
        "/proc/sys/net/core/rmem_max": "134217728\n",
        "/proc/sys/net/ipv4/tcp_rmem": "4096\t87380\t134217728\n",
        "/sys/kernel/mm/transparent_hugepage/enabled": "always [madvise] never\n",
        "/sys/kernel/mm/transparent_hugepage/defrag": "always defer [madvise] never\n",
        "/sys/module/nvidia/version": "570.86.15\n",
        "/sys/module/mlx5_core/version": "24.10-1.1.4\n",
        "/usr/lib/os-release": OS_RELEASE,
        "/var/lib/dpkg/status": DPKG_STATUS,
        "/var/lib/kubelet/config.yaml": KUBELET_CONFIG,
        "/etc/kubernetes/kubelet.conf": KUBELET_CONF,
        "/etc/containerd/config.toml": CONTAINERD_CONFIG,
        "/run/cdi/nvidia.yaml": CDI_SPEC,
    }


def gpu_node_links() -> dict[str, str]:
    """Symbolic links as an Ubuntu host has them (absolute ones included)."""
    return {"/etc/os-release": "../usr/lib/os-release", "/var/run": "/run"}

"""What the agent collects and where it reads it: one frozen options object with defaults.

Paths are the host's (`/etc/os-release`) and are read under `host_root`, as if chrooted
there. `/proc` and `/sys` default to `<host_root>/proc` and `<host_root>/sys`; in the
DaemonSet they are the container's own (kernel-wide files read the same from any
container, and the runtime mounts them read-only), see `deploy/agent/daemonset.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kubedrift.model import InputError

DEFAULT_SYSCTLS: tuple[str, ...] = (
    "vm.max_map_count",  # large mmap-heavy jobs (Elasticsearch-style limits hit loaders)
    "vm.overcommit_memory",
    "vm.swappiness",
    "vm.nr_hugepages",
    "vm.zone_reclaim_mode",
    "kernel.numa_balancing",  # NVIDIA recommends off on GPU nodes
    "kernel.pid_max",
    "kernel.threads-max",
    "fs.file-max",
    "fs.inotify.max_user_instances",
    "fs.inotify.max_user_watches",
    "net.core.rmem_max",  # NCCL over TCP / RoCE
    "net.core.wmem_max",
    "net.core.netdev_max_backlog",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_mtu_probing",
)
DEFAULT_MODULES: tuple[str, ...] = (
    "nvidia",
    "nvidia_*",  # nvidia_uvm, nvidia_drm, nvidia_modeset, nvidia_peermem, nvidia_fs
    "nouveau",  # must not be loaded beside the NVIDIA driver
    "nv_peer_mem",
    "gdrdrv",
    "ib_*",  # ib_core, ib_uverbs, ib_ipoib
    "rdma_*",
    "mlx5_*",
    "efa",
    "vfio_pci",
)
DEFAULT_PACKAGES: tuple[str, ...] = (
    "nvidia-*",
    "libnvidia-*",
    "cuda",
    "cuda-*",
    "libcuda*",
    "libnccl*",
    "libcudnn*",
    "datacenter-gpu-manager*",
    "containerd*",
    "runc",
    "cri-tools",
    "kubelet",
    "kubeadm",
    "linux-image-*",
    "linux-modules-nvidia-*",
    "rdma-core",
    "mlnx-*",
)

_FILE_ID = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A configuration file (or a folder of them) to hash: `file.<id>[.<basename>].sha256`.

    A path ending in `/*` names every regular file directly in that folder.
    """

    id: str
    path: str

    def __post_init__(self) -> None:
        if not _FILE_ID.match(self.id):
            raise InputError(f"invalid file id {self.id!r}: use lowercase letters, digits, -")
        if not self.path.startswith("/"):
            raise InputError(f"file {self.id!r}: the path {self.path!r} must be absolute")

    @property
    def is_folder(self) -> bool:
        """Whether the path names every file of a folder."""
        return self.path.endswith("/*")

    @classmethod
    def parse(cls, spec: str) -> ConfigFile:
        """Read `ID=PATH` as the command line gives it."""
        file_id, sep, path = spec.partition("=")
        if not sep:
            raise InputError(f"invalid --file {spec!r}: write ID=PATH (crio=/etc/crio/crio.conf)")
        return cls(file_id.strip(), path.strip())


DEFAULT_FILES: tuple[ConfigFile, ...] = (
    ConfigFile("kubelet-config", "/var/lib/kubelet/config.yaml"),
    # Can hold a token: only its digest ever leaves the process.
    ConfigFile("kubelet-kubeconfig", "/etc/kubernetes/kubelet.conf"),
    ConfigFile("containerd-config", "/etc/containerd/config.toml"),
    ConfigFile("containerd-dropins", "/etc/containerd/conf.d/*"),
    ConfigFile("nvidia-container-runtime-config", "/etc/nvidia-container-runtime/config.toml"),
    ConfigFile("cdi-etc", "/etc/cdi/*"),
    ConfigFile("cdi-run", "/var/run/cdi/*"),
)


@dataclass(frozen=True, slots=True)
class CollectOptions:
    """What to collect. The tuples are the full lists; `with_extra` adds to the defaults.

    `sysctls`: dotted names (`vm.max_map_count`), or slashed when a part holds a dot
    (`net/ipv4/conf/eth0.100/rp_filter`). `modules` and `packages`: fnmatch
    patterns of module and package names of interest. `files`: configuration files to hash.
    """

    host_root: Path = Path("/")
    proc_root: Path | None = None
    sys_root: Path | None = None
    sysctls: tuple[str, ...] = DEFAULT_SYSCTLS
    modules: tuple[str, ...] = DEFAULT_MODULES
    packages: tuple[str, ...] = DEFAULT_PACKAGES
    files: tuple[ConfigFile, ...] = field(default=DEFAULT_FILES)

    def __post_init__(self) -> None:
        ids = [f.id for f in self.files]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise InputError(f"file id given twice: {', '.join(duplicates)}")
        for name in self.sysctls:
            check_sysctl_name(name)

    def check_roots(self) -> None:
        """InputError unless the host root (and `/proc`, `/sys` roots given) are folders.

        A wrong `--host-root` would otherwise publish a node with no facts at all.
        """
        roots = (("--host-root", self.host_root), ("--proc-root", self.proc_root),
                 ("--sys-root", self.sys_root))  # fmt: skip
        for flag, root in roots:
            if root is not None and not root.is_dir():
                raise InputError(f"{flag} {root}: no such folder")

    @property
    def proc(self) -> Path:
        """Where `/proc` is read."""
        return self.proc_root if self.proc_root is not None else self.host_root / "proc"

    @property
    def sys(self) -> Path:
        """Where `/sys` is read."""
        return self.sys_root if self.sys_root is not None else self.host_root / "sys"

    def with_extra(
        self,
        *,
        sysctls: tuple[str, ...] = (),
        modules: tuple[str, ...] = (),
        packages: tuple[str, ...] = (),
        files: tuple[ConfigFile, ...] = (),
    ) -> CollectOptions:
        """A copy with more sysctls, module and package patterns and files (no duplicates)."""
        return CollectOptions(
            host_root=self.host_root,
            proc_root=self.proc_root,
            sys_root=self.sys_root,
            sysctls=_union(self.sysctls, sysctls),
            modules=_union(self.modules, modules),
            packages=_union(self.packages, packages),
            files=self.files + files,
        )


_SYSCTL_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:@+-]*")
_MAX_SYSCTL = 256


def check_sysctl_name(name: str) -> str:
    """`name` if it names a file under `/proc/sys`; InputError otherwise.

    A sysctl is read as `/proc/sys/<name with . as />`, so a name such as `../../etc/shadow`
    would print any file's contents as a fact: parts are letters, digits and `_.:@+-`, none
    `.` or `..`, none empty, and the name is never absolute.
    """
    parts = name.split("/") if "/" in name else name.split(".")
    if len(name) <= _MAX_SYSCTL and all(
        _SYSCTL_PART.fullmatch(part) and part not in (".", "..") for part in parts
    ):
        return name
    raise InputError(f"invalid sysctl name {name[:80]!r}: expected e.g. vm.max_map_count")


def _union(base: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(base + extra))

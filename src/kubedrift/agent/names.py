"""The names of the facts the node agent publishes, and which of them are unique per node.

Facts are a flat mapping of stable names to string values, published as the JSON object
in the ConfigMap `kubedrift-facts-<node>` (the scanner reads them as `agent:<name>`).
A fact that cannot be read (file missing, sysctl not in this kernel, no GPU) is absent,
never an empty placeholder.

| fact name                       | read from (under `--host-root`)       | value                 |
|---------------------------------|---------------------------------------|-----------------------|
| `kernel.cmdline`                | `/proc/cmdline`                       | the line, trimmed     |
| `kernel.param.<name>`           | each parameter before `--` in it (`-` | its value; several    |
|                                 | in names written `_`, as the kernel   | joined by a space;    |
|                                 | reads them)                           | `""` for a bare flag  |
| `sysctl.<name>`                 | `/proc/sys/<name, . as />`            | whitespace collapsed  |
| `thp.enabled`, `thp.defrag`     | `/sys/kernel/mm/transparent_hugepage` | the `[selected]` mode |
| `module.<name>`                 | `/proc/modules`, modules of interest  | `loaded`              |
| `module.<name>.version`         | `/sys/module/<name>/version`          | e.g. `570.86.15`      |
| `modules.digest`                | all loaded modules' names, sorted     | `sha256:<hex>`        |
| `file.<id>.sha256`              | one configuration file                | hex SHA-256           |
| `file.<id>.<basename>.sha256`   | each file of a configured folder      | hex SHA-256           |
| `package.<name>`                | `/var/lib/dpkg/status`, installed     | the version           |
| `package.<name>:<arch>`         | … installed for several architectures | the version           |
| `os.id`, `os.version_id`        | `/etc/os-release` (`/usr/lib/…`)      | as written            |
| `nvml.status`                   | `nvmlInit` (with `nvidia-ml-py` only) | `ok`, `driver-not-    |
|                                 |                                       | loaded`, … (below)    |
| `nvml.driver_version`           | `nvmlSystemGetDriverVersion`          | e.g. `570.86.15`      |
| `nvml.cuda_driver_version`      | `nvmlSystemGetCudaDriverVersion`      | e.g. `12.8`           |
| `nvml.gpu_count`                | `nvmlDeviceGetCount`                  | e.g. `8`              |
| `nvml.gpu.<i>.name`             | `nvmlDeviceGetName`                   | `NVIDIA H100 80GB …`  |
| `nvml.gpu.<i>.uuid`             | `nvmlDeviceGetUUID`                   | `GPU-…`               |
| `nvml.gpu.<i>.vbios`            | `nvmlDeviceGetVbiosVersion`           | `96.00.99.00.01`      |
| `nvml.gpu.<i>.ecc_mode`         | `nvmlDeviceGetEccMode` (current)      | `enabled`/`disabled`  |
| `nvml.gpu.<i>.mig_mode`         | `nvmlDeviceGetMigMode` (current)      | `enabled`/`disabled`  |
| `nvml.gpu.<i>.persistence_mode` | `nvmlDeviceGetPersistenceMode`        | `enabled`/`disabled`  |
| `nvml.gpu.<i>.power_limit_w`    | `nvmlDeviceGetPowerManagementLimit`   | watts, e.g. `700`     |

`nvml.status` is `ok` or why NVML could not start: `library-not-found` (no driver library:
a CPU node, or a GPU node whose container runtime did not inject it), `driver-not-loaded`,
`version-mismatch` (kernel module and library differ), `no-permission`, `error`.
`ecc_mode_pending` and `mig_mode_pending` appear beside the current mode only when a
change waits for a GPU reset. A GPU query the device does not support reads
`unsupported`. The default `<id>`s of files are `kubelet-config`, `kubelet-kubeconfig`,
`containerd-config`, `containerd-dropins` (folder), `nvidia-container-runtime-config`,
`cdi-etc` and `cdi-run` (folders of CDI specs); see `kubedrift.agent.options`.

This module imports nothing on purpose: the scanner's analysis layer needs
`NATURALLY_UNIQUE_FACTS` and may not import the agent, so the module can move down to
`kubedrift.model` unchanged.
"""

from __future__ import annotations

NATURALLY_UNIQUE_FACTS: tuple[str, ...] = (
    # The whole command line carries root=UUID=…, ip=…; it is compared per parameter.
    "kernel.cmdline",
    "kernel.param.root",
    "kernel.param.resume",
    "kernel.param.ip",
    "kernel.param.hostname",
    "kernel.param.*uuid*",  # rd.luks.uuid, …
    "kernel.param.systemd.machine_id",
    "kernel.param.rd.lvm.*",  # RHEL names the volume group after the host
    "kernel.param.cryptdevice",
    "nvml.gpu.*.uuid",
    # kubelet.conf embeds a per-node client certificate or token in many set-ups.
    "file.kubelet-kubeconfig.sha256",
    # nvidia-ctk writes CDI specs that name each GPU by its UUID.
    "file.cdi-*",
)
"""fnmatch patterns (match case-insensitively) of agent facts that differ between healthy
peers by nature: machine, disk and GPU identities. Peer comparison must not flag them;
NodeProfiles and GPU rules may still read them. Prefix `agent:` to match the scanner's
fact names."""

GPU_PREFIX = "nvml."
"""Every fact read from NVML starts with this."""

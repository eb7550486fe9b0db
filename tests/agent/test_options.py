"""Collection options: defaults, additions, and where /proc and /sys are read."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubedrift.agent.options import DEFAULT_SYSCTLS, CollectOptions, ConfigFile
from kubedrift.model import InputError


def test_the_brief_sysctls_are_defaults() -> None:
    for name in (
        "vm.max_map_count",
        "vm.overcommit_memory",
        "kernel.numa_balancing",
        "net.core.rmem_max",
        "net.core.wmem_max",
        "net.ipv4.tcp_mtu_probing",
        "vm.nr_hugepages",
        "kernel.pid_max",
    ):
        assert name in DEFAULT_SYSCTLS


def test_extras_add_to_defaults_without_duplicates() -> None:
    options = CollectOptions().with_extra(
        sysctls=("vm.max_map_count", "vm.dirty_ratio"), packages=("ofed-*",)
    )
    assert options.sysctls == (*DEFAULT_SYSCTLS, "vm.dirty_ratio")
    assert options.packages[-1] == "ofed-*"


def test_a_file_id_given_twice_is_an_input_error() -> None:
    with pytest.raises(InputError, match="file id given twice: kubelet-config"):
        CollectOptions().with_extra(files=(ConfigFile("kubelet-config", "/etc/x"),))


def test_proc_and_sys_default_under_the_host_root() -> None:
    options = CollectOptions(host_root=Path("/host"))
    assert (options.proc, options.sys) == (Path("/host/proc"), Path("/host/sys"))
    moved = CollectOptions(host_root=Path("/host"), proc_root=Path("/proc"))
    assert moved.proc == Path("/proc")

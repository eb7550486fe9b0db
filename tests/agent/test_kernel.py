"""Kernel command line, sysctls, modules and THP, read from fake /proc and /sys trees."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kubedrift.agent.kernel import (
    boot_time_facts,
    kernel_params,
    module_facts,
    sysctl_facts,
    thp_facts,
)

from .conftest import MakeHost


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", {}),
        ("quiet", {"quiet": ""}),
        ("root=UUID=ab-cd ro", {"root": "UUID=ab-cd", "ro": ""}),
        ("nvidia-drm.modeset=1", {"nvidia_drm.modeset": "1"}),
        ("console=tty0 console=ttyS0,115200", {"console": "tty0 ttyS0,115200"}),
        ('acpi_osi="!Windows 2012" x=1', {"acpi_osi": "!Windows 2012", "x": "1"}),
        ('dyndbg="file a.c +p"', {"dyndbg": "file a.c +p"}),
        ("a=1 -- b=2 --init-flag", {"a": "1"}),
        ("  hugepagesz=1G   hugepages=16\t", {"hugepagesz": "1G", "hugepages": "16"}),
        ("empty= flag", {"empty": "", "flag": ""}),
    ],
)
def test_kernel_params(line: str, expected: dict[str, str]) -> None:
    assert kernel_params(line) == expected


def test_sysctls_collapse_whitespace_and_skip_missing(make_host: MakeHost) -> None:
    proc = make_host(
        {
            "/sys/net/ipv4/tcp_wmem": "4096\t16384\t4194304\n",
            "/sys/net/ipv4/conf/eth0.100/rp_filter": "1\n",
            "/sys/kernel/pid_max": "4194304\n",
        }
    )
    names = (
        "net.ipv4.tcp_wmem",
        "kernel.pid_max",
        "vm.nr_hugepages",
        "net/ipv4/conf/eth0.100/rp_filter",
    )
    notes: list[str] = []
    assert sysctl_facts(proc, names, notes) == {
        "sysctl.net.ipv4.tcp_wmem": "4096 16384 4194304",
        "sysctl.kernel.pid_max": "4194304",
        "sysctl.net.ipv4.conf.eth0.100.rp_filter": "1",
    }
    assert notes == []


def test_modules_of_interest_and_a_digest_of_all_names(make_host: MakeHost) -> None:
    root = make_host(
        {
            "/proc/modules": "nouveau 2 0 - Live 0x0\nxfs 1 0 - Live 0x0\n",
            "/sys/module/nouveau/version": "\n",
        }
    )
    facts = module_facts(root / "proc", root / "sys", ("nvidia*", "nouveau"), [])
    names_digest = hashlib.sha256(b"nouveau\nxfs").hexdigest()
    assert facts == {"module.nouveau": "loaded", "modules.digest": "sha256:" + names_digest}


def test_module_digest_ignores_sizes_use_counts_and_order(make_host: MakeHost) -> None:
    one = make_host({"/proc/modules": "a 100 0 - Live 0x0\nb 200 1 a, Live 0x0\n"})
    two = make_host({"/proc/modules": "b 999 3 a, Live 0xffff\na 100 2 - Live 0x1\n"})
    three = make_host({"/proc/modules": "a 100 0 - Live 0x0\n"})

    def digest(root: Path) -> str:
        return module_facts(root / "proc", root / "sys", (), [])["modules.digest"]

    assert digest(one) == digest(two) != digest(three)


def test_no_proc_modules_means_no_module_facts(make_host: MakeHost) -> None:
    root = make_host({})
    assert module_facts(root / "proc", root / "sys", ("nvidia",), []) == {}


@pytest.mark.parametrize(
    ("enabled", "expected"),
    [
        ("always [madvise] never\n", {"thp.enabled": "madvise"}),
        ("[always] madvise never\n", {"thp.enabled": "always"}),
        ("garbled\n", {}),
    ],
)
def test_thp_mode_is_the_bracketed_choice(
    make_host: MakeHost, enabled: str, expected: dict[str, str]
) -> None:
    sys = make_host({"/kernel/mm/transparent_hugepage/enabled": enabled})
    assert thp_facts(sys, []) == expected


def test_boot_time_is_the_btime_line_of_proc_stat(make_host: MakeHost) -> None:
    """gfd-labels-stale compares it with GFD's start time (`gfd.timestamp`)."""
    stat = "cpu  10 0 5 100 0 0 0 0 0 0\nintr 12345\nbtime 1764720000\nprocesses 99\n"
    notes: list[str] = []
    assert boot_time_facts(make_host({"/stat": stat}), notes) == {"host.boot_time": "1764720000"}
    assert boot_time_facts(make_host({"/stat": "cpu 1 2 3\n"}), notes) == {}
    assert boot_time_facts(make_host({}), notes) == {}
    assert notes == []


def test_this_machines_boot_time_is_in_the_past() -> None:
    import time

    facts = boot_time_facts(Path("/proc"), [])
    assert 0 < int(facts["host.boot_time"]) < time.time()

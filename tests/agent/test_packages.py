"""os-release and dpkg package versions."""

from __future__ import annotations

import pytest

from kubedrift.agent.hostfs import HostFS
from kubedrift.agent.packages import (
    installed_packages,
    os_release_facts,
    package_facts,
    parse_os_release,
)

from .conftest import MakeHost
from .samples import DPKG_STATUS, OS_RELEASE


def test_installed_packages_skip_removed_ones_and_read_held_ones() -> None:
    packages = {(name, arch): version for name, arch, version in installed_packages(DPKG_STATUS)}
    assert ("nvidia-driver-550", "amd64") not in packages  # deinstall ok config-files
    assert packages[("kubelet", "amd64")] == "1.31.4-1.1"  # hold ok installed
    assert packages[("adduser", "all")] == "3.118ubuntu5"  # not the continuation line
    assert len(packages) == 11


def test_package_patterns_select_and_multiarch_names_carry_the_arch(make_host: MakeHost) -> None:
    host = HostFS(make_host({"/var/lib/dpkg/status": DPKG_STATUS}))
    assert package_facts(host, ("libnvidia-*", "zlib1g", "cuda-toolkit-*")) == {
        "package.libnvidia-compute-570:amd64": "570.86.15-0ubuntu0.22.04.1",
        "package.libnvidia-compute-570:i386": "570.86.15-0ubuntu0.22.04.1",
        "package.zlib1g": "1:1.2.11.dfsg-2ubuntu9.2",
        "package.cuda-toolkit-12-8": "12.8.0-1",
    }


def test_rpm_database_is_out_of_scope_and_noted(make_host: MakeHost) -> None:
    host = HostFS(make_host({"/var/lib/rpm/rpmdb.sqlite": ""}))
    assert package_facts(host, ("kubelet",)) == {}
    assert host.notes == ["RPM package database not read (out of scope): dpkg only"]


def test_status_file_without_trailing_blank_line(make_host: MakeHost) -> None:
    status = "Package: kubelet\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.30.1"
    host = HostFS(make_host({"/var/lib/dpkg/status": status}))
    assert package_facts(host, ("kubelet",)) == {"package.kubelet": "1.30.1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (OS_RELEASE, {"os.id": "ubuntu", "os.version_id": "22.04"}),
        ('ID="rhel"\nVERSION_ID="9.4"\n', {"os.id": "rhel", "os.version_id": "9.4"}),
        ("# comment\nID=arch\n", {"os.id": "arch"}),  # rolling releases have no VERSION_ID
        ("ID='flatcar'\nVERSION_ID=4081.2.0\n", {"os.id": "flatcar", "os.version_id": "4081.2.0"}),
    ],
)
def test_os_release(make_host: MakeHost, text: str, expected: dict[str, str]) -> None:
    assert os_release_facts(HostFS(make_host({"/etc/os-release": text}))) == expected


def test_os_release_falls_back_to_usr_lib(make_host: MakeHost) -> None:
    host = HostFS(make_host({"/usr/lib/os-release": "ID=cos\nVERSION_ID=117\n"}))
    assert os_release_facts(host) == {"os.id": "cos", "os.version_id": "117"}


def test_os_release_with_an_unbalanced_quote_keeps_the_text() -> None:
    assert parse_os_release('PRETTY_NAME="Broken\nID=x\n') == {"PRETTY_NAME": "Broken", "ID": "x"}

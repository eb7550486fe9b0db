"""The agent against hostile host files and options: devices, FIFOs, huge files, traversal.

Regressions of issue 12.8: `--file x=/dev/zero` and a FIFO hung the agent, `--sysctl
../../..` printed any file's contents as a fact, `--host-root /nonexistent` was green.
Each case runs the real command in a subprocess with a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubedrift.agent import hostfs
from kubedrift.agent.hostfs import HostFS
from kubedrift.agent.options import check_sysctl_name

from .conftest import MakeHost

AGENT = [sys.executable, "-m", "kubedrift.cli.agent"]


def agent(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AGENT, "--dry-run", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "NODE_NAME": ""},
    )


@pytest.fixture
def host(make_host: MakeHost) -> Path:
    return make_host({"/etc/os-release": "ID=ubuntu\n", "/proc/sys/vm/swappiness": "60\n"})


def test_a_device_is_never_read(host: Path) -> None:
    (host / "dev").mkdir()
    (host / "dev" / "zero").symlink_to("/dev/zero")  # resolved inside the root: absent
    done = agent("--host-root", str(host), "--file", "zero=/dev/zero")
    assert done.returncode == 0, done.stderr
    assert "file.zero.sha256" not in json.loads(done.stdout)


def test_the_real_dev_zero_is_noted_not_hashed(tmp_path: Path) -> None:
    fs = HostFS(Path("/"))
    assert fs.sha256("/dev/zero") is None
    assert fs.read_text("/dev/zero") is None
    assert fs.notes == ["cannot read /dev/zero: not a regular file"] * 2


def test_a_fifo_does_not_block(host: Path) -> None:
    os.mkfifo(host / "etc" / "fifo.conf")
    done = agent("--host-root", str(host), "--file", "fifo=/etc/fifo.conf", "--verbose")
    assert done.returncode == 0, done.stderr
    assert "file.fifo.sha256" not in json.loads(done.stdout)
    fs = HostFS(host)
    assert fs.read_text("/etc/fifo.conf") is None
    assert fs.notes == ["cannot read /etc/fifo.conf: not a regular file"]


def test_an_oversized_file_is_noted(host: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hostfs, "MAX_TEXT", 8)
    monkeypatch.setattr(hostfs, "MAX_HASHED", 8)
    (host / "etc" / "big").write_text("x" * 100)
    fs = HostFS(host)
    assert fs.read_text("/etc/big") is None
    assert fs.sha256("/etc/big") is None
    assert fs.notes == ["cannot read /etc/big: larger than 8 bytes"] * 2


@pytest.mark.parametrize(
    "name", ["../../../etc/passwd", "..", "vm/../../etc/shadow", "/etc/passwd", "a..b", "", "a b"]
)
def test_sysctl_names_cannot_leave_proc_sys(host: Path, name: str) -> None:
    secret = host / "etc" / "passwd"
    secret.write_text("root:SECRETHASH\n")

    done = agent("--host-root", str(host), "--sysctl", name)

    assert done.returncode == 1
    assert "SECRETHASH" not in done.stdout + done.stderr
    assert done.stderr.count("\n") == 1
    assert "invalid sysctl name" in done.stderr


@pytest.mark.parametrize(
    "name", ["vm.swappiness", "net.ipv4.ip_forward", "net/ipv4/conf/eth0.100/rp_filter"]
)
def test_ordinary_sysctl_names_pass(name: str) -> None:
    assert check_sysctl_name(name) == name


@pytest.mark.parametrize("flag", ["--host-root", "--proc-root", "--sys-root"])
def test_a_missing_root_is_an_error(tmp_path: Path, flag: str) -> None:
    done = agent(flag, str(tmp_path / "nonexistent"))
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == f"kubedrift: error: {flag} {tmp_path / 'nonexistent'}: no such folder"
    )

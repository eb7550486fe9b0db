"""Host files read as if chrooted: links followed inside the root, never out of it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubedrift.agent.hostfs import MAX_TEXT, HostFS, read_bounded

from .conftest import MakeHost


def test_relative_link_resolves_inside_the_root(make_host: MakeHost) -> None:
    root = make_host(
        {"/usr/lib/os-release": "ID=ubuntu\n"}, {"/etc/os-release": "../usr/lib/os-release"}
    )
    assert HostFS(root).read_text("/etc/os-release") == "ID=ubuntu\n"


def test_absolute_link_resolves_against_the_host_root_not_the_container(
    make_host: MakeHost,
) -> None:
    root = make_host(
        {"/usr/lib/os-release": "ID=fake\n"}, {"/etc/os-release": "/usr/lib/os-release"}
    )
    assert HostFS(root).read_text("/etc/os-release") == "ID=fake\n"


def test_absolute_link_to_a_file_only_the_container_has_is_missing(make_host: MakeHost) -> None:
    assert Path("/etc/debian_version").exists()  # exists here, not in the fake host
    root = make_host({}, {"/etc/version": "/etc/debian_version"})
    host = HostFS(root)
    assert host.read_text("/etc/version") is None
    assert host.notes == []


def test_linked_folders_and_dotdot_cannot_climb_above_the_root(make_host: MakeHost) -> None:
    root = make_host({"/run/cdi/a.yaml": "a", "/etc/x": "x"}, {"/var/run": "/run"})
    host = HostFS(root)
    assert host.resolve("/var/run/cdi/a.yaml") == root / "run/cdi/a.yaml"
    assert host.resolve("/../../../etc/x") == root / "etc/x"
    assert host.files_in("/var/run/cdi") == ["/var/run/cdi/a.yaml"]


def test_link_loop_is_noted_not_raised(make_host: MakeHost) -> None:
    root = make_host({}, {"/etc/a": "b", "/etc/b": "a"})
    host = HostFS(root)
    assert host.read_text("/etc/a") is None
    assert host.notes == ["/etc/a: too many levels of symbolic links"]


def test_a_folder_where_a_file_is_expected_is_noted(make_host: MakeHost) -> None:
    root = make_host({"/etc/containerd/config.toml/stray": ""})
    host = HostFS(root)
    assert host.sha256("/etc/containerd/config.toml") is None
    assert host.notes == ["cannot read /etc/containerd/config.toml: Is a directory"]


def test_missing_files_and_folders_are_silent(make_host: MakeHost) -> None:
    host = HostFS(make_host({}))
    assert host.read_text("/etc/os-release") is None
    assert host.sha256("/etc/kubernetes/kubelet.conf") is None
    assert host.files_in("/etc/cdi") == []
    assert host.notes == []


def test_folder_listing_keeps_regular_files_only_sorted(make_host: MakeHost) -> None:
    root = make_host(
        {"/etc/cdi/b.json": "{}", "/etc/cdi/a.yaml": "a", "/etc/cdi/sub/c.yaml": "c"},
        {"/etc/cdi/link.yaml": "a.yaml", "/etc/cdi/dangling.yaml": "nowhere.yaml"},
    )
    host = HostFS(root)
    assert host.files_in("/etc/cdi") == ["/etc/cdi/a.yaml", "/etc/cdi/b.json", "/etc/cdi/link.yaml"]
    assert host.sha256("/etc/cdi/link.yaml") == hashlib.sha256(b"a").hexdigest()


SETPRIV = shutil.which("setpriv")


@pytest.mark.skipif(os.geteuid() != 0 or SETPRIV is None, reason="needs root and setpriv")
def test_unreadable_files_are_noted_and_the_rest_still_collected(make_host: MakeHost) -> None:
    """As the DaemonSet runs it: uid 0 without any capability, so files of other users
    that are private to them cannot be read."""
    root = make_host(
        {
            "/etc/os-release": "ID=debian\n",
            "/etc/kubernetes/kubelet.conf": "token",
            "/etc/cdi/a.yaml": "a",
            "/etc/cdi/private.yaml": "b",
        }
    )
    for path, mode in (("etc/kubernetes", 0o700), ("etc/cdi/private.yaml", 0o600)):
        os.chown(root / path, 65534, 65534)
        (root / path).chmod(mode)
    script = (
        "import json, pathlib, sys\n"
        "from kubedrift.agent.collect import collect\n"
        "from kubedrift.agent.options import CollectOptions\n"
        "c = collect(CollectOptions(host_root=pathlib.Path(sys.argv[1])), None)\n"
        "print(json.dumps({'facts': dict(c.facts), 'notes': list(c.notes)}))\n"
    )
    argv = [str(SETPRIV), "--bounding-set=-all", "--inh-caps=-all", sys.executable]
    proc = subprocess.run(
        [*argv, "-c", script, str(root)], capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["facts"] == {
        "os.id": "debian",
        "file.cdi-etc.a.yaml.sha256": hashlib.sha256(b"a").hexdigest(),
    }
    assert out["notes"] == [
        "cannot read /etc/kubernetes/kubelet.conf: Permission denied",
        "cannot read /etc/cdi/private.yaml: Permission denied",
    ]


def test_a_sysctl_file_reads_under_the_size_cap() -> None:
    """Regression: one read() of the whole cap made procfs answer ENOMEM for every sysctl."""
    assert read_bounded(Path("/proc/sys/vm/max_map_count"), MAX_TEXT).strip().isdigit()

"""Issue 4's proof: the agent publishes this machine's facts; a NodeProfile check reads them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.apiserver import ApiServer

NODE = "agent-e2e-node"
MAX_MAP_COUNT = Path("/proc/sys/vm/max_map_count").read_text().strip()


def kubedrift(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kubedrift", *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture(scope="module")
def published(apiserver: ApiServer) -> ApiServer:
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": NODE, "labels": {"kubedrift.io/e2e": "agent"}}}  # fmt: skip
    subprocess.run(
        ["kubectl", f"--kubeconfig={apiserver.kubeconfig}", "create", "-f", "-"],
        input=json.dumps(node), text=True, check=True, capture_output=True,
    )  # fmt: skip
    done = kubedrift("agent", "--once", "--node-name", NODE, "--kubeconfig",
                     str(apiserver.kubeconfig), "--namespace", "default")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return apiserver


def _profile(tmp_path: Path, max_map_count: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(
        "apiVersion: kubedrift.io/v1alpha1\nkind: NodeProfile\nmetadata: {name: e2e}\n"
        "spec:\n  nodeSelector: {matchLabels: {kubedrift.io/e2e: agent}}\n  expect:\n"
        "    agent:os.id: debian\n"
        f"    agent:sysctl.vm.max_map_count: '{max_map_count}'\n"
        "    agent:kernel.cmdline: {present: true}\n"
    )
    return path


def _profile_findings(server: ApiServer, profile: Path) -> list[dict[str, object]]:
    done = kubedrift("scan", "--desired", str(profile), "--kubeconfig", str(server.kubeconfig),
                     "--agent-namespace", "default", "-o", "json")  # fmt: skip
    assert done.returncode in (0, 2), done.stderr
    return [
        f for f in json.loads(done.stdout)["findings"]
        if f["object"]["name"] == NODE and str(f["rule"]).startswith("profile")
    ]  # fmt: skip


def test_profile_matching_the_machine_has_no_finding(published: ApiServer, tmp_path: Path) -> None:
    assert _profile_findings(published, _profile(tmp_path, MAX_MAP_COUNT)) == []


def test_profile_expecting_another_value_finds_it(published: ApiServer, tmp_path: Path) -> None:
    (finding,) = _profile_findings(published, _profile(tmp_path, "1"))
    assert finding["path"] == "agent:sysctl.vm.max_map_count"
    assert finding["live"] == MAX_MAP_COUNT

"""Never silently green: what RBAC hides from `scan` is said, against a real apiserver.

Regression for issue 10.7: a desired kind we may not read stopped the whole scan with a
403, and a node list we may not read passed as a fleet without nodes, exit 0 and nothing
said. Now each is a `kind-not-readable` finding (the watcher's rule), and stderr says so.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubedrift.cli.main import app
from support.apiserver import ApiServer

NS = "kd-scan-rbac"
NARROW = f"""\
apiVersion: v1
kind: ServiceAccount
metadata: {{name: narrow, namespace: {NS}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: configmaps-only, namespace: {NS}}}
rules:
  - {{apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: narrow, namespace: {NS}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: configmaps-only}}
subjects:
  - {{kind: ServiceAccount, name: narrow, namespace: {NS}}}
"""
SECRET_VALUE = "hf_rbacScanNeverShown77"
DESIRED = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: tokenizer, namespace: {NS}}}
data: {{vocab_size: "128256"}}
---
apiVersion: v1
kind: Secret
metadata: {{name: hf-token, namespace: {NS}}}
stringData: {{token: {SECRET_VALUE}}}
"""


def kubectl(server: ApiServer, *args: str) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


@pytest.fixture(scope="module")
def narrow(apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(kubeconfig of an account that may read ConfigMaps of one namespace only, desired)."""
    folder = tmp_path_factory.mktemp("rbac")
    kubectl(apiserver, "create", "namespace", NS)
    (folder / "rbac.yaml").write_text(NARROW)
    kubectl(apiserver, "apply", "-f", str(folder / "rbac.yaml"))
    desired = folder / "desired.yaml"
    desired.write_text(DESIRED)
    kubectl(apiserver, "apply", "-f", str(desired))
    token = kubectl(apiserver, "create", "token", "narrow", "-n", NS).strip()
    return apiserver.kubeconfig_for(token, folder / "narrow.kubeconfig"), desired


def scan(*args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(app, ["scan", *args, "-o", "json"], standalone_mode=False)
    if result.exception is not None:
        raise result.exception
    return int(result.return_value), json.loads(result.stdout), result.stderr


def rules(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f"{f['object']['kind']}/{f['object']['name']}", f["rule"]) for f in report["findings"]}


def test_a_kind_rbac_forbids_is_a_finding_not_an_abort(narrow: tuple[Path, Path]) -> None:
    kubeconfig, desired = narrow
    code, report, stderr = scan(
        "--kubeconfig", str(kubeconfig), "-d", str(desired), "--no-nodes", "--no-workloads"
    )
    assert code == 2
    assert rules(report) == {("Secret/hf-token", "kind-not-readable")}
    assert report["summary"]["objects_checked"] == 2
    assert any("RBAC" in note and "secrets" in note for note in report["summary"]["notes"])
    assert "kubedrift: warning: RBAC does not let kubedrift read secrets" in stderr
    assert SECRET_VALUE not in json.dumps(report)


def test_a_node_list_rbac_forbids_is_a_finding_not_an_empty_fleet(
    narrow: tuple[Path, Path],
) -> None:
    kubeconfig, _ = narrow
    code, report, stderr = scan("--kubeconfig", str(kubeconfig), "--no-workloads")
    assert code == 2
    assert rules(report) == {("Node/*", "kind-not-readable")}
    assert "warning: RBAC does not let kubedrift list nodes" in stderr


def test_workload_kinds_rbac_forbids_are_warned_on_stderr(narrow: tuple[Path, Path]) -> None:
    kubeconfig, _ = narrow
    _, report, stderr = scan("--kubeconfig", str(kubeconfig), "--no-nodes", "-n", NS)
    assert "kubedrift: warning: workload kinds we may not list" in stderr
    assert any("may not list" in note for note in report["summary"]["notes"])

"""kubectl's namespace rules for `scan` against a real apiserver, through the CLI.

Regression for issue 10.2: a manifest without `metadata.namespace` belongs to `-n`, else to
the kubeconfig context's namespace, else to `default`; `-n` limits the scan to that
namespace and `-A` reads them all; an object missing where desired says it is, but present
in another namespace, says where.
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

NS_A, NS_B = "kd-ns-a", "kd-ns-b"

UNNAMESPACED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {batch_size: "32"}
"""
ELSEWHERE = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: tokenizer, namespace: {NS_B}}}
data: {{vocab: "128256"}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: kd-ns-reader, namespace: {NS_A}}}
rules:
  - {{apiGroups: [""], resources: [configmaps], verbs: [get]}}
"""


def kubectl(server: ApiServer, *args: str) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


@pytest.fixture(scope="module")
def desired(apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`settings` applied with `-n kd-ns-a`, as its manifest names no namespace."""
    folder = tmp_path_factory.mktemp("desired")
    (folder / "settings.yaml").write_text(UNNAMESPACED)
    (folder / "elsewhere.yaml").write_text(ELSEWHERE)
    for namespace in (NS_A, NS_B):
        kubectl(apiserver, "create", "namespace", namespace)
    kubectl(apiserver, "apply", "-n", NS_A, "-f", str(folder / "settings.yaml"))
    kubectl(apiserver, "apply", "-f", str(folder / "elsewhere.yaml"))
    return folder


def kubeconfig_in(server: ApiServer, namespace: str, path: Path) -> Path:
    """The test bed's kubeconfig with `namespace` as its context's namespace."""
    text = server.kubeconfig.read_text().replace("namespace: default", f"namespace: {namespace}")
    assert f"namespace: {namespace}" in text
    path.write_text(text)
    return path


def scan(kubeconfig: Path, *args: str) -> tuple[int, dict[str, Any]]:
    argv = ["scan", "--kubeconfig", str(kubeconfig), "--no-nodes", "--no-workloads"]
    result = CliRunner().invoke(app, [*argv, *args, "-o", "json"], standalone_mode=False)
    if result.exception is not None:
        raise result.exception
    return int(result.return_value), json.loads(result.stdout)


def checked(report: dict[str, Any]) -> int:
    return int(report["summary"]["objects_checked"])


def test_the_context_namespace_is_where_a_manifest_without_one_belongs(
    apiserver: ApiServer, desired: Path, tmp_path: Path
) -> None:
    code, report = scan(kubeconfig_in(apiserver, NS_A, tmp_path / "kc"), "-d", str(desired))
    assert (code, report["findings"]) == (0, [])
    assert checked(report) == 3


def test_dash_n_overrides_the_context_and_limits_the_scan(
    apiserver: ApiServer, desired: Path
) -> None:
    code, report = scan(apiserver.kubeconfig, "-d", str(desired), "-n", NS_A)
    assert (code, report["findings"]) == (0, [])
    assert checked(report) == 1  # settings only: tokenizer is in kd-ns-b, the ClusterRole in none
    (note,) = report["summary"]["notes"]
    assert "2 desired objects outside namespace kd-ns-a" in note


def test_dash_a_reads_every_namespace_dash_n_still_places_unnamespaced_objects(
    apiserver: ApiServer, desired: Path
) -> None:
    code, report = scan(apiserver.kubeconfig, "-d", str(desired), "-n", NS_A, "-A")
    assert (code, report["findings"], checked(report)) == (0, [], 3)


def test_a_missing_object_says_which_namespace_holds_it(
    apiserver: ApiServer, desired: Path
) -> None:
    """The context says `default`; `settings` lives in kd-ns-a: say so, not just "missing"."""
    code, report = scan(apiserver.kubeconfig, "-d", str(desired / "settings.yaml"))
    assert code == 2
    (finding,) = report["findings"]
    assert finding["rule"] == "object-missing"
    assert finding["object"]["namespace"] == "default"
    assert "exists in namespace kd-ns-a" in finding["message"]


def test_a_wrong_dash_n_is_explained_too(apiserver: ApiServer, desired: Path) -> None:
    code, report = scan(apiserver.kubeconfig, "-d", str(desired / "settings.yaml"), "-n", NS_B)
    assert code == 2
    (finding,) = report["findings"]
    assert finding["object"]["namespace"] == NS_B
    assert "exists in namespace kd-ns-a" in finding["message"]

"""KUBECONFIG with several files and --context, against a real apiserver (issue 10.10).

The test bed's kubeconfig is split the way people keep theirs: one file with the cluster
(its CA named by a path relative to that file) and the contexts, another with the user's
token. kubectl merges the list; so must kubedrift, or it cannot even authenticate.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kubedrift.cli.main import app
from support.apiserver import ApiServer

DESIRED = "apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n"


def split_kubeconfig(server: ApiServer, folder: Path) -> tuple[Path, Path]:
    """(clusters + contexts file, users file), as two halves of the test bed's kubeconfig."""
    whole = yaml.safe_load(server.kubeconfig.read_text())
    (folder / "certs").mkdir()
    ca = Path(whole["clusters"][0]["cluster"]["certificate-authority"])
    shutil.copy(ca, folder / "certs" / "ca.crt")
    whole["clusters"][0]["cluster"]["certificate-authority"] = "certs/ca.crt"  # relative
    context = whole["contexts"][0]
    other = {"name": "elsewhere", "context": {**context["context"], "namespace": "kube-system"}}
    clusters = {**whole, "users": [], "contexts": [context, other]}
    users = {"apiVersion": "v1", "kind": "Config", "users": whole["users"], "current-context": "x"}
    first, second = folder / "clusters.yaml", folder / "users.yaml"
    first.write_text(yaml.safe_dump(clusters))
    second.write_text(yaml.safe_dump(users))
    return first, second


@pytest.mark.parametrize("context", [None, "elsewhere"])
def test_scan_with_a_kubeconfig_list_reaches_the_cluster(
    apiserver: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, context: str | None
) -> None:
    first, second = split_kubeconfig(apiserver, tmp_path)
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(first), str(second)]))
    monkeypatch.chdir(tmp_path.parent)  # relative paths resolve against the file, not here
    desired = tmp_path / "ns.yaml"
    desired.write_text(DESIRED)
    args = ["scan", "-d", str(desired), "--no-nodes", "--no-workloads", "-o", "json"]
    args += ["--context", context] if context else []
    result = CliRunner().invoke(app, args, standalone_mode=False)
    if result.exception is not None:
        raise result.exception
    report = json.loads(result.stdout)
    assert (result.return_value, report["findings"]) == (0, [])
    expected = context or "kubedrift-test"  # the first file's current-context wins
    assert report["summary"]["live_source"] == f"cluster {expected}"

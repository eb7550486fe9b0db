"""A snapshot holds only the kinds its `kubectl get` asked for; the rest is not missing.

Regression for issue 10.3: with `--live SNAPSHOT`, every desired object of a kind the
snapshot does not hold at all was reported `object-missing` HIGH, so README's own example
(`kubectl get nodes,pods,deployments,jobs -A -o json`) flagged every ConfigMap and Service.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubedrift.cli.main import app

DESIRED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: server, namespace: ml}
spec: {replicas: 2}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: deleted-by-hand, namespace: ml}
spec: {replicas: 1}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: model, namespace: ml}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: tokenizer, namespace: ml}
data: {b: "2"}
---
apiVersion: v1
kind: Service
metadata: {name: server, namespace: ml}
spec: {ports: [{port: 80}]}
"""

SNAPSHOT = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "server", "namespace": "ml"},
            "spec": {"replicas": 2},
        }
    ],
}


def run(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, [*args, "-o", "json"], standalone_mode=False)
    if result.exception is not None:
        raise result.exception
    return int(result.return_value), json.loads(result.stdout)


@pytest.mark.parametrize("command", ["scan", "diff"])
def test_kinds_the_snapshot_does_not_hold_are_one_note_each(tmp_path: Path, command: str) -> None:
    desired, live = tmp_path / "desired.yaml", tmp_path / "live.json"
    desired.write_text(DESIRED)
    live.write_text(json.dumps(SNAPSHOT))
    args = ["scan", "-d", str(desired), "--live", str(live)]
    code, report = run(*(args if command == "scan" else ["diff", str(desired), str(live)]))
    # The Deployment kind is in the snapshot: one that is not there is missing indeed.
    assert code == 2
    assert [(f["object"]["name"], f["rule"]) for f in report["findings"]] == [
        ("deleted-by-hand", "object-missing")
    ]
    assert report["summary"]["notes"] == [
        "ConfigMap not in the snapshot: 2 desired objects not checked",
        "Service not in the snapshot: 1 desired object not checked",
    ]
    assert report["summary"]["objects_checked"] == 2

"""The name a cluster goes by in a shared timeline store: its kubeconfig context's.

Regression for issue 10.9: `watch --cluster` defaulted to "default" whatever the context,
so two clusters watched without `--cluster` collided in one store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubedrift.cluster.connection import ClusterTarget, context_name


def kubeconfig(path: Path, current: str, *others: str) -> Path:
    names = [current, *others]
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": current,
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "contexts": [{"name": n, "context": {"cluster": "c", "user": "u"}} for n in names],
                "users": [{"name": "u", "user": {"token": "t"}}],
            }
        )
    )
    return path


def test_the_current_context_names_the_cluster(tmp_path: Path) -> None:
    config = kubeconfig(tmp_path / "kc", "prod-eu", "staging")
    assert context_name(ClusterTarget(kubeconfig=config)) == "prod-eu"
    assert context_name(ClusterTarget(kubeconfig=config, context="staging")) == "staging"


def test_kubeconfig_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "kc", "gpu-west")))
    assert context_name(ClusterTarget()) == "gpu-west"


def test_in_cluster_and_no_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert context_name(ClusterTarget(in_cluster=True)) == "in-cluster"
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    assert context_name(ClusterTarget()) == "default"

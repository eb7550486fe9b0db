"""The watcher's desired state: compiled per revision, encoded, and cheaply polled."""

from __future__ import annotations

import os
from pathlib import Path

from kubedrift.cluster.discovery import ApiResource
from kubedrift.controller import desired as desired_state

MANIFESTS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: serving-config}
data: {max_model_len: "8192"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: []
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: llm, namespace: serving}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: llm}
  minReplicas: 1
  maxReplicas: 4
---
apiVersion: ml.example.com/v1
kind: Model
metadata: {name: llama, namespace: serving}
"""

RESOURCES = {
    ("", "ConfigMap"): ApiResource("", "v1", "ConfigMap", "configmaps", True),
    ("rbac.authorization.k8s.io", "ClusterRole"): ApiResource(
        "rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False
    ),
    ("autoscaling", "HorizontalPodAutoscaler"): ApiResource(
        "autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True
    ),
    ("ml.example.com", "Model"): None,
}


def _load(tmp_path: Path) -> desired_state.DesiredState:
    (tmp_path / "app.yaml").write_text(MANIFESTS)
    return desired_state.load((str(tmp_path),), None)


def test_resolve_keys_objects_by_served_kind_in_their_namespace(tmp_path: Path) -> None:
    state = desired_state.resolve(_load(tmp_path), RESOURCES, "ml")

    configmaps = state.kinds[("", "ConfigMap")]
    assert list(configmaps.objects) == [("", "ConfigMap", "ml", "serving-config")]
    obj = configmaps.get(("", "ConfigMap", "ml", "serving-config"))
    assert obj is not None
    assert obj["metadata"]["namespace"] == "ml"
    assert obj["data"] == {"max_model_len": "8192"}
    roles = state.kinds[("rbac.authorization.k8s.io", "ClusterRole")]
    assert list(roles.objects) == [("rbac.authorization.k8s.io", "ClusterRole", "", "reader")]
    assert [str(r) for r in state.unserved] == ["Model/serving/llama"]
    assert state.autoscaled == {("serving", "Deployment", "llm")}
    assert (state.objects, state.count) == ((), 4)


def test_the_version_is_a_content_digest_outside_git(tmp_path: Path) -> None:
    first = _load(tmp_path)
    assert first.version.startswith("sha256:")
    assert _load(tmp_path).version == first.version
    (tmp_path / "app.yaml").write_text(MANIFESTS.replace("8192", "16384"))
    assert desired_state.load((str(tmp_path),), None).version != first.version


def test_the_local_fingerprint_moves_only_when_a_file_does(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(MANIFESTS)
    (tmp_path / ".git").mkdir()
    specs = (str(tmp_path),)
    before = desired_state.local_fingerprint(specs, None)
    assert before is not None
    assert desired_state.local_fingerprint(specs, None) == before

    (tmp_path / ".git" / "index").write_text("ignored: not a manifest")
    assert desired_state.local_fingerprint(specs, None) == before

    stat = (tmp_path / "app.yaml").stat()
    os.utime(tmp_path / "app.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert desired_state.local_fingerprint(specs, None) != before


def test_a_git_url_has_no_local_fingerprint() -> None:
    spec = "https://git.example.com/platform/gitops.git//clusters/prod@main"
    assert desired_state.local_fingerprint((spec,), None) is None

"""The watcher's desired state: compiled per revision, encoded, and cheaply polled."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from kubedrift.cluster.discovery import ApiResource
from kubedrift.controller import desired as desired_state
from kubedrift.controller.loader import DesiredLoader
from kubedrift.model import InputError

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


def test_the_source_fingerprint_moves_only_when_a_file_does(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(MANIFESTS)
    (tmp_path / ".git").mkdir()
    specs = (str(tmp_path),)
    before = desired_state.source_fingerprint(specs, None)
    assert before is not None
    assert desired_state.source_fingerprint(specs, None) == before

    (tmp_path / ".git" / "index").write_text("ignored: not a manifest")
    assert desired_state.source_fingerprint(specs, None) == before

    stat = (tmp_path / "app.yaml").stat()
    os.utime(tmp_path / "app.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert desired_state.source_fingerprint(specs, None) != before


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


def test_a_git_source_is_fingerprinted_by_the_commit_its_revision_names(tmp_path: Path) -> None:
    repo = tmp_path / "gitops"
    (repo / "clusters" / "prod").mkdir(parents=True)
    (repo / "clusters" / "prod" / "app.yaml").write_text(MANIFESTS)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    spec = (f"file://{repo}//clusters/prod@main",)
    before = desired_state.source_fingerprint(spec, None)
    assert before is not None
    assert desired_state.source_fingerprint(spec, None) == before

    (repo / "clusters" / "prod" / "app.yaml").write_text(MANIFESTS.replace("8192", "4096"))
    _git(repo, "commit", "-q", "-am", "second")
    assert desired_state.source_fingerprint(spec, None) != before

    pinned = (f"file://{repo}//clusters/prod@{_git(repo, 'rev-parse', 'HEAD~1')}",)
    assert desired_state.source_fingerprint(pinned, None) is not None
    short = (f"file://{repo}//clusters/prod@{_git(repo, 'rev-parse', '--short', 'HEAD')}",)
    assert desired_state.source_fingerprint(short, None) is None  # only a fetch can tell


def test_the_worker_process_reads_what_this_process_would(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(MANIFESTS)
    here = desired_state.load((str(tmp_path),), None)

    async def in_worker() -> desired_state.DesiredState:
        with DesiredLoader() as loader:
            return await loader.load((str(tmp_path),), None)

    there = asyncio.run(in_worker())
    assert (there.version, there.objects, there.count) == (here.version, here.objects, 4)
    assert there.group_kinds == here.group_kinds


def test_a_bad_manifest_read_in_the_worker_names_its_file_and_document(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(MANIFESTS + "---\nkind: ConfigMap\nmetadata: {name: [\n")

    async def in_worker() -> None:
        with DesiredLoader() as loader:
            await loader.load((str(tmp_path),), None)

    with pytest.raises(InputError) as caught:
        asyncio.run(in_worker())
    assert caught.value.where is not None
    assert "app.yaml, document 5" in caught.value.where
    assert "invalid YAML" in caught.value.message

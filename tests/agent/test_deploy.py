"""deploy/agent: the manifests parse, and the real v1.20 apiserver accepts every field."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from support.apiserver import ApiServer

from .kube import DEPLOY, apply, ensure_namespace


def _manifests() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def _missing(sent: Any, got: Any, path: str = "") -> list[str]:
    """Paths of values sent that the server did not keep (v1.20 drops unknown fields)."""
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return [path or "/"]
        return [m for k, v in sent.items() for m in _missing(v, got.get(k), f"{path}/{k}")]
    if isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            return [path]
        return [
            m
            for i, (s, g) in enumerate(zip(sent, got, strict=True))
            for m in _missing(s, g, f"{path}/{i}")
        ]
    return [] if sent == got else [f"{path}: sent {sent!r}, kept {got!r}"]


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    files = sorted(p.name for p in DEPLOY.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(kustomization["resources"]) == files


def test_manifests_are_what_the_brief_asks() -> None:
    docs = {(d["kind"], d["metadata"]["name"]): d for d in _manifests()}
    assert set(docs) == {
        ("Namespace", "kubedrift-system"),
        ("ServiceAccount", "kubedrift-agent"),
        ("ClusterRole", "kubedrift-agent"),
        ("ClusterRoleBinding", "kubedrift-agent"),
        ("Role", "kubedrift-agent"),
        ("RoleBinding", "kubedrift-agent"),
        ("DaemonSet", "kubedrift-agent"),
    }
    assert docs["ClusterRole", "kubedrift-agent"]["rules"] == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}
    ]
    assert docs["Role", "kubedrift-agent"]["rules"] == [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create", "patch"]}
    ]
    pod = docs["DaemonSet", "kubedrift-agent"]["spec"]["template"]["spec"]
    # GPU nodes' taint only, not every taint; never on control planes (issue 12.7)
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    exprs = terms["nodeSelectorTerms"][0]["matchExpressions"]
    assert {"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"} in exprs
    assert not pod.get("hostPID")
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    env = {e["name"]: e for e in container["env"]}
    assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert all(
        m.get("readOnly") for m in container["volumeMounts"] if m["mountPath"].startswith("/host")
    )
    host_paths = {v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    assert "/" not in host_paths
    assert "/proc" not in host_paths
    assert "/etc" not in host_paths  # only the files it digests (issue 12.7)
    assert "/var/lib/kubelet" not in host_paths
    assert "--host-root=/host" in container["args"]


def test_server_side_dry_run_accepts_every_manifest_unchanged(apiserver: ApiServer) -> None:
    ensure_namespace(apiserver)  # namespaced objects need it even in a dry run
    for doc in _manifests():
        status, answer = apply(apiserver, doc, dry_run=True)
        what = f"{doc['kind']}/{doc['metadata']['name']}"
        assert status in (200, 201), f"{what}: {answer.get('message')}"
        assert _missing(doc, answer) == [], f"{what}: fields dropped by the server"


@pytest.mark.parametrize("name", ["daemonset.yaml", "rbac.yaml", "namespace.yaml"])
def test_every_manifest_explains_itself(name: str) -> None:
    assert (DEPLOY / name).read_text().startswith("#")

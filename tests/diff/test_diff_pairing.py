"""Pairing desired with live: group not version, cluster-scoped objects have no namespace."""

from __future__ import annotations

from typing import Any

from diff.diff_builders import deployment, served
from kubedrift.diff import diff_objects, pair_objects


def obj(api_version: str, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


def test_pairs_by_group_not_version() -> None:
    desired = obj("apps/v1beta2", "Deployment", "a", "ml")
    live = obj("apps/v1", "Deployment", "a", "ml")
    other_group = obj("extensions/v1beta1", "Deployment", "a", "ml")
    assert pair_objects([desired], [other_group, live]) == [(desired, live)]


def test_unpaired_desired_gets_none_and_extra_live_is_left_out() -> None:
    desired = obj("v1", "ConfigMap", "a", "ml")
    assert pair_objects([desired], [obj("v1", "ConfigMap", "b", "ml")]) == [(desired, None)]


def test_cluster_scoped_namespace_is_ignored() -> None:
    # kustomize's `namespace:` stamps a namespace on cluster-scoped objects too
    desired = obj("rbac.authorization.k8s.io/v1", "ClusterRole", "view-gpus", "ml")
    live = obj("rbac.authorization.k8s.io/v1", "ClusterRole", "view-gpus")
    assert pair_objects([desired], [live]) == [(desired, live)]
    assert diff_objects([desired], [live]) == []


def test_namespace_defaults_for_namespaced_objects() -> None:
    desired = obj("v1", "ConfigMap", "a")
    live = obj("v1", "ConfigMap", "a", "default")
    assert pair_objects([desired], [live]) == [(desired, live)]
    team = obj("v1", "ConfigMap", "a", "team")
    assert pair_objects([desired], [team], default_namespace="team") == [(desired, team)]


def test_callback_and_live_evidence_decide_scope_of_unknown_kinds() -> None:
    desired = obj("example.com/v1", "Fleet", "f", "ml")
    live = obj("example.com/v1", "Fleet", "f")
    assert pair_objects([desired], [live]) == [(desired, live)]  # live shows it has no namespace
    assert pair_objects([desired], [live], cluster_scoped=lambda g, k: False) == [(desired, None)]
    node = obj("v1", "Node", "n1", "ml")
    node_live = obj("v1", "Node", "n1")
    assert pair_objects([node], [node_live], cluster_scoped=lambda g, k: None) == [
        (node, node_live)
    ]


def test_diff_objects_reports_missing_objects() -> None:
    desired = [deployment(), obj("v1", "ConfigMap", "settings", "ml")]
    found = diff_objects(desired, [served(deployment())])
    assert [(f.rule, f.path, str(f.object), f.severity.value) for f in found] == [
        ("object-missing", "", "ConfigMap/ml/settings", "high")
    ]
    assert found[0].message == "ConfigMap/ml/settings is in desired but not in the cluster"


def test_diff_objects_accepts_generators() -> None:
    found = diff_objects((d for d in [deployment()]), (x for x in [served(deployment())]))
    assert found == []


def test_one_table_of_cluster_scoped_kinds_for_loading_and_pairing() -> None:
    """The desired loader (`desired.scope`) and pairing read one table: two copies had
    drifted apart, each missing GPU-stack kinds the other knew."""
    from kubedrift.desired.scope import is_cluster_scoped
    from kubedrift.diff import CLUSTER_SCOPED_KINDS

    once_in_one_copy = {
        ("nvidia.com", "NVIDIADriver"),
        ("kueue.x-k8s.io", "Cohort"),
        ("kueue.x-k8s.io", "WorkloadPriorityClass"),
        ("scheduling.volcano.sh", "Queue"),
        ("resource.k8s.io", "DeviceClass"),
        ("nfd.k8s-sigs.io", "NodeFeatureRule"),
        ("cert-manager.io", "ClusterIssuer"),
    }
    assert once_in_one_copy <= CLUSTER_SCOPED_KINDS
    for group, kind in CLUSTER_SCOPED_KINDS:
        assert is_cluster_scoped(f"{group}/v1" if group else "v1", kind), kind

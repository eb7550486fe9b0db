"""Desired objects without a namespace get the default one, unless cluster-scoped."""

from __future__ import annotations

from typing import Any

from kubedrift.engine.namespaces import with_namespaces


def _obj(api_version: str, kind: str, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "x"}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


def test_namespaced_kinds_get_the_default() -> None:
    (out,) = with_namespaces([_obj("v1", "ConfigMap")], "ml", lambda g, k: None)
    assert out["metadata"]["namespace"] == "ml"


def test_given_namespaces_and_cluster_scoped_kinds_are_kept() -> None:
    objects = [
        _obj("v1", "ConfigMap", "team"),
        _obj("rbac.authorization.k8s.io/v1", "ClusterRole"),  # built-in table
        _obj("example.com/v1", "Widget"),  # the cluster says cluster-scoped
    ]
    out = with_namespaces(objects, "ml", lambda g, k: True if k == "Widget" else None)
    assert [o["metadata"].get("namespace") for o in out] == ["team", None, None]


def test_inputs_are_not_changed() -> None:
    obj = _obj("v1", "ConfigMap")
    with_namespaces([obj], "ml", lambda g, k: None)
    assert "namespace" not in obj["metadata"]


def test_in_namespace_leaves_out_other_namespaces_and_cluster_scoped_kinds() -> None:
    from kubedrift.engine.namespaces import in_namespace

    def scope(group: str, kind: str) -> bool | None:
        return True if kind == "Widget" else None

    objects = [
        _obj("v1", "ConfigMap", "ml"),
        _obj("v1", "ConfigMap", "team"),
        _obj("rbac.authorization.k8s.io/v1", "ClusterRole", "ml"),  # kustomize stamped it
        _obj("example.com/v1", "Widget", "ml"),
    ]
    assert [in_namespace(o, "ml", scope) for o in objects] == [True, False, False, False]

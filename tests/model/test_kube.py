"""Typed views of raw Kubernetes JSON (`model.kube`): the accessors tolerate what the API
omits and what a hand-written snapshot may hold instead."""

from __future__ import annotations

from typing import Any

import pytest

from kubedrift.model.kube import (
    containers_of,
    managed_fields_of,
    metadata_of,
    owner_references_of,
)

OWNER = {
    "apiVersion": "apps/v1",
    "kind": "ReplicaSet",
    "name": "rs",
    "uid": "u",
    "controller": True,
}
ENTRY = {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {"f:spec": {}}}


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"metadata": None},
        {"metadata": "not a mapping"},
        {"metadata": {"ownerReferences": None, "managedFields": None}},
    ],
)
def test_absent_or_malformed_metadata_reads_as_empty(obj: dict[str, Any]) -> None:
    assert metadata_of(obj).get("name") is None
    assert tuple(owner_references_of(obj)) == ()
    assert tuple(managed_fields_of(obj)) == ()


def test_present_fields_are_returned_as_they_are() -> None:
    pod = {"metadata": {"name": "p", "ownerReferences": [OWNER], "managedFields": [ENTRY]}}
    assert metadata_of(pod).get("name") == "p"
    (owner,) = owner_references_of(pod)
    assert (owner.get("kind"), owner.get("controller")) == ("ReplicaSet", True)
    (entry,) = managed_fields_of(pod)
    assert (entry.get("manager"), entry.get("operation")) == ("kubectl-edit", "Update")
    assert tuple(managed_fields_of(None)) == ()


def test_containers_of_a_pod_spec() -> None:
    spec = {"containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "8"}}}]}
    (container,) = containers_of(spec)
    assert (container.get("resources") or {}).get("limits") == {"nvidia.com/gpu": "8"}
    assert tuple(containers_of({})) == ()

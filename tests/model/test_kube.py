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


def test_the_node_shape_declares_every_field_the_node_analysis_reads() -> None:
    """`node_facts` reads `status.nodeInfo` fields by name (NODE_INFO_FIELDS): each is a key
    of `NodeSystemInfo`, so a field added there without its type fails here."""
    from kubedrift.analysis.facts import NODE_INFO_FIELDS
    from kubedrift.model.kube import NodeStatus, NodeSystemInfo

    assert set(NODE_INFO_FIELDS) <= NodeSystemInfo.__annotations__.keys()
    assert {"capacity", "allocatable", "nodeInfo"} <= NodeStatus.__annotations__.keys()


@pytest.mark.parametrize("node", [{}, {"spec": None, "status": None}])
def test_absent_node_spec_and_status_read_as_empty(node: dict[str, Any]) -> None:
    from kubedrift.model.kube import as_node, node_spec_of, node_status_of

    typed = as_node(node)
    assert node_spec_of(typed).get("taints") is None
    assert node_status_of(typed).get("nodeInfo") is None


def test_node_facts_and_remedies_read_the_typed_node() -> None:
    """A whole Node through both readers of the shape: the analysis and the remedies."""
    from kubedrift.analysis.facts import node_facts
    from kubedrift.remediate.nodes import TAINT_KEY, cordon_patch, quarantined

    taint = {"key": TAINT_KEY, "value": "gpu-unhealthy", "effect": "NoSchedule"}
    node = {
        "kind": "Node",
        "metadata": {"name": "n1", "resourceVersion": "7", "labels": {"pool": "a"}},
        "spec": {"taints": [taint], "unschedulable": True},
        "status": {
            "capacity": {"memory": "16777216Ki", "nvidia.com/gpu": 8},
            "nodeInfo": {"kernelVersion": "5.15.0", "bootID": "b"},
        },
    }
    facts = node_facts(node)
    assert facts["nodeInfo.kernelVersion"] == "5.15.0"
    assert facts["capacity:memory"] == "16Gi"
    assert facts["capacity:nvidia.com/gpu"] == "8"
    assert facts[f"taint:{TAINT_KEY}:NoSchedule"] == "gpu-unhealthy"
    assert quarantined(node)
    assert cordon_patch(node, "gpu-unhealthy", "m") is None  # already cordoned and tainted
    assert cordon_patch(node, "other-rule", "m") == {
        "metadata": {"resourceVersion": "7"},
        "spec": {
            "unschedulable": True,
            "taints": [{"key": TAINT_KEY, "value": "other-rule", "effect": "NoSchedule"}],
        },
    }

"""fieldsV1 parsing and attribution: who wrote a field, and when."""

from __future__ import annotations

from typing import Any

import pytest

from diff.diff_builders import container_fields, entry
from kubedrift.diff.managed_fields import (
    ManagedFields,
    coverage,
    manager_matches,
    parse_fields_v1,
    parse_key,
)
from kubedrift.diff.pointers import ListKey, Path

TRAINER = ListKey((("name", "trainer"),))


@pytest.mark.parametrize(
    ("key", "parsed"),
    [
        ("f:replicas", "replicas"),
        (
            "f:kubectl.kubernetes.io/last-applied-configuration",
            "kubectl.kubernetes.io/last-applied-configuration",
        ),
        ('k:{"name":"trainer"}', ("k", (("name", "trainer"),))),
        (
            'k:{"protocol":"TCP","containerPort":80}',
            ("k", (("containerPort", 80), ("protocol", "TCP"))),
        ),
        ('v:"example.com/finalizer"', ("v", '"example.com/finalizer"')),
        ("i:3", ("i", 3)),
    ],
)
def test_parse_key(key: str, parsed: Any) -> None:
    assert parse_key(key) == parsed


def test_parse_fields_v1_tree() -> None:
    root = parse_fields_v1(
        {
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {
                "f:template": {
                    "f:spec": {"f:containers": {'k:{"name":"trainer"}': {".": {}, "f:image": {}}}}
                }
            },
        }
    )
    labels = root.children["metadata"].children["labels"]
    assert labels.owned
    assert not labels.is_leaf
    assert labels.children["app"].is_leaf
    containers = root.children["spec"].children["template"].children["spec"].children["containers"]
    element = containers.children[("k", (("name", "trainer"),))]
    assert element.owned
    assert set(element.children) == {"image"}
    assert not root.children["spec"].owned


@pytest.mark.parametrize(
    ("path", "covered"),
    [
        (("spec", "replicas"), 2),
        (("spec", "template", "spec", "containers", TRAINER, "image"), 6),
        (("spec", "template", "spec", "containers", TRAINER), 5),  # "." owns the element
        (("spec", "template", "spec", "containers", TRAINER, "env"), 0),
        (("spec", "command", 2), 2),  # an atomic list owns its elements
        (("spec", "selector"), 0),
        (("metadata",), 0),
    ],
)
def test_coverage(path: Path, covered: int) -> None:
    fields: dict[str, Any] = {
        "f:spec": {
            "f:replicas": {},
            "f:command": {},
            "f:template": {
                "f:spec": {"f:containers": {'k:{"name":"trainer"}': {".": {}, "f:image": {}}}}
            },
        }
    }
    assert coverage(fields, path) == covered


def _live(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"managedFields": list(entries)}}


def test_owner_is_the_most_specific_entry() -> None:
    managed = ManagedFields(
        _live(
            entry(
                "kubectl-client-side-apply",
                {"f:spec": {"f:template": {}}},
                time="2026-03-01T00:00:00Z",
            ),
            entry("kubectl-edit", container_fields("f:image"), time="2026-01-01T00:00:00Z"),
        )
    )
    owner = managed.owner_of(("spec", "template", "spec", "containers", TRAINER, "image"))
    assert owner is not None
    assert (owner.manager, owner.time) == ("kubectl-edit", "2026-01-01T00:00:00Z")


def test_owner_ties_go_to_the_latest_write() -> None:
    managed = ManagedFields(
        _live(
            entry("a", {"f:spec": {"f:replicas": {}}}, time="2026-02-01T00:00:00Z"),
            entry("b", {"f:spec": {"f:replicas": {}}}, time="2026-03-01T00:00:00Z"),
            entry("c", {"f:spec": {"f:replicas": {}}}, time="2026-01-01T00:00:00Z"),
        )
    )
    owner = managed.owner_of(("spec", "replicas"))
    assert owner is not None
    assert owner.manager == "b"


def test_no_owner_for_unowned_fields_and_null_times() -> None:
    managed = ManagedFields(
        _live(
            {"manager": "main", "operation": "Update", "fieldsV1": {"f:subsets": {}}, "time": None}
        )
    )
    assert managed.owner_of(("spec",)) is None
    owner = managed.owner_of(("subsets", 0, "addresses"))
    assert owner is not None
    assert owner.manager == "main"
    assert owner.time is None
    assert ManagedFields({"metadata": {}}).owner_of(("spec",)) is None
    assert ManagedFields(None).entries == ()


def test_applied_sets_are_apply_entries_of_our_managers() -> None:
    managed = ManagedFields(
        _live(
            entry("argocd-controller", {"f:spec": {}}, operation="Apply"),
            entry("argocd-controller", {"f:status": {}}, operation="Apply", subresource="status"),
            entry("kubectl-client-side-apply", {"f:spec": {}}),
            entry("someone-else", {"f:spec": {}}, operation="Apply"),
            entry("pulumi-kubernetes-1f2e", {"f:metadata": {}}, operation="Apply"),
        )
    )
    applied = managed.applied_sets(["argocd-controller", "pulumi-kubernetes*"])
    assert [e.manager for e, _ in applied] == ["argocd-controller", "pulumi-kubernetes-1f2e"]


@pytest.mark.parametrize(
    ("manager", "patterns", "matches"),
    [
        ("keda-operator", ("keda*",), True),
        ("kube-controller-manager", ("kube-controller-manager",), True),
        ("kubectl-edit", ("kubectl",), False),
    ],
)
def test_manager_matches(manager: str, patterns: tuple[str, ...], matches: bool) -> None:
    assert manager_matches(manager, patterns) is matches

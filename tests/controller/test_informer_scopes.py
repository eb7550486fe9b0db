"""Where a tracker watches its kind: per namespace, or cluster-wide; never Secrets cluster-wide."""

from __future__ import annotations

import pytest

from kubedrift.cluster.discovery import ApiResource
from kubedrift.controller.desired import DesiredKind
from kubedrift.controller.objects import MAX_NAMESPACED_INFORMERS, informer_scopes

SECRETS = ApiResource("", "v1", "Secret", "secrets", namespaced=True)
CONFIGMAPS = ApiResource("", "v1", "ConfigMap", "configmaps", namespaced=True)
NODES = ApiResource("", "v1", "Node", "nodes", namespaced=False)


def kind(resource: ApiResource, namespaces: list[str]) -> DesiredKind:
    objects = {("", resource.kind, ns, "x"): b"{}" for ns in namespaces}
    return DesiredKind(resource, objects)


NAMESPACES = [f"team-{i}" for i in range(MAX_NAMESPACED_INFORMERS + 3)]


def test_a_few_namespaces_are_watched_one_by_one() -> None:
    assert informer_scopes(kind(CONFIGMAPS, ["b", "a"])) == ["a", "b"]


def test_many_namespaces_are_watched_cluster_wide() -> None:
    assert informer_scopes(kind(CONFIGMAPS, NAMESPACES)) == [None]


@pytest.mark.parametrize("count", [1, MAX_NAMESPACED_INFORMERS + 1, 40])
def test_secrets_are_never_watched_cluster_wide(count: int) -> None:
    names = [f"team-{i}" for i in range(count)]
    assert informer_scopes(kind(SECRETS, names)) == sorted(names)


def test_cluster_scoped_kinds_are_watched_cluster_wide() -> None:
    assert informer_scopes(kind(NODES, [""])) == [None]

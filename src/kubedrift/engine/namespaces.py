"""Giving namespaced desired objects that name no namespace the one they will live in.

`kubectl apply` puts such an object in the context's namespace (or `--namespace`); findings
must name that namespace, not none. Cluster-scoped kinds keep none, whatever desired says.
Objects are copied, never changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kubedrift.diff import CLUSTER_SCOPED_KINDS


def with_namespaces(
    objects: Sequence[dict[str, Any]],
    default_namespace: str,
    cluster_scoped: Callable[[str, str], bool | None],
) -> list[dict[str, Any]]:
    """Each object, with `default_namespace` filled in where a namespaced one has none."""
    return [_resolved(o, default_namespace, cluster_scoped) for o in objects]


def _resolved(
    obj: dict[str, Any], namespace: str, cluster_scoped: Callable[[str, str], bool | None]
) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    if meta.get("namespace"):
        return obj
    group, kind = str(obj.get("apiVersion") or "").rpartition("/")[0], str(obj.get("kind"))
    scoped = cluster_scoped(group, kind)
    if scoped or (scoped is None and (group, kind) in CLUSTER_SCOPED_KINDS):
        return obj
    return {**obj, "metadata": {**meta, "namespace": namespace}}

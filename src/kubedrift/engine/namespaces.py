"""Giving namespaced desired objects that name no namespace the one they will live in.

`kubectl apply` puts such an object in the context's namespace (or `--namespace`); findings
must name that namespace, not none. Cluster-scoped kinds keep none, whatever desired says.
Objects are copied, never changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kubedrift.diff import CLUSTER_SCOPED_KINDS

MAX_NAMESPACES_SHOWN = 5


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


def in_namespace(
    obj: dict[str, Any], namespace: str, cluster_scoped: Callable[[str, str], bool | None]
) -> bool:
    """Whether a desired object, namespaces filled in, lives in `namespace`.

    `scan -n NS` reads only NS, as `kubectl get -n NS` does: a cluster-scoped object is in
    no namespace, whatever its manifest says (kustomize stamps one on every resource).
    """
    group, kind = str(obj.get("apiVersion") or "").rpartition("/")[0], str(obj.get("kind"))
    scoped = cluster_scoped(group, kind)
    if scoped or (scoped is None and (group, kind) in CLUSTER_SCOPED_KINDS):
        return False
    return str((obj.get("metadata") or {}).get("namespace") or "") == namespace


def elsewhere_message(message: str, kind: str, name: str, namespaces: Sequence[str]) -> str:
    """An object-missing message that says where an object of that kind and name does live.

    The commonest cause of "object missing" is a namespace that differs between the
    manifest (or `-n`, or the context) and the cluster; saying where it is ends the search.
    """
    shown = ", ".join(namespaces[:5]) + (
        f" and {len(namespaces) - 5} more" if len(namespaces) > 5 else ""
    )
    where = "namespace" if len(namespaces) == 1 else "namespaces"
    return (
        f"{message}; a {kind} named {name} exists in {where} {shown} "
        "(set metadata.namespace, or pass -n/--namespace)"
    )

"""Pairing desired objects with live ones: API group (not version), kind, namespace, name.

The version is left out (`apps/v1beta1` in Git and `apps/v1` on the server are one object).
A cluster-scoped object has no namespace, whatever desired says (kustomize's `namespace:`
stamps one on every resource). Whether a kind is cluster-scoped is asked, in order, of the
caller's callback, the built-in table below, and the live objects themselves (the apiserver
never returns a namespace for a cluster-scoped object); otherwise it is namespaced, and a
desired object without a namespace is in `default_namespace`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

from kubedrift.model import JSONObject

ClusterScoped: TypeAlias = Callable[[str, str], bool | None]
"""(group, kind) -> True/False, or None to fall back to the built-in table."""

PairKey: TypeAlias = tuple[str, str, str, str]

CLUSTER_SCOPED_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Node"),
        ("", "Namespace"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("networking.k8s.io", "IngressClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("resource.k8s.io", "DeviceClass"),
        ("policy", "PodSecurityPolicy"),
        ("kueue.x-k8s.io", "ClusterQueue"),
        ("kueue.x-k8s.io", "ResourceFlavor"),
        # The GPU and batch stack this tool is for.
        ("nvidia.com", "ClusterPolicy"),
        ("nvidia.com", "NVIDIADriver"),
        ("kueue.x-k8s.io", "WorkloadPriorityClass"),
        ("kueue.x-k8s.io", "Cohort"),
        ("scheduling.volcano.sh", "Queue"),
        ("nfd.k8s-sigs.io", "NodeFeatureRule"),
        ("cert-manager.io", "ClusterIssuer"),
    }
)
"""Kinds known to be cluster-scoped without asking a server: loading desired files gives
them no default namespace (`desired.scope`), pairing drops any namespace they carry."""


def group_of(obj: JSONObject) -> str:
    """The API group of an object ("" for the core group)."""
    return str(obj.get("apiVersion") or "").rpartition("/")[0]


def _meta(obj: JSONObject) -> Any:
    return obj.get("metadata") or {}


class _Scope:
    """Answers "is (group, kind) cluster-scoped?" from callback, table, then live evidence."""

    __slots__ = ("_cache", "_callback", "_live_cluster")

    def __init__(self, callback: ClusterScoped | None, live_cluster: set[tuple[str, str]]):
        self._callback = callback
        self._live_cluster = live_cluster
        self._cache: dict[tuple[str, str], bool] = {}

    def __call__(self, group: str, kind: str) -> bool:
        key = (group, kind)
        answer = self._cache.get(key)
        if answer is None:
            answer = self._cache[key] = self._decide(group, kind)
        return answer

    def _decide(self, group: str, kind: str) -> bool:
        answer = self._callback(group, kind) if self._callback is not None else None
        if answer is not None:
            return answer
        key = (group, kind)
        return key in CLUSTER_SCOPED_KINDS or key in self._live_cluster


def pair_key(
    obj: JSONObject, cluster_scoped: Callable[[str, str], bool], namespace: str
) -> PairKey:
    """The pairing key of one object; `namespace` is used when it has none."""
    group, kind, meta = group_of(obj), str(obj.get("kind") or ""), _meta(obj)
    ns = "" if cluster_scoped(group, kind) else str(meta.get("namespace") or namespace)
    return (group, kind, ns, str(meta.get("name") or ""))


def pair_objects(
    desired: Iterable[JSONObject],
    live: Iterable[JSONObject],
    *,
    cluster_scoped: ClusterScoped | None = None,
    default_namespace: str = "default",
) -> list[tuple[JSONObject, JSONObject | None]]:
    """Each desired object with its live counterpart, or None; in desired's order.

    Live objects that nothing in desired names are left out: they are not drift of desired.
    """
    desired = list(desired)
    # Only live objects of a kind desired holds can pair; a scan of a 150,000-pod snapshot
    # with no desired Pod need not key every pod (nor read their scope evidence, which
    # `_Scope` only consults for desired's kinds).
    kinds = {(group_of(obj), str(obj.get("kind") or "")) for obj in desired}
    names = {kind for _, kind in kinds}
    live_objects = [
        o
        for o in live
        if str(o.get("kind") or "") in names and (group_of(o), str(o.get("kind") or "")) in kinds
    ]
    scope = _Scope(cluster_scoped, _cluster_evidence(live_objects))
    index: dict[PairKey, JSONObject] = {}
    for obj in live_objects:
        index.setdefault(pair_key(obj, scope, ""), obj)
    return [(obj, index.get(pair_key(obj, scope, default_namespace))) for obj in desired]


def _cluster_evidence(live: list[JSONObject]) -> set[tuple[str, str]]:
    """(group, kind) pairs of live objects without a namespace: cluster-scoped kinds."""
    return {
        (group_of(obj), str(obj.get("kind") or ""))
        for obj in live
        if not _meta(obj).get("namespace")
    }

"""Object references: how kubedrift names one Kubernetes object everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from kubedrift.model.types import JSONObject


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """The identity of one Kubernetes object: apiVersion, kind, namespace and name."""

    api_version: str
    kind: str
    namespace: str | None
    name: str

    @property
    def group(self) -> str:
        """The API group ("" for the core group)."""
        return self.api_version.rpartition("/")[0]

    def pairing_key(self) -> tuple[str, str, str, str]:
        """Key used to pair desired with live: group (not version), kind, namespace, name.

        The version is left out on purpose: `apps/v1beta1` in Git and `apps/v1` on the
        server are the same object.
        """
        return (self.group, self.kind, self.namespace or "", self.name)

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"

    def to_json(self) -> dict[str, str | None]:
        """The JSON shape of the output contract."""
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }


def ref_of(obj: JSONObject) -> ObjectRef:
    """Build the reference of a raw object; missing fields become empty strings."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or None
    return ObjectRef(
        api_version=str(obj.get("apiVersion") or ""),
        kind=str(obj.get("kind") or ""),
        namespace=str(namespace) if namespace else None,
        name=str(meta.get("name") or ""),
    )


AGENT_NAMESPACE = "kubedrift-system"
"""Where agents publish their facts ConfigMaps unless told otherwise (`--agent-namespace`).

Here, in the lightest module, so that command-line defaults need not import the analysis."""

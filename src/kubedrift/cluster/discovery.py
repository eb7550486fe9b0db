"""API discovery: which resource (plural, scope, verbs) serves an apiVersion and kind.

Discovery is lazy and cached per group-version, so a scan touching three kinds asks the
server three small questions instead of walking every API group; CRD-based kinds are found
the same way as built-in ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubedrift.cluster.connection import Connection


@dataclass(frozen=True, slots=True)
class ApiResource:
    """One served resource: where its objects live and whether they are namespaced."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: frozenset[str] = frozenset()

    @property
    def api_version(self) -> str:
        """`group/version`, or `version` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The URL path of the collection (in `namespace`), or of one object."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


class Discovery:
    """Cached discovery over one connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._by_gv: dict[str, dict[str, ApiResource]] = {}
        self._preferred: dict[str, str] | None = None

    async def resource_for(self, api_version: str, kind: str) -> ApiResource | None:
        """The resource serving `kind` at `api_version`, else at the group's preferred version.

        Git may say `apps/v1beta1` where the server only serves `apps/v1`: the object is the
        same, so the preferred version of the group is used. None when no version serves it.
        """
        found = (await self._resources(api_version)).get(kind)
        if found is not None:
            return found
        group = api_version.rpartition("/")[0]
        preferred = (await self._preferred_versions()).get(group)
        if preferred is None or preferred == api_version:
            return None
        return (await self._resources(preferred)).get(kind)

    async def _resources(self, group_version: str) -> dict[str, ApiResource]:
        if group_version not in self._by_gv:
            self._by_gv[group_version] = await self._fetch(group_version)
        return self._by_gv[group_version]

    async def _fetch(self, group_version: str) -> dict[str, ApiResource]:
        group, _, version = group_version.rpartition("/")
        path = f"/apis/{group_version}" if group else f"/api/{version}"
        body = await self._conn.get_json(path, what=f"discovery {group_version}")
        if body is None:
            return {}
        return {
            r.kind: r
            for r in (_resource(group, version, raw) for raw in body.get("resources") or [])
            if r is not None
        }

    async def _preferred_versions(self) -> dict[str, str]:
        if self._preferred is None:
            body = await self._conn.get_json("/apis", what="discovery /apis") or {}
            self._preferred = {"": "v1"}
            for g in body.get("groups") or []:
                preferred = (g.get("preferredVersion") or {}).get("groupVersion")
                if preferred:
                    self._preferred[g["name"]] = preferred
        return self._preferred


def _resource(group: str, version: str, raw: dict[str, Any]) -> ApiResource | None:
    name = str(raw.get("name") or "")
    if not name or "/" in name:  # subresources such as deployments/status
        return None
    return ApiResource(
        group=group,
        version=version,
        kind=str(raw.get("kind") or ""),
        plural=name,
        namespaced=bool(raw.get("namespaced")),
        verbs=frozenset(raw.get("verbs") or ()),
    )

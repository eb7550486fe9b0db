"""Reading live objects: the ones desired names, and whole collections with paging.

For each (resource, namespace) group of desired objects the reader GETs a few objects one
by one, or LISTs the collection in pages when desired names many of them, so a scan of
20,000 objects costs a handful of requests rather than 20,000. Paging, and what happens
when a continue token expires, is `cluster.pager`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import ApiResource, Discovery
from kubedrift.cluster.errors import Forbidden
from kubedrift.cluster.pager import list_all, list_pages
from kubedrift.model import ObjectRef
from kubedrift.model.gcpause import gc_paused

__all__ = ["LiveObjects", "fetch_desired", "list_all", "may_list", "namespaces_holding"]

LIST_THRESHOLD = 8
"""Desired objects per (resource, namespace) above which a paged LIST beats single GETs."""
CONCURRENCY = 16


class _NameMeta(msgspec.Struct):
    name: str = ""


class _Named(msgspec.Struct):
    """Only the name of a listed object: enough to tell whether desired wants it."""

    metadata: _NameMeta = msgspec.field(default_factory=_NameMeta)


_name_decoder = msgspec.json.Decoder(_Named)
_item_decoder = msgspec.json.Decoder(dict[str, Any])


@dataclass(frozen=True, slots=True)
class LiveObjects:
    """What the reader found: live objects by desired ref, plus refs of unserved kinds."""

    objects: Mapping[ObjectRef, dict[str, Any] | None]
    unserved: tuple[ObjectRef, ...]
    namespaced: Mapping[tuple[str, str], bool]
    """(group, kind) → namespaced, for every kind the server serves."""
    forbidden: Mapping[ObjectRef, str] = field(default_factory=dict)
    """Refs RBAC would not let us read → the plural of their resource (not in `objects`)."""


async def fetch_desired(
    conn: Connection, refs: Iterable[ObjectRef], discovery: Discovery | None = None
) -> LiveObjects:
    """Fetch the live counterpart of each desired ref (None where it does not exist).

    Refs must already carry the right namespace (see `engine` for scope resolution).
    """
    discovery = discovery or Discovery(conn)
    groups: dict[tuple[ApiResource, str | None], list[ObjectRef]] = defaultdict(list)
    unserved: list[ObjectRef] = []
    namespaced: dict[tuple[str, str], bool] = {}
    for ref in refs:
        resource = await discovery.resource_for(ref.api_version, ref.kind)
        if resource is None:
            unserved.append(ref)
            continue
        namespaced[(resource.group, resource.kind)] = resource.namespaced
        groups[(resource, ref.namespace if resource.namespaced else None)].append(ref)
    fetcher = _Fetcher(conn)
    await asyncio.gather(*(fetcher.group(res, ns, group) for (res, ns), group in groups.items()))
    return LiveObjects(
        objects=fetcher.found,
        unserved=tuple(unserved),
        namespaced=namespaced,
        forbidden=fetcher.forbidden,
    )


class _Fetcher:
    """Concurrent GETs and LISTs, bounded so a big scan does not flood the API server.

    A 403 is not fatal: the refs it covers are set apart in `forbidden`, for the caller to
    report (`kind-not-readable`) rather than call them missing or stop the whole scan.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.found: dict[ObjectRef, dict[str, Any] | None] = {}
        self.forbidden: dict[ObjectRef, str] = {}
        self.limit = asyncio.Semaphore(CONCURRENCY)

    async def group(self, resource: ApiResource, ns: str | None, refs: list[ObjectRef]) -> None:
        try:
            await self._group(resource, ns, refs)
        except Forbidden:
            for ref in refs:
                self.found.pop(ref, None)
                self.forbidden[ref] = resource.plural

    async def _group(self, resource: ApiResource, ns: str | None, refs: list[ObjectRef]) -> None:
        if len(refs) > LIST_THRESHOLD and "list" in resource.verbs:
            async with self.limit:
                await self._list(resource, ns, refs)
            return
        # Every GET runs to its end before an error is raised: none is left unawaited.
        results = await asyncio.gather(
            *(self.one(resource, ns, r) for r in refs), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _list(self, resource: ApiResource, ns: str | None, refs: list[ObjectRef]) -> None:
        """One paged LIST; of each page only the objects desired names are decoded whole
        (the others only as far as their name), so a namespace of 50,000 objects of which
        desired names 100 costs 100 dicts, not 50,000."""
        wanted = {r.name: r for r in refs}
        pages = list_pages(self.conn, resource, namespace=ns, raw=True)
        async with contextlib.aclosing(pages):
            async for page in pages:
                if page.restarted:  # an expired continue token: a fresh snapshot from the start
                    for stale in refs:
                        self.found.pop(stale, None)
                with gc_paused():
                    for raw in page.items:
                        ref = wanted.get(_name_decoder.decode(raw).metadata.name)
                        if ref is not None:
                            self.found[ref] = _whole(_item_decoder.decode(raw), resource)
        for ref in refs:
            self.found.setdefault(ref, None)

    async def one(self, resource: ApiResource, ns: str | None, ref: ObjectRef) -> None:
        async with self.limit:
            obj = await self.conn.get_json(resource.path(ns, ref.name), what=str(ref))
        self.found[ref] = None if obj is None else _whole(obj, resource)


def _whole(obj: dict[str, Any], resource: ApiResource) -> dict[str, Any]:
    """The object with apiVersion and kind, which LIST items lack."""
    obj.setdefault("apiVersion", resource.api_version)
    obj.setdefault("kind", resource.kind)
    return obj


async def may_list(conn: Connection, resource: ApiResource, namespace: str | None = None) -> bool:
    """Whether RBAC lets us list `resource` (in `namespace`): one LIST of at most one item.

    A watcher asks before it starts an informer, which would otherwise retry a 403 forever
    and never finish its initial sync. Errors other than 403 propagate.
    """
    try:
        await conn.get_json(
            resource.path(namespace), {"limit": "1"}, what=f"list {resource.plural}"
        )
    except Forbidden:
        return False
    return True


ELSEWHERE_BY_NAME = 20
"""Missing objects of one kind up to which each is looked for by name, not by one LIST."""


async def namespaces_holding(
    conn: Connection, discovery: Discovery, refs: Iterable[ObjectRef]
) -> dict[ObjectRef, tuple[str, ...]]:
    """For desired refs not found in their namespace, the other namespaces holding that name.

    A hint for the "object missing" message, so it costs little: a field-selector LIST per
    name (`metadata.name` is a field selector every kind supports), or one LIST of the kind
    when many of its objects are missing. A kind we may not list cluster-wide gives no hint.
    """
    by_resource: dict[ApiResource, list[ObjectRef]] = defaultdict(list)
    for ref in refs:
        resource = await discovery.resource_for(ref.api_version, ref.kind)
        if resource is not None and resource.namespaced and "list" in resource.verbs:
            by_resource[resource].append(ref)
    found: dict[ObjectRef, tuple[str, ...]] = {}
    for resource, group in by_resource.items():
        names = None if len(group) > ELSEWHERE_BY_NAME else [r.name for r in group]
        try:
            holding = await _namespaces_by_name(conn, resource, names)
        except Forbidden:
            continue
        for ref in group:
            others = tuple(ns for ns in holding.get(ref.name, ()) if ns != ref.namespace)
            if others:
                found[ref] = others
    return found


async def _namespaces_by_name(
    conn: Connection, resource: ApiResource, names: list[str] | None
) -> dict[str, list[str]]:
    """name → namespaces holding it: of `names` (one LIST each), or of every object."""
    out: dict[str, list[str]] = defaultdict(list)
    selectors = [f"metadata.name={name}" for name in names] if names is not None else [None]
    for selector in selectors:
        for item in await list_all(conn, resource, field_selector=selector):
            meta = item.get("metadata") or {}
            out[str(meta.get("name"))].append(str(meta.get("namespace") or ""))
    return {name: sorted(set(spaces)) for name, spaces in out.items()}

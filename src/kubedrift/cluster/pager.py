"""Paged LIST: a collection read in chunks with `limit`/`continue`, decoded page by page.

Kubernetes API concepts, "Retrieving large results sets in chunks": a LIST with
`limit=N` answers at most N items and, when more remain, a `metadata.continue` token; the
next request passes `continue=TOKEN` (same path and selectors) and gets the next chunk of
the *same* consistent snapshot (every page carries the first page's resourceVersion). A
token names an etcd revision, so once etcd compacts past it (every 5 min by default) the
next chunk answers `410 Gone` (reason `Expired`). kubedrift then restarts the list from the
beginning, as client-go's pager (`k8s.io/client-go/tools/pager`, `ListPager.List` with
`FullListIfExpired`) gives up on the chunked read and lists again; the restarted list is
paged too (one expiry is a slow consumer, not a reason to hold everything at once), and
only a second expiry of the same read falls back to one unpaged list, client-go's last
resort, so a read always ends. A 410 on the first page (no continue token yet) is not an
expiry of ours and is raised (`Gone`).

Each page is decoded on its own (msgspec, collector paused), into a typed list body: the
List's own metadata and its items, nothing else kept; the bytes of one page are dropped
before the next is read. Peak memory of the read itself is therefore one page (at most
`limit` objects), whatever the size of the collection; what a caller keeps is its choice
(`list_all` keeps every item; `reader._Fetcher` only the desired ones, decoding no other).

Page size: 500 by default (kubectl's `--chunk-size` default, and client-go's pager's),
`KUBEDRIFT_LIST_PAGE_SIZE` to change it; 0 turns paging off (one unpaged LIST).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import ApiResource
from kubedrift.cluster.errors import Gone
from kubedrift.model import ClusterError, InputError
from kubedrift.model.gcpause import gc_paused

PAGE_SIZE = 500
"""kubectl's `--chunk-size` default and client-go's pager's `defaultPageSize`."""
PAGE_SIZE_ENV = "KUBEDRIFT_LIST_PAGE_SIZE"


class _ListMeta(msgspec.Struct):
    resourceVersion: str = ""
    continue_: str = msgspec.field(default="", name="continue")


class _ListBody(msgspec.Struct):
    """A List as the apiserver answers it: only what paging and the caller need."""

    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)
    items: list[dict[str, Any]] | None = None


class _RawListBody(msgspec.Struct):
    """The same, items left undecoded (`msgspec.Raw`: a slice of the page's bytes)."""

    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)
    items: list[msgspec.Raw] | None = None


_decoder = msgspec.json.Decoder(_ListBody)
_raw_decoder = msgspec.json.Decoder(_RawListBody)


@dataclass(frozen=True, slots=True)
class ListPage:
    """One chunk of a LIST.

    `restarted`: the read began again with this page (an expired continue token): whatever
    the caller kept from the earlier pages of this read belongs to an older snapshot and
    must be dropped. `items` are dicts, or `msgspec.Raw` for `raw=True` reads."""

    items: list[Any]
    resource_version: str
    restarted: bool = False


def page_size_from_env(environ: Mapping[str, str] = os.environ) -> int:
    """`KUBEDRIFT_LIST_PAGE_SIZE` (a whole number ≥ 0), else `PAGE_SIZE`."""
    text = environ.get(PAGE_SIZE_ENV, "").strip()
    if not text:
        return PAGE_SIZE
    if not text.isdigit():
        raise InputError(
            f"must be a whole number of objects per LIST page (0: no paging), not {text!r}",
            where=PAGE_SIZE_ENV,
        )
    return int(text)


async def list_pages(
    conn: Connection,
    resource: ApiResource,
    *,
    namespace: str | None = None,
    label_selector: str | None = None,
    field_selector: str | None = None,
    page_size: int | None = None,
    restart_expired: bool = True,
    raw: bool = False,
) -> AsyncGenerator[ListPage, None]:
    """The collection, page by page; a 404 (kind not served) is one empty page.

    `restart_expired=False` raises `Gone` on an expired continue token instead of
    restarting (the informer relists on its own). Items get apiVersion and kind, which
    LIST items lack (decoded items only; raw ones are the caller's to decode).
    """
    size = page_size_from_env() if page_size is None else page_size
    base: dict[str, str] = {}
    if label_selector:
        base["labelSelector"] = label_selector
    if field_selector:
        base["fieldSelector"] = field_selector
    path, what = resource.path(namespace), f"list {resource.plural}"
    params = {**base, "limit": str(size)} if size > 0 else dict(base)
    expiries, restarted = 0, False
    while True:
        try:
            data = await conn.get_bytes(path, params, what=what)
        except Gone:
            if "continue" not in params or not restart_expired:
                raise
            expiries += 1
            # first expiry: the same paged read again; second: client-go's last resort
            params = dict(base) if expiries > 1 else {**base, "limit": str(size)}
            restarted = True
            continue
        page = _page(data, resource, what, raw=raw, restarted=restarted)
        restarted = False
        yield page.page
        if not page.token:
            return
        params["continue"] = page.token


@dataclass(frozen=True, slots=True)
class _Decoded:
    page: ListPage
    token: str


def _page(
    data: bytes | None, resource: ApiResource, what: str, *, raw: bool, restarted: bool
) -> _Decoded:
    if data is None:
        return _Decoded(ListPage([], "", restarted), "")
    try:
        with gc_paused():
            body = (_raw_decoder if raw else _decoder).decode(data)
    except msgspec.DecodeError as err:
        raise ClusterError(f"invalid List from the API server: {err}", where=what) from None
    items: list[Any] = body.items or []
    if not raw:
        for item in items:  # LIST items lack these; watch events and GETs carry them
            item.setdefault("apiVersion", resource.api_version)
            item.setdefault("kind", resource.kind)
    meta = body.metadata
    return _Decoded(ListPage(items, meta.resourceVersion, restarted), meta.continue_)


async def list_all(
    conn: Connection,
    resource: ApiResource,
    *,
    namespace: str | None = None,
    label_selector: str | None = None,
    field_selector: str | None = None,
    page_size: int | None = None,
) -> list[dict[str, Any]]:
    """Every object of one consistent LIST (restarted whole after an expired token)."""
    out: list[dict[str, Any]] = []
    pages = list_pages(
        conn,
        resource,
        namespace=namespace,
        label_selector=label_selector,
        field_selector=field_selector,
        page_size=page_size,
    )
    async with contextlib.aclosing(pages):
        async for page in pages:
            if page.restarted:
                out.clear()
            out += page.items
    return out

"""The informer: a resilient list+watch of one collection, as a stream of `Change`s.

It LISTs the collection (in pages), then WATCHes from the list's resourceVersion with
bookmarks on, remembering the latest resourceVersion of every event. How it meets each
failure:

- the server ends the stream (`timeoutSeconds`): re-watch from the last resourceVersion,
  no relist, no delay;
- `410 Gone` (an ERROR event carrying a 410 Status, or HTTP 410 on a watch or on a list's
  `continue`): relist and diff the list against what it last knew, emitting synthetic
  ADDED / MODIFIED / DELETED so a consumer converges on the live state — this is why an
  apiserver stopped and restarted mid-watch loses no change made meanwhile;
- any other `ClusterError` (connection refused or reset, 5xx while the apiserver starts):
  wait with exponential backoff and jitter, then re-watch from the last resourceVersion
  (a 410 there turns into a relist). `restarts` counts these and the 410s.

Per object it keeps only `(resourceVersion, hash(fingerprint(obj)))`, never the object, so
memory stays bounded; consumers keep their own projections. A MODIFIED whose fingerprint
did not change (status-only churn, by default) is not emitted.

Garbage collection: the informer makes no long-lived per-event structures beyond its small
`known` table, and list pages are decoded with the collector paused (`connection.decode`).
A caller holding many projections should call `gc.freeze()` once `synced` is set (and again
after a relist), so full collections do not walk its long-lived cache and stall the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

import msgspec

from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import ApiResource
from kubedrift.cluster.errors import Gone, status_error
from kubedrift.cluster.pager import list_pages
from kubedrift.cluster.watch import EventType, WatchEvent, watch
from kubedrift.model import ClusterError
from kubedrift.model.backoff import Backoff

Key = tuple[str, str]
"""(namespace, name); the namespace is "" for cluster-scoped objects."""
Fingerprint = Callable[[Mapping[str, Any]], Hashable]

_STRIPPED_METADATA = ("resourceVersion", "managedFields", "generation")


class ChangeType(enum.Enum):
    """What happened to an object, from a consumer's point of view."""

    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class Change:
    """One change. For a DELETED found by a relist, `obj` holds only apiVersion, kind and
    metadata name/namespace: the informer does not keep deleted objects."""

    type: ChangeType
    key: Key
    obj: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a LIST: its items and the list's resourceVersion."""

    items: list[dict[str, Any]]
    resource_version: str


@dataclass(frozen=True, slots=True)
class InformerOptions:
    """How an informer talks to the server; the defaults suit a long-running watcher."""

    timeout_seconds: int = 300
    """Asked of the server per watch stream; when it ends, the informer re-watches."""
    page_size: int | None = None
    """Objects per LIST page; None: `cluster.pager`'s (500, or `KUBEDRIFT_LIST_PAGE_SIZE`)."""
    backoff_initial: float = 0.2
    backoff_cap: float = 10.0
    queue_size: int = 1024
    """Changes buffered for a slow consumer before the informer waits for it."""


class Source(Protocol):
    """Where an informer's lists and watches come from (the seam fakes plug into)."""

    resource: ApiResource

    def list_pages(self) -> AsyncGenerator[Page, None]:
        """The collection, page by page (a consistent snapshot)."""

    def watch(self, resource_version: str) -> AsyncGenerator[WatchEvent, None]:
        """Events after `resource_version`, until the server ends the stream."""


class ApiSource:
    """A collection on a real API server, optionally in a namespace and by label selector."""

    def __init__(
        self,
        conn: Connection,
        resource: ApiResource,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        options: InformerOptions = InformerOptions(),
    ) -> None:
        self.conn = conn
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.options = options

    async def list_pages(self) -> AsyncGenerator[Page, None]:
        """Follow `continue` tokens (`cluster.pager`: one page decoded at a time); every page
        carries the snapshot's resourceVersion. Items get apiVersion and kind filled in, as
        watch events have them.

        An expired continue token raises `Gone` rather than restarting inside the pager:
        the informer's relist is that restart, and it also tells DELETED from what the
        fresh list no longer holds (client-go's reflector relists the same way).
        """
        pages = list_pages(
            self.conn,
            self.resource,
            namespace=self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            page_size=self.options.page_size,
            restart_expired=False,
        )
        async with contextlib.aclosing(pages):
            async for page in pages:
                yield Page(page.items, page.resource_version)

    def watch(self, resource_version: str) -> AsyncGenerator[WatchEvent, None]:
        """A single watch stream with bookmarks, from `resource_version`."""
        # `watch` is an async generator, annotated as an iterator; the informer closes it.
        stream = watch(
            self.conn,
            self.resource,
            namespace=self.namespace,
            resource_version=resource_version,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            timeout_seconds=self.options.timeout_seconds,
            bookmarks=True,
        )
        return cast(AsyncGenerator[WatchEvent, None], stream)


_encoder = msgspec.json.Encoder(order="sorted")


def default_fingerprint(obj: Mapping[str, Any]) -> Hashable:
    """The object without `status` and the metadata every write bumps.

    Drops `status`, `metadata.resourceVersion`, `.managedFields` and `.generation`, so a
    status-only update is not a change. Not for Nodes, whose status holds the facts drift
    cares about: use `node_fingerprint` (or your own projection) there.
    """
    top = {k: v for k, v in obj.items() if k != "status"}
    meta = top.get("metadata")
    if isinstance(meta, Mapping):
        top["metadata"] = {k: v for k, v in meta.items() if k not in _STRIPPED_METADATA}
    return _encoder.encode(top)


def node_fingerprint(obj: Mapping[str, Any]) -> Hashable:
    """`default_fingerprint` plus the Node status facts that matter, without heartbeats.

    Keeps capacity, allocatable, nodeInfo and each condition's (type, status); drops
    condition timestamps and messages, images and addresses, which churn on their own.
    """
    status = obj.get("status") or {}
    conditions = sorted(
        (str(c.get("type")), str(c.get("status"))) for c in status.get("conditions") or []
    )
    facts = (
        status.get("capacity"),
        status.get("allocatable"),
        status.get("nodeInfo"),
        conditions,
    )
    return (default_fingerprint(obj), _encoder.encode(facts))


class _Marker(enum.Enum):
    SYNCED = "synced"
    END = "end"


_Item = Change | _Marker | BaseException


class Informer:
    """List+watch of one `Source`; read it with `async for change in informer.changes()`.

    The informer runs as one task, started by the first `changes()` call; it stops when the
    consumer leaves that loop, or on `await informer.aclose()` (or `async with` exit).
    `synced` is set as the consumer receives the last change of the initial list (for an
    empty list, once that is read), so a change arriving with `synced` set means the
    consumer has seen the whole collection. `resource_version`, `restarts` (watch restarts
    after an error or a 410), `relists` and `last_error` are public, for metrics.
    """

    def __init__(
        self,
        source: Source,
        *,
        fingerprint: Fingerprint = default_fingerprint,
        options: InformerOptions = InformerOptions(),
    ) -> None:
        self.source = source
        self.fingerprint = fingerprint
        self.options = options
        self.resource_version: str | None = None
        self.restarts = 0
        self.restart_reasons: dict[str, int] = {}
        """Restarts by reason: `expired` (410 Gone: relisted), `error` (anything else)."""
        self.relists = 0
        self.last_error: ClusterError | None = None
        self.synced = asyncio.Event()
        self._known: dict[Key, _Seen] = {}
        self._backoff = Backoff(options.backoff_initial, options.backoff_cap)
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(options.queue_size)
        self._emitted = 0
        self._initial: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def __len__(self) -> int:
        """How many objects the informer currently knows."""
        return len(self._known)

    async def __aenter__(self) -> Informer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def changes(self) -> AsyncIterator[Change]:
        """Every change, starting with one ADDED per object of the initial list."""
        if self._task is not None or self._closed:
            raise RuntimeError("Informer.changes() can be iterated only once")
        self._task = asyncio.create_task(self._run(), name=f"informer {self._what}")
        try:
            async for change in self._delivered():
                yield change
        finally:  # the consumer left its loop (break, error, cancel): stop watching
            await self.aclose()

    async def _delivered(self) -> AsyncIterator[Change]:
        delivered = 0
        while True:
            item = await self._queue.get()
            if isinstance(item, Change):
                delivered += 1
                if self._initial is not None and delivered >= self._initial:
                    self.synced.set()  # already when the last initial change arrives
                yield item
            elif item is _Marker.SYNCED:
                self.synced.set()
            elif item is _Marker.END:
                return
            else:
                raise item

    async def aclose(self) -> None:
        """Stop watching; a consumer waiting in `changes()` finishes its loop."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_Marker.END)

    @property
    def _what(self) -> str:
        return self.source.resource.plural

    # -- the loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._loop()
        except Exception as err:  # a bug, not a cluster failure: hand it to the consumer
            await self._queue.put(err)

    async def _loop(self) -> None:
        need_list = True
        while True:
            fresh = False
            try:
                if need_list:
                    await self._relist()
                    need_list, fresh = False, True
                await self._watch(self.resource_version or "")
            except ClusterError as err:
                gone = isinstance(err, Gone)
                self.restarts += 1
                reason = "expired" if gone else "error"
                self.restart_reasons[reason] = self.restart_reasons.get(reason, 0) + 1
                if not gone:
                    self.last_error = err
                need_list = need_list or gone
                # a 410 right after a fresh list would relist in a tight loop: wait then too
                if not gone or fresh:
                    await asyncio.sleep(self._backoff.next_delay())

    async def _relist(self) -> None:
        seen: set[Key] = set()
        resource_version = ""
        async with contextlib.aclosing(self.source.list_pages()) as pages:
            async for page in pages:
                for obj in page.items:
                    seen.add(_key(obj))
                    await self._apply(obj)
                resource_version = page.resource_version
        self._backoff.reset()
        for key in [k for k in self._known if k not in seen]:
            del self._known[key]
            await self._emit(Change(ChangeType.DELETED, key, self._tombstone(key)))
        self.resource_version = resource_version
        self.relists += 1
        if self._initial is None:
            self._initial = self._emitted
            await self._queue.put(_Marker.SYNCED)

    async def _emit(self, change: Change) -> None:
        self._emitted += 1
        await self._queue.put(change)

    async def _watch(self, resource_version: str) -> None:
        async with contextlib.aclosing(self.source.watch(resource_version)) as events:
            async for event in events:
                self._backoff.reset()
                if event.type is EventType.ERROR:
                    raise status_error(event.obj, self._what)
                if event.type is EventType.DELETED:
                    await self._forget(event.obj)
                elif event.type is not EventType.BOOKMARK:
                    await self._apply(event.obj)
                self.resource_version = event.resource_version or self.resource_version

    async def _apply(self, obj: dict[str, Any]) -> None:
        key, rv = _key(obj), _resource_version(obj)
        previous = self._known.get(key)
        if previous is not None and _rv_of(previous) == rv:
            return
        fingerprint = hash(self.fingerprint(obj)) & _FP_MASK
        self._known[key] = _seen(rv, fingerprint)
        if previous is None:
            await self._emit(Change(ChangeType.ADDED, key, obj))
        elif _fingerprint_of(previous) != fingerprint:
            await self._emit(Change(ChangeType.MODIFIED, key, obj))

    async def _forget(self, obj: dict[str, Any]) -> None:
        key = _key(obj)
        if self._known.pop(key, None) is not None:
            await self._emit(Change(ChangeType.DELETED, key, obj))

    def _tombstone(self, key: Key) -> dict[str, Any]:
        namespace, name = key
        meta = {"name": name, "namespace": namespace} if namespace else {"name": name}
        resource = self.source.resource
        return {"apiVersion": resource.api_version, "kind": resource.kind, "metadata": meta}


def _key(obj: Mapping[str, Any]) -> Key:
    """(namespace, name), interned: a namespace is shared by all its objects, and a name by
    whoever else keys the object (the watcher's desired state), instead of a copy per
    decoded event held for the informer's lifetime."""
    meta = obj.get("metadata") or {}
    return (sys.intern(str(meta.get("namespace") or "")), sys.intern(str(meta.get("name") or "")))


_FP_BITS = 64
_FP_MASK = (1 << _FP_BITS) - 1
_Seen = int | tuple[str, int]
"""What the informer keeps of an object: its resourceVersion and fingerprint hash, as one
int (rv << 64 | hash: ~36 bytes) when the rv is numeric, as etcd's are; else a pair (~120
bytes with its members). At 50,000 objects the pair cost 4 MB more than the int."""


def _seen(rv: int | str, fingerprint: int) -> _Seen:
    return (rv << _FP_BITS) | fingerprint if isinstance(rv, int) else (rv, fingerprint)


def _rv_of(seen: _Seen) -> int | str:
    return seen >> _FP_BITS if isinstance(seen, int) else seen[0]


def _fingerprint_of(seen: _Seen) -> int:
    return seen & _FP_MASK if isinstance(seen, int) else seen[1]


def _resource_version(obj: Mapping[str, Any]) -> int | str:
    """The object's resourceVersion, as an int when it is one (etcd's are: 28 bytes, not a
    ~60-byte str per object); opaque otherwise, as the API says it is. Only ever compared
    for equality with the same object's earlier one."""
    rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
    return int(rv) if rv.isdigit() and len(rv) < 19 else rv

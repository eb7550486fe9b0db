"""Register raw objects (a simulated fleet, a snapshot) on a live API server, as a node simulator.

The API server drops `status` on create, and live controllers react to what appears, so
objects go in waves:

1. Namespaces; 2. cluster-scoped objects (Nodes), each followed by a `status` write through
   the status subresource; 3. namespaced objects that own nothing and are owned by nothing
   in the batch (PVCs, ConfigMaps, …);
4. owned objects leaves first: Pods, then ReplicaSets, then Deployments and Jobs. A pod
   controller that finds its pods already there adopts them instead of creating its own
   (a Deployment adopts its ReplicaSet the same way). ownerReferences into the batch are
   left out on create, because the server assigns new uids, and written back with the real
   uids once the owners exist (5.). A Job keeps its recorded selector with
   `manualSelector: true`: its generated selector would name a uid it cannot have here.

Requests run with bounded concurrency. An object that already exists is skipped or
replaced (`OnExists`); an admission race right after a namespace appears (its default
service account or token not created yet) and overload answers are retried with backoff.
lightkube and httpx errors become the typed errors of `cluster.errors` (all `ClusterError`s)
naming the object; what is retried is decided by their type.
"""

from __future__ import annotations

import asyncio
import copy
import enum
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
from lightkube import ApiError as LightkubeApiError
from lightkube import AsyncClient
from lightkube.core import resource as lkr
from lightkube.generic_resource import (
    GenericGlobalResource,
    GenericGlobalStatus,
    GenericNamespacedResource,
    GenericNamespacedStatus,
)
from lightkube.types import PatchType

from kubedrift.cluster.errors import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unavailable,
    lightkube_error,
)
from kubedrift.model import ClusterError, InputError, ObjectRef, ref_of
from kubedrift.model.backoff import Backoff
from kubedrift.model.kube import metadata_of

T = TypeVar("T")


class OnExists(enum.Enum):
    """What to do with an object that already exists on the server."""

    SKIP = "skip"  # leave it as it is (its uid still maps owner references)
    REPLACE = "replace"  # PUT the given object over it, then write its status


@dataclass(frozen=True, slots=True)
class _Kind:
    plural: str
    namespaced: bool
    status: bool  # has a status subresource worth writing


_KINDS: dict[tuple[str, str], _Kind] = {
    ("v1", "Namespace"): _Kind("namespaces", False, False),
    ("v1", "Node"): _Kind("nodes", False, True),
    ("v1", "PersistentVolume"): _Kind("persistentvolumes", False, True),
    ("v1", "Pod"): _Kind("pods", True, True),
    ("v1", "PersistentVolumeClaim"): _Kind("persistentvolumeclaims", True, True),
    ("v1", "ConfigMap"): _Kind("configmaps", True, False),
    ("v1", "Secret"): _Kind("secrets", True, False),
    ("v1", "Service"): _Kind("services", True, False),
    ("v1", "ServiceAccount"): _Kind("serviceaccounts", True, False),
    ("apps/v1", "Deployment"): _Kind("deployments", True, True),
    ("apps/v1", "ReplicaSet"): _Kind("replicasets", True, True),
    ("apps/v1", "StatefulSet"): _Kind("statefulsets", True, True),
    ("apps/v1", "DaemonSet"): _Kind("daemonsets", True, True),
    ("batch/v1", "Job"): _Kind("jobs", True, True),
    ("batch/v1", "CronJob"): _Kind("cronjobs", True, True),
    ("batch/v1beta1", "CronJob"): _Kind("cronjobs", True, True),
    ("scheduling.k8s.io/v1", "PriorityClass"): _Kind("priorityclasses", False, False),
}
_SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "selfLink")
_RETRY_FOR_SECONDS = 60.0


async def register_objects(
    client: AsyncClient,
    objects: Iterable[Mapping[str, Any]],
    *,
    field_manager: str = "kubedrift-simulator",
    on_exists: OnExists = OnExists.SKIP,
    concurrency: int = 16,
) -> None:
    """Create `objects` on the server behind `client`, status included; inputs are not changed.

    Raises `InputError` for an object kubedrift cannot register (unknown kind, no name)
    and `ClusterError` when the server refuses one or cannot be reached.
    """
    batch = _Batch([_Item.of(obj) for obj in objects])
    writer = _Writer(client, field_manager, on_exists, asyncio.Semaphore(concurrency))
    for wave in batch.waves():
        await _all(writer.create(item, batch.uids) for item in wave)
    relink = [i for i in batch.relinked() if i.ref in writer.written]
    await _all(writer.relink(item, batch.uids) for item in relink)


@dataclass(frozen=True, slots=True)
class _Item:
    obj: Mapping[str, Any]
    ref: ObjectRef
    kind: _Kind
    uid: str | None
    owner_uids: tuple[str, ...]

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> _Item:
        ref = ref_of(obj)
        kind = _KINDS.get((ref.api_version, ref.kind))
        if kind is None:
            raise InputError(f"cannot register kind {ref.api_version}/{ref.kind}", where=str(ref))
        if not ref.name or (kind.namespaced and not ref.namespace):
            raise InputError("object needs a name (and a namespace)", where=str(ref))
        meta = metadata_of(obj)
        owners = tuple(str(r.get("uid")) for r in meta.get("ownerReferences") or ())
        return cls(obj, ref, kind, meta.get("uid"), owners)


class _Batch:
    """The objects to register, ordered into waves by ownership."""

    def __init__(self, items: list[_Item]) -> None:
        self.items = items
        self.by_uid = {i.uid: i for i in items if i.uid}
        self.uids = frozenset(self.by_uid)
        self.owners = {u for i in items for u in i.owner_uids if u in self.by_uid}

    def depth(self, item: _Item, seen: frozenset[str] = frozenset()) -> int:
        parents = [self.by_uid[u] for u in item.owner_uids if u in self.by_uid and u not in seen]
        if not parents:
            return 0
        return 1 + max(self.depth(p, seen | {item.uid or ""}) for p in parents)

    def waves(self) -> list[list[_Item]]:
        namespaces = [i for i in self.items if i.ref.kind == "Namespace"]
        cluster = [i for i in self.items if not i.kind.namespaced and i.ref.kind != "Namespace"]
        namespaced = [i for i in self.items if i.kind.namespaced]
        linked = [i for i in namespaced if i.uid in self.owners or self._owned(i)]
        standalone = [i for i in namespaced if not (i.uid in self.owners or self._owned(i))]
        depths = {id(i): self.depth(i) for i in linked}
        by_depth = sorted({depths[id(i)] for i in linked}, reverse=True)
        leaves_first = [[i for i in linked if depths[id(i)] == d] for d in by_depth]
        return [w for w in (namespaces, cluster, standalone, *leaves_first) if w]

    def relinked(self) -> list[_Item]:
        return [i for i in self.items if self._owned(i)]

    def _owned(self, item: _Item) -> bool:
        return any(u in self.by_uid for u in item.owner_uids)


class _Writer:
    """Sends one object's requests; remembers the uid the server gave each object."""

    def __init__(
        self,
        client: AsyncClient,
        field_manager: str,
        on_exists: OnExists,
        limit: asyncio.Semaphore,
    ) -> None:
        self.client = client
        self.field_manager = field_manager
        self.on_exists = on_exists
        self.limit = limit
        self.server_uids: dict[str, str] = {}
        self.written: set[ObjectRef] = set()  # created or replaced, not skipped

    async def create(self, item: _Item, batch_uids: frozenset[str]) -> None:
        body = _create_body(item, batch_uids)
        res = _resource(item)
        try:
            created = await self._call(
                item,
                "create",
                lambda: self.client.create(res(body), field_manager=self.field_manager),
                conflict=lambda err: self._conflict(item, res, err),
            )
        except _AlreadyExists:
            created = await self._existing(item, res, body)
            if created is None:
                return
        self._remember(item, created)
        self.written.add(item.ref)
        await self._restore_taints(item, created)
        await self._write_status(item)

    async def _existing(self, item: _Item, res: type[Any], body: dict[str, Any]) -> Any:
        """The object already there: remember its uid; replace it or leave it."""
        ns = item.ref.namespace
        current = await self._call(
            item, "get", lambda: self.client.get(res, item.ref.name, namespace=ns)
        )
        self._remember(item, current)
        if self.on_exists is OnExists.SKIP:
            return None
        body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        return await self._call(
            item,
            "replace",
            lambda: self.client.replace(res(body), field_manager=self.field_manager),
        )

    async def _conflict(self, item: _Item, res: type[Any], err: ApiError) -> bool:
        """Whether a failed create means "already exists".

        For an object with `generateName` the API server answers a name conflict with
        500 ServerTimeout ("please try again", meant to make clients draw a new name),
        not 409, so that answer is checked with a GET.
        """
        if isinstance(err, Conflict):
            return True
        if err.reason != "ServerTimeout" or not item.obj["metadata"].get("generateName"):
            return False
        try:
            async with self.limit:
                await self.client.get(res, item.ref.name, namespace=item.ref.namespace)
        except LightkubeApiError as probe:
            typed = lightkube_error(probe, where=str(item.ref))
            if isinstance(typed, NotFound):
                return False
            raise _refused(item, "get", typed) from probe
        return True

    async def _restore_taints(self, item: _Item, created: Any) -> None:
        """Give a Node back the taints it was registered with.

        On create, admission (TaintNodesByCondition) adds `node.kubernetes.io/not-ready`,
        which the node lifecycle controller lifts once the kubelet reports Ready. There is
        no kubelet here and the registered status already says Ready, so lift it now.
        """
        if item.ref.kind != "Node":
            return
        wanted = (item.obj.get("spec") or {}).get("taints") or []
        if ((created.get("spec") or {}).get("taints") or []) == wanted:
            return
        patch = {"spec": {"taints": copy.deepcopy(list(wanted)) or None}}
        await self._call(
            item,
            "restore taints of",
            lambda: self.client.patch(
                _resource(item),
                item.ref.name,
                patch,
                patch_type=PatchType.MERGE,
                field_manager=self.field_manager,
            ),
        )

    def _remember(self, item: _Item, server_obj: Any) -> None:
        if item.uid:
            self.server_uids[item.uid] = str(server_obj["metadata"]["uid"])

    async def _write_status(self, item: _Item) -> None:
        status = item.obj.get("status")
        if not item.kind.status or not status:
            return
        res = _resource(item).Status
        patch = {"status": copy.deepcopy(dict(status))}
        await self._call(
            item,
            "write status of",
            lambda: self.client.patch(
                res,
                item.ref.name,
                patch,
                namespace=item.ref.namespace,
                patch_type=PatchType.MERGE,
                field_manager=self.field_manager,
            ),
        )

    async def relink(self, item: _Item, batch_uids: frozenset[str]) -> None:
        """Point ownerReferences at the owners' server uids (controllers may already have)."""
        refs = copy.deepcopy(list(item.obj["metadata"]["ownerReferences"]))
        for ref in refs:
            if ref.get("uid") in batch_uids:
                if ref["uid"] not in self.server_uids:
                    return  # the owner was not registered: leave the object unowned
                ref["uid"] = self.server_uids[ref["uid"]]
        patch = {"metadata": {"ownerReferences": refs}}
        await self._call(
            item,
            "link owners of",
            lambda: self.client.patch(
                _resource(item),
                item.ref.name,
                patch,
                namespace=item.ref.namespace,
                patch_type=PatchType.MERGE,
                field_manager=self.field_manager,
            ),
        )

    async def _call(
        self,
        item: _Item,
        verb: str,
        request: Callable[[], Awaitable[T]],
        *,
        conflict: Callable[[ApiError], Awaitable[bool]] | None = None,
    ) -> T:
        """One request under the concurrency limit, retried while the answer is transient.

        When `conflict` says an error means the object exists, `_AlreadyExists` is raised.
        """
        backoff, waited = Backoff(0.1, 2.0), 0.0
        while True:
            try:
                async with self.limit:
                    return await request()
            except LightkubeApiError as err:
                typed = lightkube_error(err, where=str(item.ref))
                if conflict is not None and await conflict(typed):
                    raise _AlreadyExists from err
                if not _transient(typed) or waited >= _RETRY_FOR_SECONDS:
                    raise _refused(item, verb, typed) from err
            except httpx2.HTTPError as err:
                raise Unavailable(
                    f"cannot {verb} it: API server unreachable ({err})",
                    where=str(item.ref),
                    status=0,
                ) from err
            delay = backoff.next_delay()
            await asyncio.sleep(delay)
            waited += delay


class _AlreadyExists(Exception):
    """The object to create is already on the server."""


def _transient(err: ApiError) -> bool:
    """Overload (429, 5xx), or the admission race right after a namespace appears."""
    if isinstance(err, TooManyRequests | Unavailable):
        return True
    return isinstance(err, Forbidden) and _service_account_pending(err)


def _service_account_pending(err: Forbidden) -> bool:
    # The ServiceAccount admission plugin refuses pods of a namespace whose default
    # ServiceAccount (or, before v1.21, its token Secret) the controller-manager has not
    # created yet. Its 403 has reason `Forbidden` like any RBAC refusal, so only its text
    # tells the two apart ("error looking up service account ns/default").
    message = err.server_message.lower()
    return "service account" in message or "serviceaccount" in message


def _refused(item: _Item, verb: str, err: ApiError) -> ApiError:
    """The same typed error, with the line users have always read."""
    reason = f" {err.reason}" if err.reason else ""
    message = f"server refused to {verb} it: {err.status}{reason}: {err.server_message}"
    return type(err)(message, where=str(item.ref), status=err.status)


def _create_body(item: _Item, batch_uids: frozenset[str]) -> dict[str, Any]:
    """What to POST: no server-set metadata, no status, no owner links into the batch."""
    body = copy.deepcopy(dict(item.obj))
    body.pop("status", None)
    meta = body.setdefault("metadata", {})
    for key in (*_SERVER_FIELDS, "managedFields"):
        meta.pop(key, None)
    refs = [r for r in meta.pop("ownerReferences", None) or () if r.get("uid") not in batch_uids]
    if refs:
        meta["ownerReferences"] = refs
    if item.ref.kind == "Job" and body.get("spec", {}).get("selector"):
        body["spec"]["manualSelector"] = True
    return body


_CLASSES: dict[tuple[str, str], type[Any]] = {}


def _resource(item: _Item) -> type[Any]:
    """A lightkube generic resource class for the item's kind (built once, not registered).

    Built here rather than through `lightkube.generic_resource.create_*_resource`, whose
    process-wide registry refuses a generic class for a kind that a typed lightkube
    resource was registered for elsewhere.
    """
    key = (item.ref.api_version, item.ref.kind)
    cls = _CLASSES.get(key)
    if cls is None:
        cls = _CLASSES[key] = _build_class(item.ref.api_version, item.ref.kind, item.kind)
    return cls


def _build_class(api_version: str, kind: str, info: _Kind) -> type[Any]:
    group, _, version = api_version.rpartition("/")
    definition = lkr.ResourceDef(group, version, kind)
    verbs = ["delete", "get", "list", "patch", "post", "put", "watch"]
    if info.namespaced:
        verbs += ["global_list", "global_watch"]
    api_info = lkr.ApiInfo(resource=definition, plural=info.plural, verbs=verbs)
    status_info = lkr.ApiInfo(
        resource=definition,
        parent=definition,
        plural=info.plural,
        verbs=["get", "patch", "put"],
        action="status",
    )
    base, status_base = (
        (GenericNamespacedResource, GenericNamespacedStatus)
        if info.namespaced
        else (GenericGlobalResource, GenericGlobalStatus)
    )
    status_cls = type(f"{kind}Status", (status_base,), {"_api_info": status_info})
    return type(kind, (base,), {"_api_info": api_info, "Status": status_cls})


async def _all(calls: Iterable[Awaitable[None]]) -> None:
    """Run a wave to the end; raise its first error, counting the others."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if not errors:
        return
    first = errors[0]
    if len(errors) > 1 and isinstance(first, ClusterError):
        first.message += f" (and {len(errors) - 1} more failures)"
    raise first


__all__ = ["OnExists", "register_objects"]

"""Carrying out node actions: cordon + taint + mark in one request, evictions, releases.

**Cordon.** The node is read fresh and one JSON merge patch sets `spec.unschedulable`,
kubedrift's taint and its `kubedrift.io/cordoned-by` mark together (`remediate.nodes.
cordon_patch`), conditional on the `resourceVersion` just read; a 409 (the kubelet or
another writer changed the node) re-reads and retries, `CONFLICT_RETRIES` times.

**Drain.** Pods are evicted through the Eviction subresource, never deleted: the
apiserver then checks every PodDisruptionBudget covering the pod and answers 429 when the
budget allows no disruption now (kubernetes.io/docs/concepts/scheduling-eviction/
api-eviction). The group/version of `Eviction` is read from discovery, as kubectl's
`CheckEvictionSupport` does: the `pods/eviction` entry of `/api/v1` names it
(`policy/v1beta1` on 1.20, `policy/v1` from 1.22). A 429 is retried after `retry_delay`,
up to `attempts` tries, then reported as refused; a server without the subresource gets
no drain at all. Each eviction carries the pod's `uid` as a precondition, so a pod
recreated under the same name since the plan is not evicted (409). kubedrift does not
wait for the evicted pods to terminate (kubectl drain does): the node is cordoned, so
nothing replaces them there.

**Release.** The node is read fresh; kubedrift's taint is removed, and the node is
uncordoned only when its `cordoned-by` mark is still there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kubedrift.cluster.connection import Connection
from kubedrift.cluster.errors import Conflict, NotFound, TooManyRequests
from kubedrift.cluster.rest import MERGE_PATCH, send_json
from kubedrift.model import ClusterError
from kubedrift.remediate.nodes import cordon_patch, release_patch
from kubedrift.remediate.plan import Cordon, Drain, NodeAction, PodNote, Uncordon

CONFLICT_RETRIES = 3


@dataclass(frozen=True, slots=True)
class DrainOptions:
    """How hard to try an eviction a PodDisruptionBudget refuses (HTTP 429)."""

    attempts: int = 3
    retry_delay: float = 5.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


@dataclass(frozen=True, slots=True)
class PodResult:
    """What happened to one eviction: `evicted`, `dry-run`, `gone`, `refused`, `changed`."""

    pod: PodNote
    result: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """`{"pod", "result", "message"}`."""
        return {"pod": str(self.pod.pod), "result": self.result, "message": self.message}


@dataclass(frozen=True, slots=True)
class NodeOutcome:
    """What happened to one node action; `pods` for a drain."""

    action: NodeAction
    result: str
    message: str
    pods: tuple[PodResult, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the node change and every eviction were accepted."""
        return self.result in ("applied", "dry-run", "unchanged")


def _node_path(name: str) -> str:
    return f"/api/v1/nodes/{name}"


async def _patch_node(
    conn: Connection,
    name: str,
    build: Callable[[Mapping[str, Any]], dict[str, Any] | None],
    *,
    dry_run: bool,
) -> str:
    """Read the node, build the patch, send it; 409 re-reads. Returns "unchanged" when
    nothing needed doing, else "applied"/"dry-run". Raises ClusterError."""
    params = {"dryRun": "All"} if dry_run else {}
    for attempt in range(CONFLICT_RETRIES + 1):
        node = await conn.get_json(_node_path(name), what=f"Node/{name}")
        if node is None:
            raise NotFound("not found: the node is gone", where=f"Node/{name}")
        body = build(node)
        if body is None:
            return "unchanged"
        try:
            await send_json(
                conn,
                "PATCH",
                _node_path(name),
                body,
                what=f"Node/{name}",
                content_type=MERGE_PATCH,
                params=params,
            )
        except Conflict:
            if attempt == CONFLICT_RETRIES:
                raise
            continue
        return "dry-run" if dry_run else "applied"
    raise AssertionError("unreachable")


async def eviction_version(conn: Connection) -> str | None:
    """The group/version the apiserver serves `pods/eviction` as, or None."""
    body = await conn.get_json("/api/v1", what="discovery v1") or {}
    for resource in body.get("resources") or ():
        if resource.get("name") == "pods/eviction":
            group, version = resource.get("group") or "policy", resource.get("version") or "v1"
            return f"{group}/{version}"
    return None


async def evict(
    conn: Connection, note: PodNote, version: str, options: DrainOptions, *, dry_run: bool
) -> PodResult:
    """One eviction, retried while a PodDisruptionBudget refuses it (bounded)."""
    ns, name = note.pod.namespace or "default", note.pod.name
    delete_options: dict[str, Any] = {"preconditions": {"uid": note.uid}} if note.uid else {}
    if dry_run:
        delete_options["dryRun"] = ["All"]
    body = {
        "apiVersion": version,
        "kind": "Eviction",
        "metadata": {"name": name, "namespace": ns},
        "deleteOptions": delete_options,
    }
    path = f"/api/v1/namespaces/{ns}/pods/{name}/eviction"
    last = ""
    for attempt in range(max(options.attempts, 1)):
        if attempt:
            await options.sleep(options.retry_delay)
        try:
            await send_json(conn, "POST", path, body, what=str(note.pod))
        except TooManyRequests as err:
            last = err.message
            continue
        except NotFound:
            return PodResult(note, "gone", "the pod no longer exists")
        except Conflict as err:
            return PodResult(note, "changed", f"{err.message}: not the pod the plan saw")
        return PodResult(note, "dry-run" if dry_run else "evicted", "eviction accepted")
    tries = max(options.attempts, 1)
    return PodResult(note, "refused", f"PodDisruptionBudget: {last} (after {tries} tries)")


async def carry_out(
    conn: Connection, action: NodeAction, options: DrainOptions, *, dry_run: bool
) -> NodeOutcome:
    """One node action; refusals become outcomes, not exceptions."""
    name = action.object.name
    try:
        if isinstance(action, Uncordon):
            result = await _patch_node(conn, name, release_patch, dry_run=dry_run)
            return NodeOutcome(action, result, _said(result, "released"))
        rule, why = action.taint, action.finding.message

        def build(node: Mapping[str, Any]) -> dict[str, Any] | None:
            return cordon_patch(node, rule, why)

        result = await _patch_node(conn, name, build, dry_run=dry_run)
    except ClusterError as err:
        kind = "forbidden" if "forbidden" in err.message else "error"
        return NodeOutcome(action, kind, str(err))
    if isinstance(action, Cordon):
        return NodeOutcome(action, result, _said(result, "cordoned and tainted"))
    return await _drain(conn, action, result, options, dry_run=dry_run)


async def _drain(
    conn: Connection, action: Drain, cordoned: str, options: DrainOptions, *, dry_run: bool
) -> NodeOutcome:
    version = await eviction_version(conn)
    if version is None:
        why = "the apiserver serves no pods/eviction; kubedrift never deletes pods instead"
        return NodeOutcome(action, "error", f"cordoned, not drained: {why}")
    pods: list[PodResult] = []
    for note in action.evictions:
        try:
            pods.append(await evict(conn, note, version, options, dry_run=dry_run))
        except ClusterError as err:
            pods.append(PodResult(note, "error", str(err)))
            if "forbidden" in err.message:
                break
    bad = [p for p in pods if p.result not in ("evicted", "dry-run", "gone")]
    if bad:
        text = "; ".join(f"{p.pod.pod}: {p.result} ({p.message})" for p in bad)
        result = "forbidden" if any("forbidden" in p.message for p in bad) else "refused"
        return NodeOutcome(action, result, f"cordoned; not every pod evicted: {text}", tuple(pods))
    done = "dry-run" if dry_run else "applied"
    message = f"{_said(cordoned, 'cordoned and tainted')}; {len(pods)} pods evicted ({version})"
    return NodeOutcome(action, done, message, tuple(pods))


def _said(result: str, verb: str) -> str:
    if result == "unchanged":
        return "nothing to change: the node was already so"
    return f"{verb}{' (server dry run)' if result == 'dry-run' else ''}"

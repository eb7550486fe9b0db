"""The informer: pure list/watch/relist logic over a fake source, then the real apiserver."""

from __future__ import annotations

import asyncio
import contextlib
import random
import subprocess
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lightkube import AsyncClient, KubeConfig
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Namespace, Node
from lightkube.types import PatchType

from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.discovery import ApiResource
from kubedrift.cluster.errors import Unavailable, api_error
from kubedrift.cluster.informer import (
    ApiSource,
    Change,
    ChangeType,
    Informer,
    InformerOptions,
    Page,
    default_fingerprint,
    node_fingerprint,
)
from kubedrift.cluster.watch import EventType, WatchEvent
from kubedrift.model import ClusterError
from kubedrift.model.backoff import Backoff
from support.aio import run as _run
from support.apiserver import ApiServer

CONFIGMAPS = ApiResource("", "v1", "ConfigMap", "configmaps", True)
MINE = "informer=test"  # not kube-root-ca.crt, which the controller-manager adds
NODES = ApiResource("", "v1", "Node", "nodes", False)
FAST = InformerOptions(backoff_initial=0.01, backoff_cap=0.05)


async def _next(changes: AsyncIterator[Change], timeout: float = 20.0) -> Change:
    return await asyncio.wait_for(anext(changes), timeout)


async def _take(changes: AsyncIterator[Change], n: int) -> list[Change]:
    return [await _next(changes) for _ in range(n)]


def _cm(name: str, rv: str, data: str = "x", status: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "ns", "resourceVersion": rv},
        "data": {"k": data},
    }
    if status is not None:
        obj["status"] = {"phase": status}
    return obj


def _status(code: int) -> WatchEvent:
    return WatchEvent(EventType.ERROR, {"kind": "Status", "code": code, "message": "too old"})


# -- pure logic over a fake source ---------------------------------------------------------


class FakeSource:
    """Scripted lists and watches; a script item that is an exception is raised there."""

    resource = CONFIGMAPS

    def __init__(self, lists: list[list[Page] | Exception], watches: list[list[Any]]) -> None:
        self.lists = lists
        self.watches = watches
        self.watched_from: list[str] = []
        self.closed = 0

    async def list_pages(self) -> AsyncGenerator[Page, None]:
        script = self.lists.pop(0)
        if isinstance(script, Exception):
            raise script
        for page in script:
            yield page

    async def watch(self, resource_version: str) -> AsyncGenerator[WatchEvent, None]:
        self.watched_from.append(resource_version)
        try:
            if not self.watches:
                await asyncio.Event().wait()  # an idle stream, until the informer closes
            for item in self.watches.pop(0):
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            self.closed += 1


def test_relist_after_410_event_emits_synthetic_changes() -> None:
    source = FakeSource(
        lists=[
            [Page([_cm("a", "1"), _cm("b", "2")], "5"), Page([_cm("c", "3")], "5")],
            [Page([_cm("a", "1"), _cm("b", "9", "changed"), _cm("d", "10")], "12")],
        ],
        watches=[[_status(410)]],
    )

    async def go() -> None:
        async with Informer(source) as informer:
            changes = informer.changes()
            first = await _take(changes, 3)
            assert [(c.type, c.key) for c in first] == [
                (ChangeType.ADDED, ("ns", "a")),
                (ChangeType.ADDED, ("ns", "b")),
                (ChangeType.ADDED, ("ns", "c")),
            ]
            after = await _take(changes, 3)
            assert [(c.type, c.key[1]) for c in after] == [
                (ChangeType.MODIFIED, "b"),
                (ChangeType.ADDED, "d"),
                (ChangeType.DELETED, "c"),
            ]
            assert informer.synced.is_set()
            assert after[2].obj == {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "ns"},
            }
            assert (informer.relists, informer.restarts) == (2, 1)
            assert informer.restart_reasons == {"expired": 1}
            assert informer.last_error is None  # a 410 is routine, not an error
            assert informer.resource_version == "12"
            assert source.watched_from == ["5", "12"]
            assert len(informer) == 3

    _run(go())


def test_http_410_on_watch_relists() -> None:
    source = FakeSource(
        lists=[[Page([_cm("a", "1")], "1")], [Page([], "7")]],
        watches=[[api_error(410, "too old resource version", where="watch")]],
    )

    async def go() -> None:
        async with Informer(source, options=FAST) as informer:
            changes = informer.changes()
            assert (await _next(changes)).type is ChangeType.ADDED
            deleted = await _next(changes)
            assert (deleted.type, deleted.key) == (ChangeType.DELETED, ("ns", "a"))
            assert informer.relists == 2
            assert informer.restart_reasons == {"expired": 1}

    _run(go())


def test_transport_error_rewatches_from_last_version_without_relist() -> None:
    events = [
        WatchEvent(EventType.MODIFIED, _cm("a", "4", "y")),
        WatchEvent(EventType.BOOKMARK, {"metadata": {"resourceVersion": "8"}}),
        ClusterError("cannot reach the API server: connection reset", where="x"),
    ]
    source = FakeSource(
        lists=[[Page([_cm("a", "1")], "3")]],
        watches=[events, [WatchEvent(EventType.DELETED, _cm("a", "9"))]],
    )

    async def go() -> None:
        async with Informer(source, options=FAST) as informer:
            changes = informer.changes()
            kinds = [c.type for c in await _take(changes, 3)]
            assert kinds == [ChangeType.ADDED, ChangeType.MODIFIED, ChangeType.DELETED]
            assert source.watched_from[:3] == ["3", "8", "9"]
            assert (informer.relists, informer.restarts) == (1, 1)
            assert informer.last_error is not None

    _run(go())


def test_status_only_and_repeated_versions_are_not_emitted() -> None:
    source = FakeSource(
        lists=[[Page([_cm("a", "1", status="Pending")], "1")]],
        watches=[
            [
                WatchEvent(EventType.MODIFIED, _cm("a", "2", status="Running")),
                WatchEvent(EventType.ADDED, _cm("a", "2", status="Running")),
                WatchEvent(EventType.MODIFIED, _cm("a", "3", "new", status="Running")),
            ]
        ],
    )

    async def go() -> None:
        async with Informer(source) as informer:
            changes = informer.changes()
            await _next(changes)
            change = await _next(changes)
            assert change.type is ChangeType.MODIFIED
            assert change.obj["metadata"]["resourceVersion"] == "3"

    _run(go())


def test_other_watch_errors_back_off_and_410_right_after_a_list_waits_too() -> None:
    source = FakeSource(
        lists=[[Page([_cm("a", "1")], "1")], [Page([_cm("a", "1")], "2")]],
        watches=[[_status(500)], [_status(410)], [WatchEvent(EventType.DELETED, _cm("a", "3"))]],
    )

    async def go() -> None:
        async with Informer(source, options=FAST) as informer:
            changes = informer.changes()
            assert (await _next(changes)).type is ChangeType.ADDED
            assert (await _next(changes)).type is ChangeType.DELETED
            assert source.watched_from[:3] == ["1", "1", "2"]
            assert (informer.relists, informer.restarts) == (2, 2)
            assert informer.restart_reasons == {"error": 1, "expired": 1}
            assert isinstance(informer.last_error, Unavailable)
            assert "watch error 500" in str(informer.last_error)

    _run(go())


def test_list_failure_backs_off_and_retries() -> None:
    down = ClusterError("cannot reach the API server: refused", where="x")
    source = FakeSource(lists=[down, down, [Page([_cm("a", "1")], "1")]], watches=[])

    async def go() -> None:
        async with Informer(source, options=FAST) as informer:
            assert (await _next(informer.changes())).key == ("ns", "a")
            assert informer.restarts == 2

    _run(go())


def test_aclose_ends_a_waiting_consumer_and_closes_the_stream() -> None:
    source = FakeSource(lists=[[Page([], "1")]], watches=[])

    async def go() -> None:
        informer = Informer(source)
        seen: list[Change] = []

        async def consume() -> None:
            seen.extend([c async for c in informer.changes()])

        consumer = asyncio.create_task(consume())
        await asyncio.wait_for(informer.synced.wait(), 5)
        await informer.aclose()
        await asyncio.wait_for(consumer, 5)
        assert seen == []
        assert source.closed == 1

    _run(go())


def test_leaving_the_loop_stops_the_informer() -> None:
    source = FakeSource(lists=[[Page([_cm("a", "1"), _cm("b", "1")], "1")]], watches=[])

    async def go() -> None:
        informer = Informer(source)
        stream = informer.changes()
        assert isinstance(stream, AsyncGenerator)  # an async generator, so it can be closed
        async with contextlib.aclosing(stream) as changes:
            async for _ in changes:
                break
        assert informer.synced.is_set() is False
        with pytest.raises(RuntimeError, match="once"):
            await anext(informer.changes())

    _run(go())


def test_a_bug_in_the_loop_reaches_the_consumer() -> None:
    source = FakeSource(lists=[ValueError("not a cluster error")], watches=[])

    async def go() -> None:
        async with Informer(source) as informer:
            with pytest.raises(ValueError, match="not a cluster error"):
                await _next(informer.changes())

    _run(go())


def test_default_fingerprint_ignores_status_and_write_metadata() -> None:
    a = _cm("a", "1", status="x")
    a["metadata"].update(generation=1, managedFields=[{"manager": "m"}])
    b = _cm("a", "2", status="y")
    assert default_fingerprint(a) == default_fingerprint(b)
    assert default_fingerprint(a) != default_fingerprint(_cm("a", "1", "other"))
    node: dict[str, Any] = {"metadata": {"name": "n"}, "status": {"capacity": {"cpu": "4"}}}
    beat: dict[str, Any] = {
        "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "t2"}]
    }
    assert node_fingerprint(node) != node_fingerprint({**node, "status": {"capacity": {}}})
    ready = {**node, "status": {**node["status"], **beat}}
    later = {"conditions": [{**beat["conditions"][0], "lastHeartbeatTime": "t3"}]}
    assert node_fingerprint(ready) == node_fingerprint(
        {**ready, "status": {**ready["status"], **later}}
    )


def test_backoff_doubles_to_the_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(0.2, 1.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(5)]
    for delay, nominal in zip(delays, (0.2, 0.4, 0.8, 1.0, 1.0), strict=True):
        assert nominal / 2 <= delay <= nominal
    backoff.reset()
    assert backoff.next_delay() <= 0.2
    with pytest.raises(ValueError, match="initial"):
        Backoff(0, 1)


# -- the real apiserver --------------------------------------------------------------------


def _client(kubeconfig: Path) -> AsyncClient:
    return AsyncClient(config=KubeConfig.from_file(kubeconfig))


def _kubectl(kubeconfig: Path, *args: str) -> None:
    subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args], check=True, capture_output=True
    )


async def _create_cms(kubeconfig: Path, namespace: str, names: list[str]) -> None:
    client = _client(kubeconfig)
    try:
        for name in names:
            meta = ObjectMeta(name=name, namespace=namespace, labels={"informer": "test"})
            await client.create(ConfigMap(metadata=meta, data={"k": name}))
    finally:
        await client.close()


async def _make_namespace(kubeconfig: Path, namespace: str, cms: list[str]) -> None:
    client = _client(kubeconfig)
    try:
        await client.create(Namespace(metadata=ObjectMeta(name=namespace)))
    finally:
        await client.close()
    await _create_cms(kubeconfig, namespace, cms)


class CountingSource(ApiSource):
    """The real source, counting watch streams opened."""

    streams = 0

    def watch(self, resource_version: str) -> AsyncGenerator[WatchEvent, None]:
        self.streams += 1
        return super().watch(resource_version)


def test_list_watch_modify_delete_against_the_apiserver(apiserver: ApiServer) -> None:
    ns, kc = "informer-basic", apiserver.kubeconfig
    _run(_make_namespace(kc, ns, ["cm-0", "cm-1", "cm-2"]))

    async def go() -> None:
        async with (
            Connection(ClusterTarget(kubeconfig=kc)) as conn,
            Informer(ApiSource(conn, CONFIGMAPS, namespace=ns, label_selector=MINE)) as informer,
        ):
            changes = informer.changes()
            added = await _take(changes, 3)
            assert {c.key for c in added} == {(ns, f"cm-{i}") for i in range(3)}
            assert {c.type for c in added} == {ChangeType.ADDED}
            await asyncio.wait_for(informer.synced.wait(), 5)
            await asyncio.to_thread(_kubectl, kc, "-n", ns, "label", "cm", "cm-1", "x=1")
            change = await _next(changes)
            assert (change.type, change.key) == (ChangeType.MODIFIED, (ns, "cm-1"))
            assert change.obj["metadata"]["labels"] == {"informer": "test", "x": "1"}
            await asyncio.to_thread(_kubectl, kc, "-n", ns, "delete", "cm", "cm-2")
            change = await _next(changes)
            assert (change.type, change.key) == (ChangeType.DELETED, (ns, "cm-2"))
            assert informer.resource_version == change.obj["metadata"]["resourceVersion"]

    _run(go())


@pytest.mark.apiserver
def test_node_status_churn_is_filtered_unless_the_fingerprint_keeps_it(
    private_server: ApiServer,
) -> None:
    # the private server runs no controller-manager, whose TTL controller would annotate
    # the Node meanwhile (a real metadata change)
    kc, name, selector = private_server.kubeconfig, "informer-n0", "kubedrift.io/test=informer"

    async def patch(client: AsyncClient, status: dict[str, Any]) -> None:
        await client.patch(Node.Status, name, {"status": status}, patch_type=PatchType.MERGE)

    async def go() -> None:
        client = _client(kc)
        try:
            labels = {"kubedrift.io/test": "informer"}
            await client.create(Node(metadata=ObjectMeta(name=name, labels=labels)))
            async with Connection(ClusterTarget(kubeconfig=kc)) as conn:
                source = ApiSource(conn, NODES, label_selector=selector)
                async with (
                    Informer(source) as plain,
                    Informer(source, fingerprint=node_fingerprint) as facts,
                ):
                    plain_changes, fact_changes = plain.changes(), facts.changes()
                    assert (await _next(plain_changes)).type is ChangeType.ADDED
                    assert (await _next(fact_changes)).type is ChangeType.ADDED
                    await patch(client, {"capacity": {"nvidia.com/gpu": "8"}})
                    change = await _next(fact_changes)
                    assert change.type is ChangeType.MODIFIED
                    assert change.obj["status"]["capacity"] == {"nvidia.com/gpu": "8"}
                    await asyncio.to_thread(_kubectl, kc, "label", "node", name, "pool=h100")
                    change = await _next(plain_changes)  # the status patch was skipped
                    assert change.obj["metadata"]["labels"].get("pool") == "h100", change
                    assert (await _next(fact_changes)).type is ChangeType.MODIFIED
        finally:
            await client.close()

    _run(go())


def test_stream_end_rewatches_without_relisting(apiserver: ApiServer) -> None:
    ns, kc = "informer-timeout", apiserver.kubeconfig
    _run(_make_namespace(kc, ns, ["cm-0"]))

    async def go() -> None:
        async with Connection(ClusterTarget(kubeconfig=kc)) as conn:
            source = CountingSource(
                conn, CONFIGMAPS, namespace=ns, label_selector=MINE, options=_short()
            )
            async with Informer(source) as informer:
                changes = informer.changes()
                await _next(changes)
                await asyncio.sleep(4.5)  # at least one stream of 2 s has ended
                assert source.streams >= 2
                await asyncio.to_thread(_kubectl, kc, "-n", ns, "annotate", "cm", "cm-0", "a=b")
                change = await _next(changes)
                assert (change.type, change.key) == (ChangeType.MODIFIED, (ns, "cm-0"))
                assert (informer.relists, informer.restarts) == (1, 0)

    _run(go())


def _short() -> InformerOptions:
    return InformerOptions(timeout_seconds=2)


# -- apiserver restarts (a private server, so the shared one stays up) -----------------------


@pytest.mark.apiserver
def test_apiserver_restart_loses_no_change(private_server: ApiServer) -> None:
    ns, kc = "informer-restart", private_server.kubeconfig
    _run(_make_namespace(kc, ns, ["a", "b", "c"]))
    options = InformerOptions(backoff_initial=0.5, backoff_cap=2.0)

    async def restart_and_change() -> None:
        port = await asyncio.to_thread(private_server.stop_apiserver)
        await asyncio.to_thread(private_server.start_apiserver, port=port)
        await asyncio.to_thread(_kubectl, kc, "-n", ns, "label", "cm", "a", "x=1")
        await asyncio.to_thread(_kubectl, kc, "-n", ns, "delete", "cm", "b")
        await _create_cms(kc, ns, ["d"])

    async def go() -> None:
        async with Connection(ClusterTarget(kubeconfig=kc, timeout=5)) as conn:
            source = ApiSource(conn, CONFIGMAPS, namespace=ns, label_selector=MINE, options=options)
            async with Informer(source, options=options) as informer:
                changes = informer.changes()
                await _take(changes, 3)
                port = await asyncio.to_thread(private_server.stop_apiserver)
                await _wait_for(lambda: informer.restarts >= 1)
                await asyncio.to_thread(private_server.start_apiserver, port=port)
                await asyncio.to_thread(_kubectl, kc, "-n", ns, "annotate", "cm", "c", "a=1")
                change = await _next(changes, timeout=60)
                assert (change.type, change.key) == (ChangeType.MODIFIED, (ns, "c"))
                before = informer.restarts
                await restart_and_change()
                got = {(c.type, c.key[1]) for c in await _take_with_timeout(changes, 3)}
                assert got == {
                    (ChangeType.MODIFIED, "a"),
                    (ChangeType.DELETED, "b"),
                    (ChangeType.ADDED, "d"),
                }
                assert informer.restarts > before

    _run(go())


async def _take_with_timeout(changes: AsyncIterator[Change], n: int) -> list[Change]:
    return [await _next(changes, timeout=60) for _ in range(n)]


async def _wait_for(condition: Any, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)

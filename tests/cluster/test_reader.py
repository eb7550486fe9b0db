"""kubedrift's cluster layer against the real apiserver: discovery, GET/LIST, paging, watch."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lightkube import AsyncClient, KubeConfig
from lightkube.generic_resource import create_global_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Namespace

from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.discovery import Discovery
from kubedrift.cluster.reader import fetch_desired, list_all
from kubedrift.cluster.watch import EventType, watch
from kubedrift.model import ClusterError, ObjectRef
from support.aio import run as _run
from support.apiserver import ApiServer

Node = create_global_resource("", "v1", "Node", "nodes")


async def _seed(kubeconfig: Path, namespace: str, nodes: int) -> None:
    client = AsyncClient(config=KubeConfig.from_file(kubeconfig))
    try:
        await client.create(Namespace(metadata=ObjectMeta(name=namespace)))
        for i in range(12):
            meta = ObjectMeta(name=f"cm-{i}", namespace=namespace, labels={"i": str(i % 2)})
            await client.create(ConfigMap(metadata=meta, data={"k": str(i)}))
        for i in range(nodes):
            pool = "h100" if i % 3 else "l4"
            labels = {"kubedrift.io/test": namespace, "pool": pool}
            await client.create(Node(metadata=ObjectMeta(name=f"{namespace}-n{i}", labels=labels)))
    finally:
        await client.close()


@pytest.fixture(scope="module")
def seeded(apiserver: ApiServer) -> str:
    namespace = "reader-test"
    _run(_seed(apiserver.kubeconfig, namespace, nodes=30))
    return namespace


def test_discovery_finds_builtin_and_falls_back_to_preferred_version(apiserver: ApiServer) -> None:
    async def go() -> None:
        async with Connection(ClusterTarget(kubeconfig=apiserver.kubeconfig)) as conn:
            disco = Discovery(conn)
            deploy = await disco.resource_for("apps/v1", "Deployment")
            assert deploy is not None
            assert (deploy.plural, deploy.namespaced) == ("deployments", True)
            node = await disco.resource_for("v1", "Node")
            assert node is not None
            assert not node.namespaced
            # extensions/v1beta1 Deployments are gone in 1.20's default config? Either
            # it is served directly or the group's preferred version answers.
            old = await disco.resource_for("apps/v1beta1", "Deployment")
            assert old is not None
            assert old.kind == "Deployment"
            assert await disco.resource_for("example.com/v1", "Widget") is None

    _run(go())


def test_fetch_desired_gets_lists_and_reports_missing(apiserver: ApiServer, seeded: str) -> None:
    few = [ObjectRef("v1", "ConfigMap", seeded, n) for n in ("cm-1", "nope")]
    many = [ObjectRef("v1", "ConfigMap", seeded, f"cm-{i}") for i in range(12)]
    widget = ObjectRef("example.com/v1", "Widget", seeded, "w")

    async def go(refs: list[ObjectRef]) -> Any:
        async with Connection(ClusterTarget(kubeconfig=apiserver.kubeconfig)) as conn:
            return await fetch_desired(conn, refs)

    live = _run(go([*few, widget]))
    assert live.objects[few[0]]["data"] == {"k": "1"}
    assert live.objects[few[0]]["kind"] == "ConfigMap"
    assert live.objects[few[1]] is None
    assert live.unserved == (widget,)
    listed = _run(go(many))  # above the LIST threshold: one paged LIST
    assert all(listed.objects[r]["metadata"]["name"] == r.name for r in many)


def test_list_pages_and_label_selectors(apiserver: ApiServer, seeded: str) -> None:
    async def go(selector: str, page: int) -> list[str]:
        async with Connection(ClusterTarget(kubeconfig=apiserver.kubeconfig)) as conn:
            res = await Discovery(conn).resource_for("v1", "Node")
            assert res is not None
            items = await list_all(conn, res, label_selector=selector, page_size=page)
            return [n["metadata"]["name"] for n in items]

    everything = _run(go(f"kubedrift.io/test={seeded}", 7))
    assert len(everything) == 30
    assert len(set(everything)) == 30
    l4 = _run(go(f"kubedrift.io/test={seeded},pool=l4", 4))
    assert len(l4) == 10


def test_watch_sees_a_label_change(apiserver: ApiServer, seeded: str) -> None:
    async def go() -> dict[str, Any]:
        async with Connection(ClusterTarget(kubeconfig=apiserver.kubeconfig)) as conn:
            res = await Discovery(conn).resource_for("v1", "Node")
            assert res is not None
            first = await conn.get_json(res.path(None, f"{seeded}-n1"))
            assert first is not None
            rv = first["metadata"]["resourceVersion"]
            stream = watch(conn, res, resource_version=rv, timeout_seconds=20)
            patch = asyncio.create_task(_relabel(apiserver.kubeconfig, f"{seeded}-n1"))
            async for event in stream:
                # Other writers may touch the node first: wait for the event with our change.
                labels = event.obj.get("metadata", {}).get("labels", {})
                if event.type is EventType.MODIFIED and labels.get("pool") == "a100":
                    await patch
                    return event.obj
            raise AssertionError("watch ended without the change")

    obj = _run(go())
    assert obj["metadata"]["labels"]["pool"] == "a100"
    assert obj["kind"] == "Node"


async def _relabel(kubeconfig: Path, name: str) -> None:
    await asyncio.sleep(0.3)
    client = AsyncClient(config=KubeConfig.from_file(kubeconfig))
    try:
        await client.patch(Node, name, {"metadata": {"labels": {"pool": "a100"}}})
    finally:
        await client.close()


def test_unreachable_server_is_one_clear_error(tmp_path: Path, apiserver: ApiServer) -> None:
    config = apiserver.kubeconfig.read_text().replace(apiserver.url, "https://127.0.0.1:1")
    path = tmp_path / "kubeconfig"
    path.write_text(config)

    async def go() -> None:
        async with Connection(ClusterTarget(kubeconfig=path)) as conn:
            await conn.get_json("/version")

    with pytest.raises(ClusterError) as err:
        _run(go())
    assert "cannot reach the API server" in str(err.value)
    assert "127.0.0.1:1" in str(err.value)


def test_unknown_context_and_bad_token(tmp_path: Path, apiserver: ApiServer) -> None:
    with pytest.raises(ClusterError, match=r"(?i)kubeconfig: context 'nope' not found"):
        Connection(ClusterTarget(kubeconfig=apiserver.kubeconfig, context="nope"))
    path = apiserver.kubeconfig_for("wrong-token", tmp_path / "kc")

    async def go() -> None:
        async with Connection(ClusterTarget(kubeconfig=path)) as conn:
            await conn.get_json("/api/v1/nodes", what="list nodes")

    with pytest.raises(ClusterError, match="unauthorized"):
        _run(go())

"""Registering a simulated fleet on the real API server, and reading it back with lightkube."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from lightkube import ApiError as LightkubeApiError
from lightkube import AsyncClient, KubeConfig
from lightkube.core.client import LabelSelector
from lightkube.models.meta_v1 import ObjectMeta, Status
from lightkube.resources.apps_v1 import Deployment, ReplicaSet
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import Node, Pod

from kubedrift.cluster.errors import (
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unavailable,
    lightkube_error,
)
from kubedrift.cluster.register import OnExists, _transient, register_objects
from kubedrift.model import ClusterError, InputError
from kubedrift.simulate import (
    DriftKind,
    DriftSpec,
    Fleet,
    WorkloadSpec,
    build_fleet,
    default_fleet_spec,
)
from support.apiserver import ApiServer, free_port

T = TypeVar("T")
H100 = "NVIDIA-H100-80GB-HBM3"
CLUSTER_LABEL = "k8s.io/cloud-provider-aws"  # one value per simulated cluster


def run(apiserver: ApiServer, body: Callable[[AsyncClient], Awaitable[T]]) -> T:
    async def go() -> T:
        client = AsyncClient(config=KubeConfig.from_file(apiserver.kubeconfig))
        try:
            return await body(client)
        finally:
            await client.close()

    return asyncio.run(go())


def simulated(seed: int, prefix: str) -> Fleet:
    spec = default_fleet_spec(20, seed=seed, drift_rate=0)
    drifts = (
        DriftSpec(DriftKind.KERNEL_BUMP, pool="h100-train"),
        DriftSpec(DriftKind.MISSING_GPU_TAINT, pool="l4-infer"),
    )
    workloads = WorkloadSpec(namespace_prefix=prefix)
    return build_fleet(dataclasses.replace(spec, drifts=drifts, workloads=workloads))


def cluster_selector(fleet: Fleet) -> LabelSelector:
    return {CLUSTER_LABEL: fleet.nodes[0]["metadata"]["labels"][CLUSTER_LABEL]}


def meta(node: Node) -> ObjectMeta:
    """The node's metadata: the server always sets it, lightkube's model types it optional."""
    assert node.metadata is not None
    return node.metadata


def name_of(node: Node) -> str:
    name = meta(node).name
    assert name is not None
    return name


def labels_of(node: Node) -> dict[str, str]:
    labels = meta(node).labels
    assert labels is not None
    return labels


@pytest.fixture(scope="module")
def registered(apiserver: ApiServer) -> Fleet:
    fleet = simulated(seed=4242, prefix="reg-")
    run(apiserver, lambda client: register_objects(client, fleet.objects()))
    return fleet


@pytest.mark.apiserver
def test_nodes_list_in_pages_with_status(apiserver: ApiServer, registered: Fleet) -> None:
    async def read(client: AsyncClient) -> list[Node]:
        return [
            n async for n in client.list(Node, chunk_size=7, labels=cluster_selector(registered))
        ]

    nodes = {name_of(n): n for n in run(apiserver, read)}
    assert set(nodes) == {n["metadata"]["name"] for n in registered.nodes}
    for want in registered.nodes:
        got = nodes[want["metadata"]["name"]]
        info, status = want["status"]["nodeInfo"], got.status
        assert status is not None
        assert status.nodeInfo is not None
        assert status.conditions is not None
        assert status.nodeInfo.kernelVersion == info["kernelVersion"]
        assert status.nodeInfo.bootID == info["bootID"]
        assert status.nodeInfo.osImage == info["osImage"]
        assert status.capacity == want["status"]["capacity"]
        assert status.allocatable == want["status"]["allocatable"]
        assert [c.type for c in status.conditions] == [
            c["type"] for c in want["status"]["conditions"]
        ]
        assert meta(got).labels == want["metadata"]["labels"]


@pytest.mark.apiserver
def test_drifted_node_is_visible_on_the_server(apiserver: ApiServer, registered: Fleet) -> None:
    kernel = next(d for d in registered.injected if d.kind is DriftKind.KERNEL_BUMP)
    taint = next(d for d in registered.injected if d.kind is DriftKind.MISSING_GPU_TAINT)

    async def read(client: AsyncClient) -> tuple[Node, Node]:
        return await client.get(Node, kernel.node), await client.get(Node, taint.node)

    bumped, untainted = run(apiserver, read)
    assert bumped.status is not None
    assert bumped.status.nodeInfo is not None
    assert bumped.status.nodeInfo.kernelVersion == kernel.actual
    assert untainted.spec is not None
    assert not untainted.spec.taints


@pytest.mark.apiserver
def test_label_selector_finds_a_gpu_model(apiserver: ApiServer, registered: Fleet) -> None:
    selector: LabelSelector = {**cluster_selector(registered), "nvidia.com/gpu.product": H100}

    async def read(client: AsyncClient) -> list[str]:
        return [name_of(n) async for n in client.list(Node, labels=selector)]

    want = {
        n["metadata"]["name"]
        for n in registered.nodes
        if n["metadata"]["labels"].get("nvidia.com/gpu.product") == H100
    }
    assert want
    assert set(run(apiserver, read)) == want


@pytest.mark.apiserver
def test_pods_run_on_their_nodes_under_their_owners(
    apiserver: ApiServer, registered: Fleet
) -> None:
    async def read(client: AsyncClient) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"pods": [], "rs": [], "deploy": [], "jobs": []}
        for ns in {p["metadata"]["namespace"] for p in registered.pods}:
            out["pods"] += [p async for p in client.list(Pod, namespace=ns)]
            out["rs"] += [r async for r in client.list(ReplicaSet, namespace=ns)]
            out["deploy"] += [d async for d in client.list(Deployment, namespace=ns)]
            out["jobs"] += [j async for j in client.list(Job, namespace=ns)]
        return out

    live = run(apiserver, read)
    pods = {p.metadata.name: p for p in live["pods"]}
    assert set(pods) == {p["metadata"]["name"] for p in registered.pods}
    owners = {o.metadata.uid: o for o in live["rs"] + live["deploy"] + live["jobs"]}
    assert len(live["rs"]) == len(registered.replicasets)  # no ReplicaSet of the controllers' own
    for want in registered.pods:
        got = pods[want["metadata"]["name"]]
        assert got.spec.nodeName == want["spec"]["nodeName"]
        assert got.status.phase == "Running"
        assert got.status.podIP == want["status"]["podIP"]
        (ref,) = got.metadata.ownerReferences
        assert owners[ref.uid].metadata.name == want["metadata"]["ownerReferences"][0]["name"]
        if ref.kind == "ReplicaSet":
            (parent,) = owners[ref.uid].metadata.ownerReferences
            assert owners[parent.uid].kind == "Deployment"


@pytest.mark.apiserver
def test_registering_again_is_idempotent(apiserver: ApiServer, registered: Fleet) -> None:
    node = copy.deepcopy(registered.nodes[0])
    node["metadata"]["labels"]["nvidia.com/gpu-driver-upgrade-state"] = "upgrade-failed"

    async def again(client: AsyncClient) -> tuple[int, str | None, str | None]:
        await register_objects(client, registered.objects())  # all exist: skipped
        await register_objects(client, [node])  # skipped too: the label stays
        skipped = labels_of(await client.get(Node, node["metadata"]["name"]))
        await register_objects(client, [node], on_exists=OnExists.REPLACE)
        replaced = labels_of(await client.get(Node, node["metadata"]["name"]))
        count = len([n async for n in client.list(Node, labels=cluster_selector(registered))])
        state = "nvidia.com/gpu-driver-upgrade-state"
        return count, skipped.get(state), replaced.get(state)

    count, skipped, replaced = run(apiserver, again)
    assert count == len(registered.nodes)
    assert skipped == registered.nodes[0]["metadata"]["labels"].get(
        "nvidia.com/gpu-driver-upgrade-state"
    )
    assert replaced == "upgrade-failed"


@pytest.mark.apiserver
def test_watch_sees_a_label_change(apiserver: ApiServer, registered: Fleet) -> None:
    name = registered.nodes[-1]["metadata"]["name"]

    async def watch_change(client: AsyncClient) -> tuple[str, str | None]:
        listing = client.list(Node, labels=cluster_selector(registered))
        _ = [n async for n in listing]
        events = client.watch(
            Node,
            labels=cluster_selector(registered),
            resource_version=listing.resourceVersion,
        )
        patch = {"metadata": {"labels": {"nvidia.com/mig.config.state": "failed"}}}
        await client.patch(Node, name, patch)
        async for kind, node in events:
            if name_of(node) == name:
                return kind, labels_of(node).get("nvidia.com/mig.config.state")
        raise AssertionError("watch ended")

    async def bounded(client: AsyncClient) -> tuple[str, str | None]:
        return await asyncio.wait_for(watch_change(client), timeout=30)

    assert run(apiserver, bounded) == ("MODIFIED", "failed")


@pytest.mark.apiserver
def test_a_refused_object_is_named(apiserver: ApiServer, registered: Fleet) -> None:
    bad = copy.deepcopy(registered.nodes[0])
    bad["metadata"]["name"] = "not-a-valid-node-name-"
    bad["metadata"]["uid"] = "another-uid"
    with pytest.raises(ClusterError, match=r"Node/not-a-valid-node-name-: .*422"):
        run(apiserver, lambda client: register_objects(client, [bad]))


def nowhere() -> KubeConfig:
    """A kubeconfig for a loopback port nobody listens on."""
    return KubeConfig.from_dict(
        {
            "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{free_port()}"}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "x",
        }
    )


def test_an_unreachable_server_is_a_cluster_error() -> None:
    config = nowhere()
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}

    async def go() -> None:
        client = AsyncClient(config=config)
        try:
            await register_objects(client, [namespace])
        finally:
            await client.close()

    with pytest.raises(
        ClusterError, match=r"Namespace/x: cannot create it: API server unreachable"
    ):
        asyncio.run(go())


def test_an_unknown_kind_is_an_input_error() -> None:
    config = nowhere()
    crd = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}

    async def go() -> None:
        client = AsyncClient(config=config)
        try:
            await register_objects(client, [crd])
        finally:
            await client.close()

    with pytest.raises(InputError, match=r"cannot register kind example\.com/v1/Widget"):
        asyncio.run(go())


SA_PENDING = 'pods "p" is forbidden: error looking up service account ml/default'
RBAC_REFUSAL = 'pods is forbidden: User "x" cannot create resource "pods" in "ml"'


def lightkube_refusal(code: int, message: str, reason: str = "") -> LightkubeApiError:
    """lightkube's exception for an apiserver `Status` (what its client raises)."""
    return LightkubeApiError(status=Status(code=code, message=message, reason=reason))


@pytest.mark.parametrize(
    ("code", "reason", "message", "cls", "retried"),
    [
        (429, "TooManyRequests", "slow down", TooManyRequests, True),
        (500, "ServerTimeout", "please try again", Unavailable, True),
        (503, "ServiceUnavailable", "etcd leader changed", Unavailable, True),
        (403, "Forbidden", SA_PENDING, Forbidden, True),
        (403, "Forbidden", RBAC_REFUSAL, Forbidden, False),
        (404, "NotFound", 'namespaces "ml" not found', NotFound, False),
        (409, "AlreadyExists", 'pods "p" already exists', Conflict, False),
        (422, "Invalid", "Node is invalid", ApiError, False),
    ],
)  # fmt: skip
def test_refusals_are_typed_and_retried_by_type(
    code: int, reason: str, message: str, cls: type[ApiError], retried: bool
) -> None:
    typed = lightkube_error(lightkube_refusal(code, message, reason), where="Pod/ml/p")
    assert type(typed) is cls
    assert (typed.status, typed.reason, typed.server_message) == (code, reason, message)
    assert _transient(typed) is retried


@pytest.mark.apiserver
def test_a_refusal_reaches_the_caller_typed(apiserver: ApiServer) -> None:
    """Regression: register raised a bare ClusterError, so callers could not tell a missing
    namespace from RBAC or overload; the one line they read stays the same."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "no-such-namespace"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    with pytest.raises(NotFound) as caught:
        run(apiserver, lambda client: register_objects(client, [pod]))
    assert str(caught.value) == (
        "Pod/no-such-namespace/p: server refused to create it: 404 NotFound: "
        'namespaces "no-such-namespace" not found'
    )
    assert isinstance(caught.value.__cause__, LightkubeApiError)

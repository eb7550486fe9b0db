"""Publishing agent facts on the real apiserver: the ConfigMap only, its digest, no churn;
the Node is never written, and the scanner reads the facts from the ConfigMap."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.kube import (
    NAMESPACE,
    annotate_node,
    configmap,
    delete_node,
    ensure_namespace,
    node_annotations,
    read,
    register_node,
    request,
)
from kubedrift.analysis.facts import facts_digest, node_facts
from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.publish import (
    FactsDocument,
    Outcome,
    Published,
    configmap_name,
    encode_facts,
    publish_facts,
)
from kubedrift.engine.live import from_cluster
from kubedrift.model import ClusterError
from kubedrift.model.kube import Node
from support.apiserver import ApiServer

FACTS = {
    "sysctl.vm.max_map_count": "262144",
    "nvml.driver_version": "570.86.15",
    "kernel.cmdline": 'BOOT_IMAGE=/vmlinuz ro quiet acpi_osi="!Windows 2012"',
    "os.id": "ubuntu",
}
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _doc(node: str, facts: dict[str, str], at: datetime = T0) -> FactsDocument:
    return FactsDocument(node, facts, "0.1.0", at, notes=("NVML not available: none",))


def _publish(apiserver: ApiServer, doc: FactsDocument, namespace: str = NAMESPACE) -> Published:
    async def go() -> Published:
        async with Connection(ClusterTarget(kubeconfig=apiserver.kubeconfig)) as conn:
            return await publish_facts(conn, doc, namespace=namespace)

    return asyncio.run(go())


def _rv(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["resourceVersion"])


@pytest.fixture(scope="module")
def namespace(apiserver: ApiServer) -> str:
    ensure_namespace(apiserver)
    return NAMESPACE


def test_encoding_is_canonical() -> None:
    text = encode_facts({"b": "2", "a": 'é "x"'})
    assert text == '{"a":"é \\"x\\"","b":"2"}'
    assert facts_digest(text).startswith("sha256:")


def test_configmap_names_stay_valid_for_long_node_names() -> None:
    assert configmap_name("gpu-1") == "kubedrift-facts-gpu-1"
    long = "a" * 100 + "." + "b" * 152
    name = configmap_name(long)
    assert len(name) == 253
    assert name != configmap_name(long[:-1] + "c")


def _scanned(apiserver: ApiServer, node: str, namespace: str = NAMESPACE) -> Node:
    """The Node as a scan sees it: listed with the agent ConfigMaps of `namespace`."""
    target = ClusterTarget(kubeconfig=apiserver.kubeconfig)
    live = asyncio.run(
        from_cluster(
            target,
            [],
            namespace=None,
            with_nodes=True,
            progress=lambda _: None,
            agent_namespace=namespace,
        )
    )
    return next(n for n in live.nodes if n["metadata"]["name"] == node)


def test_first_publish_writes_the_configmap_and_never_the_node(
    apiserver: ApiServer, namespace: str
) -> None:
    node = register_node(apiserver, "publish-first")
    published = _publish(apiserver, _doc("publish-first", FACTS))
    assert published.configmap is Outcome.CREATED

    text = encode_facts(FACTS)
    assert published.digest == facts_digest(text)
    assert not any(
        k.startswith("kubedrift.io/") for k in node_annotations(apiserver, "publish-first")
    )
    cm = configmap(apiserver, "kubedrift-facts-publish-first")
    assert cm["data"] == {
        "facts.json": text,
        "digest": published.digest,
        "node": "publish-first",
        "agent-version": "0.1.0",
        "collected-at": "2025-03-01T12:00:00Z",
        "notes": "NVML not available: none",
    }
    assert cm["metadata"]["labels"]["kubedrift.io/node"] == "publish-first"
    owner = cm["metadata"]["ownerReferences"]
    assert owner == [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "name": "publish-first",
            "uid": node["metadata"]["uid"],
        }
    ]
    managers = {m["manager"] for m in cm["metadata"]["managedFields"]}
    assert managers == {"kubedrift-agent"}
    # The controller-manager's TTL controller annotates every new Node on its own
    # schedule, so the Node's resourceVersion may move; what must hold is that the
    # agent never wrote it.
    after = read(apiserver, "/api/v1/nodes/publish-first")
    assert {m["manager"] for m in after["metadata"].get("managedFields", [])} <= {
        m["manager"] for m in node["metadata"].get("managedFields", [])
    } | {"kube-controller-manager"}


def test_the_scanner_reads_the_published_facts(apiserver: ApiServer, namespace: str) -> None:
    register_node(apiserver, "publish-scanner")
    _publish(apiserver, _doc("publish-scanner", FACTS))
    facts = node_facts(_scanned(apiserver, "publish-scanner"))
    assert facts.problems == ()
    assert facts["agent:nvml.driver_version"] == "570.86.15"
    assert facts["agent:kernel.cmdline"] == FACTS["kernel.cmdline"]
    elsewhere = node_facts(_scanned(apiserver, "publish-scanner", namespace="default"))
    assert not elsewhere.has_agent  # only the agent namespace speaks for a node


def test_a_tampered_configmap_fails_the_digest_check(apiserver: ApiServer, namespace: str) -> None:
    register_node(apiserver, "publish-tampered")
    _publish(apiserver, _doc("publish-tampered", FACTS))
    forged = encode_facts({**FACTS, "nvml.driver_version": "999"})
    path = f"/api/v1/namespaces/{namespace}/configmaps/kubedrift-facts-publish-tampered"
    patch = {"data": {"facts.json": forged}}
    status, answer = request(
        apiserver, "PATCH", path, patch, content_type="application/merge-patch+json"
    )
    assert status == 200, answer
    facts = node_facts(_scanned(apiserver, "publish-tampered"))
    assert "agent:nvml.driver_version" not in facts
    assert facts.problems == ("kubedrift.io/facts does not match kubedrift.io/facts-digest",)


def test_an_older_agents_node_annotation_is_still_read(
    apiserver: ApiServer, namespace: str
) -> None:
    register_node(apiserver, "publish-legacy")
    text = encode_facts({"os.id": "ubuntu"})
    legacy = {"kubedrift.io/facts": text, "kubedrift.io/facts-digest": facts_digest(text)}
    annotate_node(apiserver, "publish-legacy", legacy)
    assert node_facts(_scanned(apiserver, "publish-legacy"))["agent:os.id"] == "ubuntu"
    _publish(apiserver, _doc("publish-legacy", FACTS))  # the new agent's ConfigMap wins
    facts = node_facts(_scanned(apiserver, "publish-legacy"))
    assert facts["agent:nvml.driver_version"] == "570.86.15"


def test_unchanged_facts_write_nothing(apiserver: ApiServer, namespace: str) -> None:
    register_node(apiserver, "publish-again")
    _publish(apiserver, _doc("publish-again", FACTS))
    cm_rv = _rv(configmap(apiserver, "kubedrift-facts-publish-again"))

    later = _publish(
        apiserver, _doc("publish-again", dict(reversed(FACTS.items())), T0 + timedelta(hours=1))
    )
    assert later.configmap is Outcome.UNCHANGED
    cm = configmap(apiserver, "kubedrift-facts-publish-again")
    assert _rv(cm) == cm_rv
    assert cm["data"]["collected-at"] == "2025-03-01T12:00:00Z"  # when first seen


def test_changed_facts_update_the_configmap(apiserver: ApiServer, namespace: str) -> None:
    register_node(apiserver, "publish-change")
    first = _publish(apiserver, _doc("publish-change", FACTS))
    changed = {**FACTS, "nvml.driver_version": "550.127.05"}
    second = _publish(apiserver, _doc("publish-change", changed, T0 + timedelta(hours=2)))
    assert second.configmap is Outcome.UPDATED
    assert second.digest != first.digest
    cm = configmap(apiserver, "kubedrift-facts-publish-change")
    assert cm["data"]["digest"] == second.digest
    assert json.loads(cm["data"]["facts.json"])["nvml.driver_version"] == "550.127.05"
    assert cm["data"]["collected-at"] == "2025-03-01T14:00:00Z"


def test_facts_too_large_for_an_annotation_are_published_whole(
    apiserver: ApiServer, namespace: str
) -> None:
    register_node(apiserver, "publish-large")
    large = {**FACTS, **{f"package.cuda-lib-{i:04}": "12.8.57-1" * 4 for i in range(1500)}}
    published = _publish(apiserver, _doc("publish-large", large))
    assert published.size >= 64 * 1024
    facts = node_facts(_scanned(apiserver, "publish-large"))
    assert facts.problems == ()
    assert facts["agent:package.cuda-lib-1499"] == "12.8.57-1" * 4


def test_unknown_node_is_a_cluster_error(apiserver: ApiServer, namespace: str) -> None:
    with pytest.raises(ClusterError, match="Node/no-such-node: node not found"):
        _publish(apiserver, _doc("no-such-node", FACTS))


def test_missing_namespace_is_a_cluster_error(apiserver: ApiServer) -> None:
    register_node(apiserver, "publish-nons")
    with pytest.raises(ClusterError, match="not found"):
        _publish(apiserver, _doc("publish-nons", FACTS), namespace="no-such-namespace")


def test_the_configmap_goes_with_its_node(apiserver: ApiServer, namespace: str) -> None:
    register_node(apiserver, "publish-gone")
    _publish(apiserver, _doc("publish-gone", FACTS))
    delete_node(apiserver, "publish-gone")
    path = f"/api/v1/namespaces/{namespace}/configmaps/kubedrift-facts-publish-gone"
    deadline = time.monotonic() + 60
    while apiserver.get(path)[0] != 404:
        assert time.monotonic() < deadline, "the garbage collector kept the ConfigMap"
        time.sleep(0.5)

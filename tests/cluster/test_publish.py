"""Publishing agent facts on the real apiserver: annotations, digest, ConfigMap, no churn."""

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
    annotations,
    configmap,
    delete_node,
    ensure_namespace,
    read,
    register_node,
)
from kubedrift.analysis.facts import facts_digest, node_facts
from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.publish import (
    CONFIGMAP_ANNOTATION,
    FactsDocument,
    Outcome,
    Published,
    configmap_name,
    encode_facts,
    publish_facts,
)
from kubedrift.model import ClusterError
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


def test_first_publish_writes_annotations_and_configmap(
    apiserver: ApiServer, namespace: str
) -> None:
    node = register_node(apiserver, "publish-first")
    published = _publish(apiserver, _doc("publish-first", FACTS))
    assert (published.annotations, published.configmap) == (Outcome.UPDATED, Outcome.CREATED)
    assert published.inline

    text = encode_facts(FACTS)
    notes = annotations(apiserver, "publish-first")
    assert notes["kubedrift.io/facts"] == text
    assert json.loads(notes["kubedrift.io/facts"]) == FACTS
    assert notes["kubedrift.io/facts-digest"] == facts_digest(text) == published.digest
    assert notes[CONFIGMAP_ANNOTATION] == f"{namespace}/kubedrift-facts-publish-first"

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
    node_managers = {
        m["manager"]
        for m in read(apiserver, "/api/v1/nodes/publish-first")["metadata"]["managedFields"]
    }
    assert "kubedrift-agent" in node_managers


def test_the_scanner_reads_the_published_facts(apiserver: ApiServer, namespace: str) -> None:
    register_node(apiserver, "publish-scanner")
    _publish(apiserver, _doc("publish-scanner", FACTS))
    facts = node_facts(read(apiserver, "/api/v1/nodes/publish-scanner"))
    assert facts.problems == ()
    assert facts["agent:nvml.driver_version"] == "570.86.15"
    assert facts["agent:kernel.cmdline"] == FACTS["kernel.cmdline"]


def test_unchanged_facts_write_nothing(apiserver: ApiServer, namespace: str) -> None:
    register_node(apiserver, "publish-again")
    _publish(apiserver, _doc("publish-again", FACTS))
    node_rv = _rv(read(apiserver, "/api/v1/nodes/publish-again"))
    cm_rv = _rv(configmap(apiserver, "kubedrift-facts-publish-again"))

    later = _publish(
        apiserver, _doc("publish-again", dict(reversed(FACTS.items())), T0 + timedelta(hours=1))
    )
    assert (later.annotations, later.configmap) == (Outcome.UNCHANGED, Outcome.UNCHANGED)
    assert _rv(read(apiserver, "/api/v1/nodes/publish-again")) == node_rv
    cm = configmap(apiserver, "kubedrift-facts-publish-again")
    assert _rv(cm) == cm_rv
    assert cm["data"]["collected-at"] == "2025-03-01T12:00:00Z"  # when first seen


def test_changed_facts_update_both(apiserver: ApiServer, namespace: str) -> None:
    register_node(apiserver, "publish-change")
    first = _publish(apiserver, _doc("publish-change", FACTS))
    changed = {**FACTS, "nvml.driver_version": "550.127.05"}
    second = _publish(apiserver, _doc("publish-change", changed, T0 + timedelta(hours=2)))
    assert (second.annotations, second.configmap) == (Outcome.UPDATED, Outcome.UPDATED)
    assert second.digest != first.digest
    assert annotations(apiserver, "publish-change")["kubedrift.io/facts-digest"] == second.digest
    cm = configmap(apiserver, "kubedrift-facts-publish-change")
    assert json.loads(cm["data"]["facts.json"])["nvml.driver_version"] == "550.127.05"
    assert cm["data"]["collected-at"] == "2025-03-01T14:00:00Z"


def test_other_annotations_are_left_alone(apiserver: ApiServer, namespace: str) -> None:
    register_node(apiserver, "publish-others")
    annotate_node(apiserver, "publish-others", {"team": "ml"})
    _publish(apiserver, _doc("publish-others", FACTS))
    assert annotations(apiserver, "publish-others")["team"] == "ml"


def test_too_large_facts_go_to_the_configmap_and_the_digest_only(
    apiserver: ApiServer, namespace: str
) -> None:
    register_node(apiserver, "publish-large")
    _publish(apiserver, _doc("publish-large", FACTS))  # a small set first: inline
    large = {**FACTS, **{f"package.cuda-lib-{i:04}": "12.8.57-1" * 4 for i in range(1500)}}
    published = _publish(apiserver, _doc("publish-large", large))
    assert not published.inline
    assert published.size >= 64 * 1024
    notes = annotations(apiserver, "publish-large")
    assert "kubedrift.io/facts" not in notes  # the stale small set is removed
    assert notes["kubedrift.io/facts-digest"] == facts_digest(encode_facts(large))
    cm = configmap(apiserver, "kubedrift-facts-publish-large")
    assert facts_digest(cm["data"]["facts.json"]) == published.digest
    again = _publish(apiserver, _doc("publish-large", large))
    assert (again.annotations, again.configmap) == (Outcome.UNCHANGED, Outcome.UNCHANGED)


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

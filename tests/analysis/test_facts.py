import copy
import json
from typing import Any

import pytest

from analysis.nodefactory import gpu_node, with_changes
from kubedrift.analysis import facts_digest, node_facts
from kubedrift.analysis.facts import (
    UNIQUE_FACTS,
    attach_published_facts,
    fact_name_error,
    published_facts,
    resource_quantity,
)
from kubedrift.model import InputError


def test_facts_are_named_by_source() -> None:
    facts = node_facts(gpu_node(0))
    assert facts.name == "ip-10-16-0-2.us-east-2.compute.internal"
    assert facts["nodeInfo.kernelVersion"] == "5.15.0-1057-aws"
    assert facts["nodeInfo.containerRuntimeVersion"] == "containerd://1.7.12"
    assert facts["label:nvidia.com/cuda.driver-version.full"] == "570.133.20"
    assert facts["taint:nvidia.com/gpu:NoSchedule"] == "present"
    assert facts["capacity:nvidia.com/gpu"] == "8"
    assert facts["allocatable:cpu"] == "191450m"
    assert facts.label("nvidia.com/gpu.count") == "8"
    assert facts.labels()["kubernetes.io/os"] == "linux"
    assert "label:nvidia.com/missing" not in facts
    assert facts.get("label:nvidia.com/missing") is None


def test_only_facts_are_read_not_names_addresses_images_or_conditions() -> None:
    names = set(node_facts(gpu_node(0)))
    assert not {n for n in names if "address" in n.lower() or "image" in n.lower()} - {
        "nodeInfo.osImage"
    }
    assert not any(n.startswith(("spec.", "status.", "annotation")) for n in names)
    assert names >= UNIQUE_FACTS  # kept, but marked naturally unique


@pytest.mark.parametrize(
    ("resource", "a", "b"),
    [
        ("memory", "1Gi", "1024Mi"),
        ("memory", "1073741824", "1048576Ki"),
        ("ephemeral-storage", "482107510353", "482107510353"),
        ("cpu", "1", "1000m"),
        ("cpu", 2, "2"),
        ("nvidia.com/gpu", "8", 8),
        ("hugepages-2Mi", "0", 0),
    ],
)
def test_equal_quantities_have_equal_facts(resource: str, a: object, b: object) -> None:
    assert resource_quantity(resource, a) == resource_quantity(resource, b)


def test_byte_quantities_read_well() -> None:
    assert resource_quantity("memory", "16384Mi") == "16Gi"
    assert resource_quantity("memory", "2112438272Ki") == "2062928Mi"
    assert resource_quantity("memory", "1.5Gi") == "1536Mi"
    assert resource_quantity("memory", "1000001") == "1000001"
    assert resource_quantity("memory", "2097152Ki") == "2Gi"
    assert resource_quantity("cpu", "191450m") == "191450m"


def test_reading_facts_does_not_touch_the_node() -> None:
    node = gpu_node(3)
    before = copy.deepcopy(node)
    node_facts(node)
    assert node == before


def test_facts_are_frozen() -> None:
    facts = node_facts(gpu_node(0))
    with pytest.raises(AttributeError):
        facts.name = "other"
    with pytest.raises(TypeError):
        facts["label:x"] = "y"  # type: ignore[index]


def test_a_node_without_a_name_is_bad_input() -> None:
    node = gpu_node(0)
    del node["metadata"]["name"]
    with pytest.raises(InputError, match=r"no metadata\.name"):
        node_facts(node)


def test_agent_facts_come_from_the_annotation_with_a_matching_digest() -> None:
    published = json.dumps({"sysctl.vm.max_map_count": 262144, "modules": ["nvidia", "nvidia_uvm"]})
    node = with_changes(
        gpu_node(0),
        annotations={
            "kubedrift.io/facts": published,
            "kubedrift.io/facts-digest": facts_digest(published),
        },
    )
    facts = node_facts(node)
    assert facts["agent:sysctl.vm.max_map_count"] == 262144
    assert facts["agent:modules"] == '["nvidia","nvidia_uvm"]'
    assert facts.problems == ()


@pytest.mark.parametrize(
    ("annotations", "problem"),
    [
        (
            {"kubedrift.io/facts": '{"a": 1}', "kubedrift.io/facts-digest": "sha256:00"},
            "kubedrift.io/facts does not match kubedrift.io/facts-digest",
        ),
        ({"kubedrift.io/facts": "{not json"}, "kubedrift.io/facts is not valid JSON"),
        ({"kubedrift.io/facts": "[1, 2]"}, "kubedrift.io/facts is not a JSON object"),
    ],
)
def test_untrustworthy_agent_facts_are_dropped_with_a_reason(
    annotations: dict[str, str], problem: str
) -> None:
    facts = node_facts(with_changes(gpu_node(0), annotations=annotations))
    assert not [f for f in facts if f.startswith("agent:")]
    assert facts.problems == (problem,)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("nodeInfo.kernelVersion", None),
        ("label:nvidia.com/cuda.driver-version.full", None),
        ("taint:nvidia.com/gpu:NoSchedule", None),
        ("capacity:nvidia.com/gpu", None),
        ("agent:sysctl.vm.max_map_count", None),
        ("nodeInfo.kernel", "unknown fact 'nodeInfo.kernel': nodeInfo fields are"),
        ("kernelVersion", "unknown fact 'kernelVersion': use nodeInfo.<field>"),
        ("labels:foo", "unknown fact 'labels:foo'"),
        ("label:", "unknown fact 'label:'"),
        ("taint:nvidia.com/gpu", "invalid taint fact 'taint:nvidia.com/gpu'"),
        ("taint:nvidia.com/gpu:Sometimes", "invalid taint fact"),
    ],
)
def test_fact_names_are_validated(name: str, problem: str | None) -> None:
    error = fact_name_error(name)
    if problem is None:
        assert error is None
    else:
        assert error is not None
        assert error.startswith(problem)


def _agent_configmap(
    node: str, facts: dict[str, str], namespace: str = "kubedrift-system"
) -> dict[str, Any]:
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"))
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"kubedrift-facts-{node}", "namespace": namespace},
        "data": {"facts.json": text, "digest": facts_digest(text), "node": node},
    }


def _legacy_node(name: str, facts: dict[str, str]) -> dict[str, Any]:
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"))
    notes = {"kubedrift.io/facts": text, "kubedrift.io/facts-digest": facts_digest(text)}
    return {"kind": "Node", "metadata": {"name": name, "annotations": notes}}


def test_a_configmap_speaks_for_its_node_over_an_older_agents_annotation() -> None:
    nodes = [_legacy_node("a", {"os.id": "ubuntu"}), _legacy_node("b", {"os.id": "rhel"})]
    published = published_facts([_agent_configmap("a", {"os.id": "debian"})], "kubedrift-system")
    a, b = attach_published_facts(nodes, published)
    assert node_facts(a)["agent:os.id"] == "debian"
    assert node_facts(b)["agent:os.id"] == "rhel"  # no ConfigMap: the annotation still counts
    assert json.loads(nodes[0]["metadata"]["annotations"]["kubedrift.io/facts"]) == {
        "os.id": "ubuntu"
    }  # the given nodes are not changed


def test_only_the_agent_namespace_speaks_for_a_node() -> None:
    forged = _agent_configmap("a", {"os.id": "forged"}, namespace="team-a")
    assert published_facts([forged], "kubedrift-system") == {}


@pytest.mark.parametrize("digest", ["sha256:" + "0" * 64, None])
def test_a_configmap_failing_or_lacking_its_digest_gives_no_facts(digest: str | None) -> None:
    cm = _agent_configmap("a", {"os.id": "debian"})
    if digest is None:
        del cm["data"]["digest"]
    else:
        cm["data"]["digest"] = digest
    (node,) = attach_published_facts(
        [{"kind": "Node", "metadata": {"name": "a"}}], published_facts([cm], "kubedrift-system")
    )
    facts = node_facts(node)
    assert "agent:os.id" not in facts
    assert facts.problems == ("kubedrift.io/facts does not match kubedrift.io/facts-digest",)

import json
from collections.abc import Iterable
from typing import Any

import pytest

from analysis.nodefactory import NOW, cpu_node, gpu_node, pool, with_changes
from kubedrift.analysis import NodeAnalysis, NodeOptions, analyze_nodes
from kubedrift.analysis.options import FactIgnore
from kubedrift.model import MISSING, Finding, ObjectRef, PoolSummary, Severity


def analyze(nodes: list[dict[str, Any]], **options: Any) -> NodeAnalysis:
    return analyze_nodes(nodes, options=NodeOptions(**options), now=NOW)


def summary(findings: Iterable[Finding]) -> list[tuple[str, str, str]]:
    return sorted((f.object.name, f.rule, f.path) for f in findings)


@pytest.mark.parametrize("size", [2, 3, 16, 101])
def test_clean_pools_have_no_findings_however_naturally_different(size: int) -> None:
    """Names, IPs, uids, boot ids, zones, racks, GFD timestamps, heartbeats, images and a
    few KiB of allocatable memory differ; none of it is drift."""
    result = analyze(pool(size) + [cpu_node(500 + i) for i in range(3)])
    assert result.findings == ()
    assert result.pools == (
        PoolSummary("h100", size, 0, None),
        PoolSummary("system", 3, 0, None),
    )
    assert result.notes == ()


def test_a_snowflake_is_reported_against_the_majority() -> None:
    nodes = pool(16)
    nodes[5] = with_changes(
        nodes[5],
        info={"kernelVersion": "5.15.0-1058-aws"},
        labels={"feature.node.kubernetes.io/kernel-version.full": "5.15.0-1058-aws"},
    )
    (finding,) = analyze(nodes).findings
    assert finding.rule == "peer-mismatch"
    assert finding.object == ObjectRef("v1", "Node", None, nodes[5]["metadata"]["name"])
    assert finding.path == "nodeInfo.kernelVersion"
    assert finding.desired == "5.15.0-1057-aws"
    assert finding.live == "5.15.0-1058-aws"
    assert finding.severity is Severity.MEDIUM
    assert finding.message == (
        "kernel 5.15.0-1058-aws differs from 15 of 16 h100 nodes (5.15.0-1057-aws)"
    )
    assert dict(finding.details) == {"pool": "h100", "majority": "15/16"}


def test_a_missing_fact_is_a_difference() -> None:
    nodes = pool(8)
    nodes[2] = with_changes(nodes[2], taints=[])
    (finding,) = analyze(nodes).findings
    assert (finding.path, finding.desired, finding.live) == (
        "taint:nvidia.com/gpu:NoSchedule",
        "present",
        MISSING,
    )
    assert finding.message == (
        "taint nvidia.com/gpu:NoSchedule is missing here but set on 7 of 8 h100 nodes (present)"
    )


def test_an_extra_fact_is_a_difference() -> None:
    nodes = pool(8)
    nodes[2] = with_changes(nodes[2], labels={"example.com/hand-labelled": "yes"})
    (finding,) = analyze(nodes).findings
    assert (finding.path, finding.desired, finding.live, finding.severity) == (
        "label:example.com/hand-labelled",
        MISSING,
        "yes",
        Severity.LOW,
    )
    assert finding.message.endswith("here but absent on 7 of 8 h100 nodes")


def test_one_driver_change_reads_as_one_finding_not_twelve_labels() -> None:
    nodes = pool(10)
    nodes[1] = with_changes(
        nodes[1],
        labels={
            "nvidia.com/cuda.driver-version.full": "550.144.03",
            "nvidia.com/cuda.driver-version.major": "550",
            "nvidia.com/cuda.driver-version.minor": "144",
            "nvidia.com/cuda.driver-version.revision": "03",
            "nvidia.com/cuda.driver.major": "550",
            "nvidia.com/cuda.driver.minor": "144",
            "nvidia.com/cuda.driver.rev": "03",
            "nvidia.com/cuda.runtime-version.full": "12.4",
            "nvidia.com/cuda.runtime-version.minor": "4",
            "nvidia.com/cuda.runtime.minor": "4",
        },
    )
    (finding,) = analyze(nodes).findings
    assert (finding.path, finding.desired, finding.live, finding.severity) == (
        "label:nvidia.com/cuda.driver-version.full",
        "570.133.20",
        "550.144.03",
        Severity.HIGH,
    )


def test_kubelet_skew_is_one_finding_although_kube_proxy_version_moves_too() -> None:
    nodes = pool(5)
    nodes[0] = with_changes(
        nodes[0], info={"kubeletVersion": "v1.28.9-eks", "kubeProxyVersion": "v1.28.9-eks"}
    )
    assert summary(analyze(nodes).findings) == [
        (nodes[0]["metadata"]["name"], "peer-mismatch", "nodeInfo.kubeletVersion")
    ]


def test_a_cuda_label_that_moves_alone_is_reported() -> None:
    nodes = pool(5)
    nodes[0] = with_changes(nodes[0], labels={"nvidia.com/cuda.runtime-version.full": "12.4"})
    assert summary(analyze(nodes).findings) == [
        (
            nodes[0]["metadata"]["name"],
            "peer-mismatch",
            "label:nvidia.com/cuda.runtime-version.full",
        )
    ]


def test_allocatable_is_not_reported_twice_when_capacity_differs() -> None:
    nodes = pool(5)
    nodes[0] = with_changes(nodes[0], capacity={"pods": "110"}, allocatable={"pods": "110"})
    assert [f.path for f in analyze(nodes).findings] == ["capacity:pods"]


def test_allocatable_alone_differing_is_kubelet_reservation_drift() -> None:
    nodes = pool(5)
    nodes[0] = with_changes(nodes[0], allocatable={"cpu": "190"})
    (finding,) = analyze(nodes).findings
    assert (finding.path, finding.desired, finding.live) == ("allocatable:cpu", "191450m", "190")


@pytest.mark.parametrize(("memory", "drifted"), [("2100000000Ki", False), ("1900000000Ki", True)])
def test_memory_is_compared_within_a_tolerance(memory: str, drifted: bool) -> None:
    nodes = pool(6)
    nodes[0] = with_changes(nodes[0], allocatable={"memory": memory})
    findings = analyze(nodes).findings
    assert bool(findings) is drifted
    if drifted:
        assert findings[0].path == "allocatable:memory"


def test_a_tolerance_of_zero_compares_memory_exactly() -> None:
    nodes = pool(6, allocatable={"memory": "2111000000Ki"})
    assert analyze(nodes, quantity_tolerance=0.0).findings == ()
    nodes[0] = with_changes(nodes[0], allocatable={"memory": "2110996000Ki"})
    assert len(analyze(nodes, quantity_tolerance=0.0).findings) == 1
    assert analyze(nodes).findings == ()


def test_memory_that_varies_without_a_band_is_not_called() -> None:
    nodes = [
        with_changes(n, allocatable={"memory": f"{1000000000 + 100000000 * i}Ki"})
        for i, n in enumerate(pool(5))
    ]
    assert analyze(nodes).findings == ()


def test_a_pool_of_one_has_no_peers() -> None:
    result = analyze([gpu_node(0), cpu_node(1), cpu_node(2)])
    assert result.findings == ()
    assert PoolSummary("h100", 1, 0, "1 node: no peers") in result.pools


def test_two_nodes_that_disagree_are_a_tie_reported_for_the_pool() -> None:
    nodes = pool(2)
    nodes[1] = with_changes(nodes[1], info={"containerRuntimeVersion": "containerd://1.6.28"})
    (finding,) = analyze(nodes).findings
    assert finding.rule == "peer-tie"
    assert finding.object == ObjectRef("kubedrift.io/v1alpha1", "NodePool", None, "h100")
    assert finding.severity is Severity.LOW
    assert finding.desired is MISSING
    assert finding.live == "containerd://1.6.28 (1), containerd://1.7.12 (1)"
    names = [n["metadata"]["name"] for n in nodes]
    assert dict(finding.details)["values"] == (
        f"containerd://1.6.28: {names[1]}; containerd://1.7.12: {names[0]}"
    )
    assert "does not pick a side" in finding.message
    assert analyze(nodes).pools == (PoolSummary("h100", 2, 0, "no majority on 1 fact"),)


def test_no_clear_majority_is_a_split() -> None:
    nodes = pool(6)
    for i, version in ((0, "1.6.28"), (1, "1.6.28"), (2, "1.7.13")):
        nodes[i] = with_changes(
            nodes[i], info={"containerRuntimeVersion": f"containerd://{version}"}
        )
    (finding,) = analyze(nodes).findings
    assert finding.rule == "peer-split"
    assert finding.live == (
        "containerd://1.7.12 (3), containerd://1.6.28 (2), containerd://1.7.13 (1)"
    )


def test_equal_leaders_in_a_larger_pool_are_a_tie() -> None:
    nodes = pool(5)
    for i, version in ((0, "1.6.28"), (1, "1.6.28"), (2, "1.7.13")):
        nodes[i] = with_changes(
            nodes[i], info={"containerRuntimeVersion": f"containerd://{version}"}
        )
    assert [f.rule for f in analyze(nodes).findings] == ["peer-tie"]


def test_the_majority_threshold_is_configurable() -> None:
    nodes = pool(5)
    for i in (0, 1):
        nodes[i] = with_changes(nodes[i], info={"osImage": "Ubuntu 22.04.5 LTS"})
    assert {f.rule for f in analyze(nodes).findings} == {"peer-mismatch"}
    assert {f.rule for f in analyze(nodes, majority_threshold=0.75).findings} == {"peer-split"}


def test_a_label_unique_on_every_node_is_an_identity_not_drift() -> None:
    nodes = [
        with_changes(n, labels={"example.com/asset-tag": f"A{i}"}) for i, n in enumerate(pool(4))
    ]
    assert analyze(nodes).findings == ()


def test_excluded_facts_are_configurable() -> None:
    nodes = pool(4)
    nodes[0] = with_changes(nodes[0], labels={"example.com/owner": "alice"})
    assert len(analyze(nodes).findings) == 1
    options = (*NodeOptions().excluded_facts, "label:example.com/*")
    assert analyze(nodes, excluded_facts=options).findings == ()


def test_topology_and_state_labels_are_not_compared() -> None:
    nodes = pool(4)
    nodes[0] = with_changes(
        nodes[0],
        labels={
            "topology.kubernetes.io/zone": "us-east-2c",
            "topology.k8s.aws/zone-id": "use2-az3",
            "nvidia.com/gpu-driver-upgrade-state": "upgrade-required",
        },
        taints=[
            {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
        ],
    )
    assert analyze(nodes).findings == ()


def test_nodes_are_pooled_by_node_group_else_by_instance_type() -> None:
    a100 = {"node.kubernetes.io/instance-type": "p4d.24xlarge"}
    nodes = [
        *pool(3),  # node group h100
        *pool(2, start=10, labels={**a100, "eks.amazonaws.com/nodegroup": "a100-train"}),
        *pool(2, start=20, labels={**a100, "eks.amazonaws.com/nodegroup": "a100-mig"}),
        *pool(2, start=30, labels={"eks.amazonaws.com/nodegroup": None}),
    ]
    result = analyze(nodes)
    assert [(p.name, p.nodes) for p in result.pools] == [
        ("a100-mig", 2),
        ("a100-train", 2),
        ("h100", 3),
        ("p5.48xlarge", 2),
    ]
    by_type = analyze(nodes, group_labels=())
    assert [(p.name, p.nodes) for p in by_type.pools] == [("p4d.24xlarge", 4), ("p5.48xlarge", 5)]
    assert by_type == analyze(nodes, pool_label="node.kubernetes.io/instance-type")


def test_a_node_group_spanning_instance_types_is_split_by_them() -> None:
    karpenter = {"eks.amazonaws.com/nodegroup": None, "karpenter.sh/nodepool": "gpu"}
    nodes = [
        *pool(2, labels=karpenter),
        *pool(2, start=5, labels={**karpenter, "node.kubernetes.io/instance-type": "p5e.48xlarge"}),
    ]
    assert [p.name for p in analyze(nodes).pools] == ["gpu/p5.48xlarge", "gpu/p5e.48xlarge"]


def test_the_pool_label_falls_back_then_gives_up() -> None:
    nodes = pool(3, labels={"eks.amazonaws.com/nodegroup": None})
    nodes[0]["metadata"]["labels"].pop("node.kubernetes.io/instance-type")
    nodes[1]["metadata"]["labels"].pop("node.kubernetes.io/instance-type")
    nodes[1]["metadata"]["labels"].pop("beta.kubernetes.io/instance-type")
    result = analyze(nodes)
    assert [(p.name, p.nodes) for p in result.pools] == [("p5.48xlarge", 2), ("unlabelled", 1)]
    assert result.notes == (
        "1 node without any pool label (eks.amazonaws.com/nodegroup, "
        "karpenter.sh/nodepool, cloud.google.com/gke-nodepool, kubernetes.azure.com/agentpool, "
        "node.kubernetes.io/instance-type, beta.kubernetes.io/instance-type) is compared "
        "as one pool, unlabelled",
    )
    by_os = analyze(nodes, pool_label="kubernetes.io/os")
    assert [(p.name, p.nodes) for p in by_os.pools] == [("linux", 3)]


def test_an_explicit_pool_label_is_used_alone() -> None:
    nodes = pool(2) + pool(2, start=5, labels={"eks.amazonaws.com/nodegroup": "h100-b"})
    assert [p.name for p in analyze(nodes).pools] == ["h100", "h100-b"]
    by_type = analyze(nodes, pool_label="node.kubernetes.io/instance-type")
    assert [(p.name, p.nodes) for p in by_type.pools] == [("p5.48xlarge", 4)]
    missing = analyze(nodes, pool_label="example.com/rack")
    assert [(p.name, p.nodes) for p in missing.pools] == [("unlabelled", 4)]
    assert missing.notes == (
        "4 nodes without any pool label (example.com/rack) are compared as one pool, unlabelled",
    )


def test_invalid_options_are_refused() -> None:
    with pytest.raises(ValueError, match="majority_threshold"):
        NodeOptions(majority_threshold=0.4)
    with pytest.raises(ValueError, match="quantity_tolerance"):
        NodeOptions(quantity_tolerance=1.5)


def test_operands_switched_off_during_a_mig_reconfiguration_are_not_snowflakes() -> None:
    paused = {
        f"nvidia.com/gpu.deploy.{operand}": "false"
        for operand in ("device-plugin", "gpu-feature-discovery", "dcgm-exporter")
    }
    nodes = pool(5, labels=dict.fromkeys(paused, "true"))
    nodes[0] = with_changes(nodes[0], labels={**paused, "nvidia.com/mig.config.state": "pending"})
    assert [f.rule for f in analyze(nodes).findings] == ["mig-config-not-applied"]
    nodes[0] = with_changes(nodes[0], labels={"nvidia.com/mig.config.state": "success"})
    # left switched off after the reconfiguration: GFD's labels are left-overs too
    assert {f.path for f in analyze(nodes).findings} == {f"label:{k}" for k in paused} | {
        "label:nvidia.com/gfd.timestamp"
    }


# -- issue 11: small pools, user ignores, partial agent rollouts ------------------------------


def kernels(nodes: list[dict[str, Any]], *releases: str) -> list[dict[str, Any]]:
    return [
        with_changes(
            n,
            info={"kernelVersion": k},
            labels={"feature.node.kubernetes.io/kernel-version.full": k},
        )
        for n, k in zip(nodes, releases, strict=True)
    ]


def test_a_small_pool_where_every_node_runs_its_own_kernel_is_no_consensus() -> None:
    """Regression (issue 11.5): all-different kernels were skipped as an identity."""
    nodes = kernels(pool(3), "5.15.0-1057-aws", "5.15.0-1060-aws", "6.1.0-1")
    (finding,) = analyze(nodes).findings
    assert (finding.rule, finding.path, finding.object.kind) == (
        "no-consensus",
        "nodeInfo.kernelVersion",
        "NodePool",
    )
    assert finding.severity is Severity.MEDIUM
    assert finding.live == "5.15.0-1057-aws, 5.15.0-1060-aws, 6.1.0-1"
    assert "every one of the 3 h100 nodes runs a different kernel" in finding.message


def test_a_per_node_label_with_every_value_different_is_still_an_identity() -> None:
    nodes = [
        with_changes(n, labels={"example.com/serial": f"SN{i}"}) for i, n in enumerate(pool(3))
    ]
    assert analyze(nodes).findings == ()


def test_user_fact_ignores_apply_per_pool() -> None:
    nodes = pool(4) + pool(4, start=10, labels={"eks.amazonaws.com/nodegroup": "h100-b"})
    nodes[0] = with_changes(nodes[0], labels={"example.com/rack": "r9"})
    nodes[4] = with_changes(nodes[4], labels={"example.com/rack": "r9"})
    for n in nodes[1:4] + nodes[5:]:
        n["metadata"]["labels"]["example.com/rack"] = "r1"
    assert len(analyze(nodes).findings) == 2
    only_b = (FactIgnore(("label:example.com/*",), ("h100-b",)),)
    assert [f.object.name for f in analyze(nodes, fact_ignores=only_b).findings] == [
        nodes[0]["metadata"]["name"]
    ]
    everywhere = (FactIgnore(("LABEL:example.com/rack",)),)
    assert analyze(nodes, fact_ignores=everywhere).findings == ()


def test_a_partial_agent_rollout_is_one_note_not_peer_mismatches() -> None:
    facts = json.dumps({"sysctl.vm.max_map_count": "262144", "os.id": "ubuntu"})
    nodes = pool(6)
    for i in (0, 1, 2, 3):
        nodes[i] = with_changes(nodes[i], annotations={"kubedrift.io/facts": facts})
    result = analyze(nodes)
    assert result.findings == ()
    (note,) = result.notes
    assert note.startswith("the node agent publishes no facts on 2 nodes of 6 (partial rollout?)")
    odd = json.dumps({"sysctl.vm.max_map_count": "65530", "os.id": "ubuntu"})
    nodes[3] = with_changes(nodes[3], annotations={"kubedrift.io/facts": odd})
    (finding,) = analyze(nodes).findings
    assert (finding.path, finding.desired) == ("agent:sysctl.vm.max_map_count", "262144")

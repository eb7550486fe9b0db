from datetime import datetime

import pytest

from analysis.nodefactory import NOW, cpu_node, gpu_node, pool, with_changes
from kubedrift.analysis import NodeOptions, analyze_nodes, compile_profiles, facts_digest
from kubedrift.model import InputError, PoolSummary, Severity

PROFILE = {
    "apiVersion": "kubedrift.io/v1alpha1",
    "kind": "NodeProfile",
    "metadata": {"name": "h100"},
    "spec": {
        "nodeSelector": {"matchLabels": {"node.kubernetes.io/instance-type": "p5.48xlarge"}},
        "expect": {"nodeInfo.kernelVersion": {"version": ">=5.15.0-1057, <5.16"}},
    },
}


def test_a_declared_profile_outranks_the_peer_comparison_on_the_same_fact() -> None:
    nodes = pool(6)
    nodes[0] = with_changes(
        nodes[0],
        info={"kernelVersion": "6.8.0-1015-aws"},
        labels={"feature.node.kubernetes.io/kernel-version.full": "6.8.0-1015-aws"},
    )
    profiles = compile_profiles([("h100.yaml", PROFILE)])
    result = analyze_nodes(nodes, profiles=profiles, now=NOW)
    assert [(f.rule, f.path) for f in result.findings] == [
        ("profile-mismatch", "nodeInfo.kernelVersion")
    ]
    assert result.pools == (PoolSummary("h100", 6, 1, None),)


def test_a_gpu_rule_outranks_the_peer_comparison_on_the_same_fact() -> None:
    nodes = pool(6)
    nodes[0] = with_changes(
        nodes[0], capacity={"nvidia.com/gpu": "7"}, allocatable={"nvidia.com/gpu": "7"}
    )
    result = analyze_nodes(nodes, now=NOW)
    assert [(f.rule, f.path) for f in result.findings] == [
        ("gpu-count-mismatch", "capacity:nvidia.com/gpu")
    ]


def test_findings_are_ordered_by_severity_then_pool_node_and_fact() -> None:
    nodes = pool(6) + [cpu_node(100 + i) for i in range(4)]
    nodes[3] = with_changes(nodes[3], info={"osImage": "Ubuntu 22.04.5 LTS"})
    nodes[1] = with_changes(
        nodes[1], labels={"nvidia.com/gpu-driver-upgrade-state": "upgrade-failed"}
    )
    nodes[7] = with_changes(nodes[7], info={"kernelVersion": "5.15.0-1060-aws"})
    result = analyze_nodes(nodes, now=NOW)
    assert [(f.severity, f.rule, f.object.name) for f in result.findings] == [
        (Severity.HIGH, "driver-upgrade-failed", nodes[1]["metadata"]["name"]),
        (Severity.MEDIUM, "peer-mismatch", nodes[7]["metadata"]["name"]),
        (Severity.LOW, "peer-mismatch", nodes[3]["metadata"]["name"]),
    ]
    assert result.pools == (
        PoolSummary("h100", 6, 2, None),
        PoolSummary("system", 4, 1, None),
    )


def test_notes_say_what_was_not_checked() -> None:
    bad = with_changes(
        gpu_node(0),
        annotations={"kubedrift.io/facts": "{", "kubedrift.io/facts-digest": facts_digest("{")},
    )
    result = analyze_nodes([bad, gpu_node(1), gpu_node(2)])
    assert result.notes == (
        f"agent facts ignored on 1 node (kubedrift.io/facts is not valid JSON): "
        f"{bad['metadata']['name']}",
    )


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="is given twice"):
        analyze_nodes([gpu_node(0), gpu_node(0)])
    with pytest.raises(ValueError, match="timezone-aware"):
        analyze_nodes([gpu_node(0)], now=datetime(2025, 1, 1))


def test_options_and_profiles_default_to_peers_and_rules_only() -> None:
    result = analyze_nodes(pool(3), now=NOW, options=NodeOptions(quantity_tolerance=0.05))
    assert result.findings == ()


def test_five_thousand_nodes_find_exactly_the_injected_kernels() -> None:
    """Correctness at fleet size; the time is measured by `make bench`, not asserted here."""
    nodes = [gpu_node(i) for i in range(4000)] + [cpu_node(4000 + i) for i in range(1000)]
    for i in range(0, 4000, 97):
        nodes[i] = with_changes(nodes[i], info={"kernelVersion": "5.15.0-1060-aws"})
    result = analyze_nodes(nodes, now=NOW)
    assert len(result.findings) == 42 * 2  # peer kernel + NFD label left behind

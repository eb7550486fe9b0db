"""Every drift the fleet simulator injects is found, and no clean node is reported."""

from collections import defaultdict

import pytest

from kubedrift.analysis import NodeOptions, analyze_nodes
from kubedrift.model import MISSING, Finding
from kubedrift.simulate.fleet import POOL_LABEL, Fleet, build_fleet
from kubedrift.simulate.spec import DriftKind, default_fleet_spec

# The finding each injected drift must produce: (rule, fact path).
EXPECTED: dict[DriftKind, tuple[str, str]] = {
    DriftKind.KERNEL_BUMP: ("peer-mismatch", "nodeInfo.kernelVersion"),
    DriftKind.DRIVER_MISMATCH: ("peer-mismatch", "label:nvidia.com/cuda.driver-version.full"),
    DriftKind.MISSING_GPU_TAINT: ("peer-mismatch", "taint:nvidia.com/gpu:NoSchedule"),
    DriftKind.MIG_NOT_APPLIED: ("mig-config-not-applied", "label:nvidia.com/mig.config.state"),
    DriftKind.GPU_COUNT_MISMATCH: ("gpu-count-mismatch", "capacity:nvidia.com/gpu"),
    DriftKind.GFD_LABELS_DISAGREE: ("driver-label-disagreement", "label:nvidia.com/cuda.driver.*"),
    DriftKind.DRIVER_UPGRADE_FAILED: (
        "driver-upgrade-failed",
        "label:nvidia.com/gpu-driver-upgrade-state",
    ),
    DriftKind.STALE_GFD_TIMESTAMP: ("gfd-labels-stale", "label:nvidia.com/gfd.timestamp"),
    DriftKind.CONTAINERD_SKEW: ("peer-mismatch", "nodeInfo.containerRuntimeVersion"),
    DriftKind.KUBELET_SKEW: ("peer-mismatch", "nodeInfo.kubeletVersion"),
    DriftKind.OS_IMAGE: ("peer-mismatch", "nodeInfo.osImage"),
    DriftKind.CUDA_RUNTIME_TOO_NEW: (
        "driver-too-old-for-cuda",
        "label:nvidia.com/cuda.driver-version.full",
    ),
}
# Drifts whose ground truth `expected`/`actual` are the finding's desired/live values.
SAME_VALUES = {
    DriftKind.KERNEL_BUMP,
    DriftKind.DRIVER_MISMATCH,
    DriftKind.CONTAINERD_SKEW,
    DriftKind.KUBELET_SKEW,
    DriftKind.OS_IMAGE,
    DriftKind.DRIVER_UPGRADE_FAILED,
}


@pytest.fixture(scope="module")
def large_fleet() -> Fleet:
    return build_fleet(default_fleet_spec(1000, seed=7, drift_rate=0.03))


def analysed(fleet: Fleet) -> dict[str, list[Finding]]:
    result = analyze_nodes(fleet.nodes, now=fleet.spec.now)  # default pooling: node groups
    by_node: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_node[finding.object.name].append(finding)
    return by_node


@pytest.mark.parametrize(("nodes", "drift_rate"), [(50, 0.2), (1000, 0.03)])
def test_every_injected_drift_is_found_and_no_clean_node_is_reported(
    nodes: int, drift_rate: float
) -> None:
    fleet = build_fleet(default_fleet_spec(nodes, seed=7, drift_rate=drift_rate))
    found = analysed(fleet)
    assert fleet.injected
    assert set(found) == fleet.drifted_nodes(), "a clean node was reported"
    for drift in fleet.injected:
        rule, path = EXPECTED[drift.kind]
        matches = [f for f in found[drift.node] if (f.rule, f.path) == (rule, path)]
        assert matches, f"{drift.kind.value} on {drift.node} not found: {found[drift.node]}"
        assert dict(matches[0].details)["pool"] == drift.pool
        if drift.kind in SAME_VALUES:
            live = MISSING if drift.actual is None else drift.actual
            assert (matches[0].desired, matches[0].live) == (drift.expected, live)


def test_every_drift_kind_is_exercised_by_the_larger_fleet(large_fleet: Fleet) -> None:
    assert {d.kind for d in large_fleet.injected} == set(DriftKind)


def test_one_drift_reads_as_at_most_two_findings(large_fleet: Fleet) -> None:
    """One root cause should not flood the report: the rule's finding plus, at most, the
    peer comparison's view of the same change."""
    found = analysed(large_fleet)
    for drift in large_fleet.injected:
        assert 1 <= len(found[drift.node]) <= 2, (drift.kind, found[drift.node])


def test_the_simulators_pool_label_gives_the_same_pools(large_fleet: Fleet) -> None:
    default = analyze_nodes(large_fleet.nodes, now=large_fleet.spec.now)
    explicit = analyze_nodes(
        large_fleet.nodes, options=NodeOptions(pool_label=POOL_LABEL), now=large_fleet.spec.now
    )
    assert default == explicit
    assert [p.name for p in default.pools] == sorted(p.name for p in large_fleet.spec.pools)

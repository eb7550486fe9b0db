"""Simulator options: validation, the default mix, GPU sharing shapes, the public API."""

from __future__ import annotations

from datetime import datetime

import pytest

import kubedrift.simulate as sim
from kubedrift.simulate import (
    A100_SXM4_40GB,
    G6_12XLARGE,
    G6_XLARGE,
    M7I_8XLARGE,
    P4D_24XLARGE,
    P5_48XLARGE,
    FleetSpec,
    NodeStack,
    PoolRole,
    PoolSpec,
    WorkloadSpec,
    build_fleet,
    cuda_for_driver,
    default_fleet_spec,
)


def test_public_api_is_pinned() -> None:
    assert set(sim.__all__) == {
        "A100_SXM4_40GB",
        "DEFAULT_STACK",
        "FIXED_NOW",
        "G6_12XLARGE",
        "G6_XLARGE",
        "H100_80GB_HBM3",
        "L4",
        "M7I_8XLARGE",
        "P4D_24XLARGE",
        "P5_48XLARGE",
        "POOL_LABEL",
        "DriftKind",
        "DriftSpec",
        "FieldChange",
        "Fleet",
        "FleetSpec",
        "GpuModel",
        "InjectedDrift",
        "InstanceType",
        "MigProfile",
        "NodeStack",
        "PoolRole",
        "PoolSpec",
        "SnapshotFormat",
        "WorkloadSpec",
        "build_fleet",
        "cuda_for_driver",
        "default_fleet_spec",
        "fleet_to_list",
        "write_ground_truth",
        "write_snapshot",
    }


@pytest.mark.parametrize("nodes", [*range(1, 41), 97, 1000, 5000])
def test_default_mix_sums_to_the_requested_size(nodes: int) -> None:
    spec = default_fleet_spec(nodes, drift_rate=0.05)
    assert sum(p.nodes for p in spec.pools) == nodes
    per_pool: dict[str, int] = {}
    for drift in spec.drifts:
        assert drift.pool is not None
        assert drift.kind.applies_to(spec.pool(drift.pool))
        per_pool[drift.pool] = per_pool.get(drift.pool, 0) + drift.count
    for name, count in per_pool.items():
        assert count <= spec.pool(name).drift_budget()


def test_drift_rate_zero_means_no_drift() -> None:
    assert default_fleet_spec(100, drift_rate=0).drifts == ()
    assert sum(d.count for d in default_fleet_spec(1000, drift_rate=0.01).drifts) == 10


def test_drift_rate_is_clamped_to_what_pools_can_take() -> None:
    fleet = build_fleet(default_fleet_spec(10, drift_rate=1.0))
    assert 0 < len(fleet.injected) < 5


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PoolSpec("Bad_Name", P5_48XLARGE, 1), "DNS label"),
        (lambda: PoolSpec("p", P5_48XLARGE, 0), "at least 1"),
        (lambda: PoolSpec("p", M7I_8XLARGE, 1, PoolRole.TRAINING), "need GPU"),
        (lambda: PoolSpec("p", G6_XLARGE, 1, mig_config="all-1g.5gb"), "no MIG configuration"),
        (
            lambda: PoolSpec("p", P4D_24XLARGE, 1, mig_config="all-1g.5gb", gpu_replicas=2),
            "time-slicing",
        ),
        (lambda: PoolSpec("p", P5_48XLARGE, 1, stack=NodeStack(driver="999.1.2")), "branch 999"),
        (lambda: FleetSpec(pools=(PoolSpec("p", P5_48XLARGE, 1),) * 2), "unique"),
        (lambda: FleetSpec(pools=(), now=datetime(2025, 1, 1)), "timezone"),
        (lambda: FleetSpec(pools=(PoolSpec("p", P5_48XLARGE, 1, zones=("eu-west-1a",)),)), "zones"),
        (lambda: WorkloadSpec(training_fill=1.5), "between 0 and 1"),
        (lambda: WorkloadSpec(job_nodes=()), "positive"),
        (lambda: default_fleet_spec(0), "at least one node"),
    ],
)
def test_invalid_options_are_refused(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_mig_single_strategy_labels_and_capacity() -> None:
    pool = PoolSpec("mig", P4D_24XLARGE, 3, PoolRole.INFERENCE, mig_config="all-1g.5gb")
    node = build_fleet(FleetSpec(pools=(pool,), workloads=None)).nodes[0]
    labels = node["metadata"]["labels"]
    assert labels["nvidia.com/gpu.product"] == "NVIDIA-A100-SXM4-40GB-MIG-1g.5gb"
    assert labels["nvidia.com/gpu.count"] == "56"
    assert labels["nvidia.com/gpu.memory"] == "4864"
    assert labels["nvidia.com/mig.strategy"] == "single"
    assert labels["nvidia.com/mig.config"] == "all-1g.5gb"
    assert node["status"]["capacity"]["nvidia.com/gpu"] == "56"
    assert A100_SXM4_40GB.mig_capable


def test_time_slicing_labels_and_capacity() -> None:
    pool = PoolSpec("shared", G6_12XLARGE, 3, PoolRole.INFERENCE, gpu_replicas=4)
    node = build_fleet(FleetSpec(pools=(pool,), workloads=None)).nodes[0]
    labels = node["metadata"]["labels"]
    assert labels["nvidia.com/gpu.product"] == "NVIDIA-L4-SHARED"
    assert labels["nvidia.com/gpu.replicas"] == "4"
    assert labels["nvidia.com/gpu.sharing-strategy"] == "time-slicing"
    assert labels["nvidia.com/gpu.count"] == "4"
    assert labels["nvidia.com/gpu.family"] == "ada-lovelace"
    assert "nvidia.com/mig.config" not in labels
    assert node["status"]["capacity"]["nvidia.com/gpu"] == "16"


def test_pool_stack_reaches_the_nodes() -> None:
    stack = NodeStack(kernel="6.8.0-1015-aws", driver="550.144.03", os_image="Ubuntu 24.04.1 LTS")
    pool = PoolSpec("new", P5_48XLARGE, 2, stack=stack)
    node = build_fleet(FleetSpec(pools=(pool,), workloads=None)).nodes[0]
    labels = node["metadata"]["labels"]
    assert node["status"]["nodeInfo"]["kernelVersion"] == "6.8.0-1015-aws"
    assert labels["feature.node.kubernetes.io/kernel-version.major"] == "6"
    assert labels["nvidia.com/cuda.runtime-version.full"] == "12.4"
    assert node["status"]["nodeInfo"]["osImage"] == "Ubuntu 24.04.1 LTS"


def test_cuda_for_driver() -> None:
    assert cuda_for_driver("570.133.20") == (12, 8)
    assert cuda_for_driver("535.230.02") == (12, 2)
    with pytest.raises(ValueError, match="unknown NVIDIA driver branch"):
        cuda_for_driver("123.4")

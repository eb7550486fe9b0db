"""Every drift kind: present in the data, recorded in the ground truth, nothing else moved."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from kubedrift.model import MISSING
from kubedrift.simulate import (
    DriftKind,
    DriftSpec,
    Fleet,
    FleetSpec,
    InjectedDrift,
    build_fleet,
    cuda_for_driver,
    default_fleet_spec,
)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """JSON pointer → leaf; lists are leaves."""
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, child in value.items():
        escaped = key.replace("~", "~0").replace("/", "~1")
        out |= flatten(child, f"{prefix}/{escaped}")
    return out


def resolve(node: dict[str, Any], pointer: str) -> Any:
    value: Any = node
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if part not in value:
            return MISSING
        value = value[part]
    return value


@pytest.fixture(scope="module")
def every_kind() -> tuple[FleetSpec, Fleet, Fleet]:
    """A 40-node fleet with one drift of every kind, and its clean twin (same seed)."""
    base = default_fleet_spec(40, seed=11, drift_rate=0)
    spec = dataclasses.replace(base, drifts=tuple(DriftSpec(kind) for kind in DriftKind))
    return spec, build_fleet(spec), build_fleet(base)


def by_kind(fleet: Fleet) -> dict[DriftKind, InjectedDrift]:
    return {d.kind: d for d in fleet.injected}


def node_named(fleet: Fleet, name: str) -> dict[str, Any]:
    return next(n for n in fleet.nodes if n["metadata"]["name"] == name)


def labels_of(fleet: Fleet, drift: InjectedDrift) -> dict[str, str]:
    labels: dict[str, str] = node_named(fleet, drift.node)["metadata"]["labels"]
    return labels


def test_one_drift_of_every_kind(every_kind: tuple[FleetSpec, Fleet, Fleet]) -> None:
    _, fleet, _ = every_kind
    assert sorted(d.kind.value for d in fleet.injected) == sorted(k.value for k in DriftKind)
    assert len(fleet.drifted_nodes()) == len(DriftKind)  # seeded picks never share a node


def test_changes_are_in_the_data_and_nothing_else_moved(
    every_kind: tuple[FleetSpec, Fleet, Fleet],
) -> None:
    _, fleet, clean = every_kind
    for drift in fleet.injected:
        drifted_node, clean_node = node_named(fleet, drift.node), node_named(clean, drift.node)
        assert drift.changes, drift.kind
        for change in drift.changes:
            assert resolve(drifted_node, change.pointer) == change.after, change
            assert resolve(clean_node, change.pointer) == change.before, change
        a, b = flatten(drifted_node), flatten(clean_node)
        moved = {p for p in a.keys() | b.keys() if a.get(p, MISSING) != b.get(p, MISSING)}
        assert moved == {c.pointer for c in drift.changes}, drift.kind
        assert drift.expected != drift.actual


def test_drifts_touch_only_their_own_nodes(every_kind: tuple[FleetSpec, Fleet, Fleet]) -> None:
    _, fleet, clean = every_kind
    for node, twin in zip(fleet.nodes, clean.nodes, strict=True):
        if node["metadata"]["name"] not in fleet.drifted_nodes():
            assert node == twin


def test_ground_truth_facts_match_the_data(every_kind: tuple[FleetSpec, Fleet, Fleet]) -> None:
    spec, fleet, _ = every_kind
    d = by_kind(fleet)

    kernel = node_named(fleet, d[DriftKind.KERNEL_BUMP].node)
    assert kernel["status"]["nodeInfo"]["kernelVersion"] == d[DriftKind.KERNEL_BUMP].actual
    assert (
        kernel["metadata"]["labels"]["feature.node.kubernetes.io/kernel-version.full"]
        == d[DriftKind.KERNEL_BUMP].actual
    )

    labels = labels_of(fleet, d[DriftKind.DRIVER_MISMATCH])
    old = d[DriftKind.DRIVER_MISMATCH].actual
    assert old is not None
    assert old.startswith("550.")
    assert labels["nvidia.com/cuda.driver-version.full"] == old
    assert labels["nvidia.com/cuda.driver.major"] == "550"  # old and new labels agree
    assert labels["nvidia.com/cuda.runtime-version.full"] == "12.4"

    taints = node_named(fleet, d[DriftKind.MISSING_GPU_TAINT].node)["spec"].get("taints", [])
    assert not any(t["key"] == "nvidia.com/gpu" for t in taints)

    labels = labels_of(fleet, d[DriftKind.MIG_NOT_APPLIED])
    assert labels["nvidia.com/mig.config.state"] == "failed"
    assert labels["nvidia.com/mig.config"] != "all-disabled"

    node = node_named(fleet, d[DriftKind.GPU_COUNT_MISMATCH].node)
    label_count = int(node["metadata"]["labels"]["nvidia.com/gpu.count"])
    assert int(node["status"]["capacity"]["nvidia.com/gpu"]) < label_count
    assert node["status"]["allocatable"]["nvidia.com/gpu"] == d[DriftKind.GPU_COUNT_MISMATCH].actual

    labels = labels_of(fleet, d[DriftKind.GFD_LABELS_DISAGREE])
    new = labels["nvidia.com/cuda.driver-version.full"]
    deprecated = ".".join(labels[f"nvidia.com/cuda.driver.{p}"] for p in ("major", "minor", "rev"))
    assert new != deprecated == d[DriftKind.GFD_LABELS_DISAGREE].actual

    labels = labels_of(fleet, d[DriftKind.DRIVER_UPGRADE_FAILED])
    assert labels["nvidia.com/gpu-driver-upgrade-state"] == "upgrade-failed"

    labels = labels_of(fleet, d[DriftKind.STALE_GFD_TIMESTAMP])
    stamp = int(labels["nvidia.com/gfd.timestamp"])
    assert stamp < (spec.now - timedelta(days=2)).timestamp()

    info = node_named(fleet, d[DriftKind.CONTAINERD_SKEW].node)["status"]["nodeInfo"]
    assert info["containerRuntimeVersion"] == "containerd://1.6.28"

    info = node_named(fleet, d[DriftKind.KUBELET_SKEW].node)["status"]["nodeInfo"]
    assert info["kubeletVersion"].startswith("v1.28.")
    assert info["kubeProxyVersion"] == info["kubeletVersion"]

    info = node_named(fleet, d[DriftKind.OS_IMAGE].node)["status"]["nodeInfo"]
    assert info["osImage"] == "Ubuntu 22.04.5 LTS"

    labels = labels_of(fleet, d[DriftKind.CUDA_RUNTIME_TOO_NEW])
    driver_cuda = cuda_for_driver(labels["nvidia.com/cuda.driver-version.full"])
    runtime = tuple(int(x) for x in labels["nvidia.com/cuda.runtime-version.full"].split("."))
    assert runtime > driver_cuda


def test_gpu_drifts_land_on_gpu_pools(every_kind: tuple[FleetSpec, Fleet, Fleet]) -> None:
    spec, fleet, _ = every_kind
    for drift in fleet.injected:
        assert drift.kind.applies_to(spec.pool(drift.pool))
        if drift.kind is DriftKind.MIG_NOT_APPLIED:
            gpu = spec.pool(drift.pool).gpu
            assert gpu is not None
            assert gpu.mig_capable


def test_seeded_picks_keep_a_clean_majority() -> None:
    fleet = build_fleet(default_fleet_spec(300, seed=9, drift_rate=0.2))
    for pool in fleet.spec.pools:
        drifted = [d for d in fleet.injected if d.pool == pool.name]
        assert len({d.node for d in drifted}) <= pool.drift_budget()


@pytest.mark.parametrize(
    ("drift", "message"),
    [
        (DriftSpec(DriftKind.MIG_NOT_APPLIED, pool="l4-infer"), "no node left"),
        (DriftSpec(DriftKind.KERNEL_BUMP, count=30, pool="h100-train"), "clean majority"),
        (DriftSpec(DriftKind.OS_IMAGE, nodes=("ip-1-2-3-4.nowhere",)), "no such nodes"),
    ],
)
def test_impossible_drifts_are_refused(drift: DriftSpec, message: str) -> None:
    spec = dataclasses.replace(default_fleet_spec(40, seed=1, drift_rate=0), drifts=(drift,))
    with pytest.raises(ValueError, match=message):
        build_fleet(spec)


def test_named_node_drift_must_apply() -> None:
    base = default_fleet_spec(40, seed=1, drift_rate=0)
    cpu_node = build_fleet(base).pool_nodes("cpu-system")[0]["metadata"]["name"]
    spec = dataclasses.replace(
        base, drifts=(DriftSpec(DriftKind.DRIVER_MISMATCH, nodes=(cpu_node,)),)
    )
    with pytest.raises(ValueError, match="does not apply"):
        build_fleet(spec)


def test_ground_truth_json_marks_absent_values(every_kind: tuple[FleetSpec, Fleet, Fleet]) -> None:
    _, fleet, _ = every_kind
    taint = by_kind(fleet)[DriftKind.MISSING_GPU_TAINT].to_json()
    assert taint["actual"] is None
    assert taint["changes"] == [
        {
            "pointer": "/spec/taints",
            "before": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}],
            "after": None,
            "absent": ["after"],
        }
    ]

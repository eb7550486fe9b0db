""" "Likely to drift" notices (analysis/rollout.py) on messy simulated fleets.

Healthy mixed fleets — five pools, spot and on-demand nodes, a pool on the legacy GFD label
vocabulary, a partial agent rollout — must raise nothing, whatever the seed; a pool mid
upgrade wave raises one notice per node still to go, and only in that pool.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from kubedrift.analysis.facts import node_facts
from kubedrift.analysis.options import NodeOptions
from kubedrift.analysis.rollout import rollout_notices, upgrade_waves
from kubedrift.model import Category, Severity
from kubedrift.simulate import build_fleet, default_fleet_spec

POOL = "eks.amazonaws.com/nodegroup"
DRIVER = "nvidia.com/cuda.driver-version.full"
LEGACY = (
    "nvidia.com/cuda.driver.major",
    "nvidia.com/cuda.driver.minor",
    "nvidia.com/cuda.driver.rev",
)
Node = dict[str, Any]


def fleet(seed: int, size: int = 120) -> list[Node]:
    return [
        copy.deepcopy(n)
        for n in build_fleet(default_fleet_spec(size, seed=seed, drift_rate=0.0)).nodes
    ]


def notices(nodes: list[Node], risk: dict[str, float] | None = None) -> list[Any]:
    return rollout_notices([node_facts(n) for n in nodes], NodeOptions(), risk)


def pool_of(nodes: list[Node], pool: str) -> list[Node]:
    return sorted(
        (n for n in nodes if n["metadata"]["labels"].get(POOL) == pool),
        key=lambda n: n["metadata"]["name"],
    )


def upgrade(nodes: list[Node], share: float, change: Callable[[Node], None]) -> list[str]:
    """Apply `change` to the first `share` of `nodes`; the names of the rest (still to go)."""
    cut = round(len(nodes) * share)
    for node in nodes[:cut]:
        change(node)
    return [n["metadata"]["name"] for n in nodes[cut:]]


def new_driver(node: Node) -> None:
    labels = node["metadata"]["labels"]
    labels[DRIVER] = "575.51.03"
    for key, part in zip(LEGACY, ("575", "51", "03"), strict=True):
        if key in labels:
            labels[key] = part


@pytest.mark.parametrize("seed", range(6))
def test_a_healthy_mixed_fleet_raises_nothing(seed: int) -> None:
    nodes = fleet(seed)
    labels = [n["metadata"]["labels"] for n in nodes]
    assert len({lab.get(POOL) for lab in labels}) == 5
    capacity = {lab.get("karpenter.sh/capacity-type") for lab in labels}
    assert capacity >= {"spot", "on-demand"}
    assert any(DRIVER not in lab and LEGACY[0] in lab for lab in labels)  # the old vocabulary
    assert notices(nodes) == []


def test_a_driver_wave_names_the_nodes_still_to_go_in_that_pool_only() -> None:
    nodes = fleet(1)
    h100 = pool_of(nodes, "h100-train")
    to_go = upgrade(h100, 0.4, new_driver)
    found = notices(nodes, {to_go[0]: 0.62})
    assert sorted(f.object.name for f in found) == sorted(to_go)
    first = next(f for f in found if f.object.name == to_go[0])
    assert first.category is Category.NODE
    assert first.severity is Severity.INFO
    assert first.rule == "likely-to-drift"
    assert first.path == "label:nvidia.com/cuda.driver-version.full"
    assert first.desired == "575.51.03"
    assert first.live != "575.51.03"
    assert (
        "pool h100-train is mid upgrade: 19 of 48 nodes already run NVIDIA driver" in first.message
    )
    assert to_go[1] in first.message  # the others still to go are named
    assert "predicted risk of drifting within 7 days: 62%" in first.message
    assert dict(first.details)["predicted_risk_7d"] == "0.62"
    other = next(f for f in found if f.object.name == to_go[1])
    assert "no predicted risk" in other.message


def test_the_legacy_gfd_vocabulary_is_read_for_the_driver() -> None:
    nodes = fleet(2)
    legacy = next(
        pool
        for pool in ("a100-train", "h100-train", "l4-infer", "a100-mig")
        if all(DRIVER not in n["metadata"]["labels"] for n in pool_of(nodes, pool))
    )
    members = pool_of(nodes, legacy)
    to_go = upgrade(members, 0.5, new_driver)
    assert sorted(f.object.name for f in notices(nodes)) == sorted(to_go)


def test_a_kernel_wave_is_found_and_ends_when_the_pool_agrees() -> None:
    nodes = fleet(3)
    l4 = pool_of(nodes, "l4-infer")

    def kernel(node: Node) -> None:
        node["status"]["nodeInfo"]["kernelVersion"] = "6.8.0-1012-aws"

    to_go = upgrade(l4, 0.3, kernel)
    found = notices(nodes)
    assert {f.path for f in found} == {"nodeInfo.kernelVersion"}
    assert sorted(f.object.name for f in found) == sorted(to_go)
    upgrade(l4, 1.0, kernel)  # the rest upgraded: the wave is over
    assert notices(nodes) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("6.1.0-18-amd64", "6.1.0-18-arm64"),  # two architectures, not a wave
        ("Ubuntu 22.04.4 LTS", "Bottlerocket OS 1.19.2 (aws-k8s-1.29)"),  # two distributions
        ("v1.29.3-eks-ae9a62a", "v1.29.3-eks-036c24b"),  # one kubelet, two builds
    ],
)
def test_values_that_are_not_one_version_moving_raise_nothing(old: str, new: str) -> None:
    nodes = fleet(4)
    cpu = pool_of(nodes, "cpu-system")
    field = (
        "kubeletVersion" if old.startswith("v1") else "osImage" if " " in old else "kernelVersion"
    )
    for i, node in enumerate(cpu):
        node["status"]["nodeInfo"][field] = old if i % 2 else new
    assert notices(nodes) == []


def test_a_single_node_ahead_is_a_snowflake_not_a_wave() -> None:
    nodes = fleet(5)
    h100 = pool_of(nodes, "h100-train")
    new_driver(h100[0])
    assert notices(nodes) == []
    new_driver(h100[1])
    assert len(notices(nodes)) == len(h100) - 2


def test_the_gpu_operator_upgrade_state_marks_nodes_still_to_go() -> None:
    nodes = fleet(0)
    a100 = pool_of(nodes, "a100-train")
    state = "nvidia.com/gpu-driver-upgrade-state"
    for node, value in zip(
        a100[:3], ("upgrade-required", "drain-required", "upgrade-failed"), strict=True
    ):
        node["metadata"]["labels"][state] = value
    found = notices(nodes)
    assert sorted(f.object.name for f in found) == sorted(n["metadata"]["name"] for n in a100[:2])
    assert {f.path for f in found} == {f"label:{state}"}
    waves = upgrade_waves([node_facts(n) for n in nodes], NodeOptions())
    assert [(w.pool, w.new) for w in waves] == [("a100-train", "upgrade-done")]

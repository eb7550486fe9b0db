"""Seven kinds of real clusters: healthy pools give zero findings, each real drift is found.

Regression for issue 11: on these node sets one healthy GPU node in four was flagged
(GFD timestamps, Karpenter capacity types, ENIConfigs, KubeVirt TSC labels, RKE2 control
planes pooled with GPU workers, …). Recall must not pay for it: every drift the issue
injected is still found, as one finding per cause.
"""

from __future__ import annotations

import pytest

from analysis.cloudnodes import CLOUDS, DRIFTS, NOW, applies, drifted, fleet, gfd
from kubedrift.analysis import NodeOptions, analyze_nodes
from kubedrift.model import Severity

CASES = [
    (cloud, drift)
    for cloud in CLOUDS
    for drift, (_, needs, _) in DRIFTS.items()
    if any(applies(needs, n) for n in fleet(cloud))
]


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_a_healthy_cluster_gives_zero_findings(cloud: str) -> None:
    result = analyze_nodes(fleet(cloud), now=NOW)
    assert result.findings == (), [(f.rule, f.object.name, f.path, f.live) for f in result.findings]


def test_pools_without_node_groups_split_by_role_and_gpu() -> None:
    pools = {p.name: p.nodes for p in analyze_nodes(fleet("rke2"), now=NOW).pools}
    assert pools == {"rke2/control-plane": 3, "rke2": 3, "rke2/NVIDIA-L40S-x2": 5}
    homelab = {p.name: p.nodes for p in analyze_nodes(fleet("homelab"), now=NOW).pools}
    assert homelab == {
        "unlabelled/control-plane": 1,
        "unlabelled": 2,
        "unlabelled/NVIDIA-GeForce-RTX-4090-x1": 3,
    }
    by_label = analyze_nodes(fleet("rke2"), now=NOW, options=_pool_label("kubernetes.io/os"))
    assert [(p.name, p.nodes) for p in by_label.pools] == [("linux", 11)]


def _pool_label(label: str) -> NodeOptions:
    return NodeOptions(pool_label=label)


@pytest.mark.parametrize(("cloud", "drift"), CASES)
def test_each_real_world_drift_is_found_once(cloud: str, drift: str) -> None:
    edit, needs, (rule, path) = DRIFTS[drift]
    nodes = fleet(cloud)
    index = max(i for i, n in enumerate(nodes) if applies(needs, n))
    name = nodes[index]["metadata"]["name"]
    result = analyze_nodes(drifted(nodes, index, edit), now=NOW)
    mine = [f for f in result.findings if f.object.name == name]
    assert (rule, path) in {(f.rule, f.path) for f in mine}, [(f.rule, f.path) for f in mine]
    assert len(mine) <= 2, [(f.rule, f.path) for f in mine]  # one cause, not a flood
    others = {f.object.name for f in result.findings} - {name}
    assert not others, f"healthy peers flagged: {others}"


def test_a_missing_gfd_label_family_is_one_finding_listing_the_labels() -> None:
    edit, _, _ = DRIFTS["gfd-gone"]
    nodes = drifted(fleet("eks-karpenter"), 4, edit)
    (finding,) = analyze_nodes(nodes, now=NOW).findings
    assert finding.path == "label:nvidia.com/*"
    assert isinstance(finding.desired, dict)
    assert "nvidia.com/cuda.driver-version.full" in finding.desired
    assert "nvidia.com/gpu.product" in finding.desired
    assert "GPU Feature Discovery" in finding.message


def test_no_gpu_capacity_at_all_is_as_severe_as_capacity_zero() -> None:
    edit, _, _ = DRIFTS["no-capacity"]
    (finding,) = analyze_nodes(drifted(fleet("aks"), 2, edit), now=NOW).findings
    assert finding.rule == "gpu-count-mismatch"
    assert finding.severity is Severity.HIGH


def test_a_driver_change_under_a_legacy_gfd_is_one_finding() -> None:
    """GFD before v0.15 writes the driver only as cuda.driver.{major,minor,rev} and CUDA as
    cuda.runtime.{major,minor}: one older driver must read as one finding, not five."""
    nodes = fleet("homelab")
    for i, n in enumerate(nodes[3:], start=3):
        labels = n["metadata"]["labels"]
        for key in [k for k in labels if k.startswith("nvidia.com/cuda.")]:
            del labels[key]
        labels |= {
            k: v
            for k, v in gfd(
                "NVIDIA-GeForce-RTX-4090", 1, "565.57.01", "12.7", i, legacy=True
            ).items()
            if k.startswith("nvidia.com/cuda.")
        }
    assert analyze_nodes(nodes, now=NOW).findings == ()
    labels = nodes[5]["metadata"]["labels"]
    labels |= {
        "nvidia.com/cuda.driver.major": "550",
        "nvidia.com/cuda.driver.minor": "127",
        "nvidia.com/cuda.driver.rev": "05",
        "nvidia.com/cuda.runtime.minor": "4",
    }
    (finding,) = analyze_nodes(nodes, now=NOW).findings
    assert (finding.rule, finding.path) == ("peer-mismatch", "label:nvidia.com/cuda.driver.*")
    assert "NVIDIA driver version 550.127.05" in finding.message
    assert "(565.57.01)" in finding.message

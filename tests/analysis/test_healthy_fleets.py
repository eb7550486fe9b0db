"""Healthy simulated fleets of any seed give zero node findings (issue 11).

The simulator's clean nodes vary the way real healthy peers do (`simulate.variation`):
GFD timestamps days old, reboots, zones and ENIConfigs, spot and on-demand, a legacy GFD
vocabulary on one pool, a partial agent rollout, control-plane nodes. A tool that flags
any of that on a healthy fleet cries wolf; this property pins it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubedrift.analysis import analyze_nodes
from kubedrift.simulate import build_fleet, default_fleet_spec

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    nodes=st.integers(min_value=10, max_value=120),
    agent_share=st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]),
    control_plane=st.integers(min_value=0, max_value=3),
)
def test_healthy_fleets_of_any_seed_give_zero_node_findings(
    seed: int, nodes: int, agent_share: float, control_plane: int
) -> None:
    spec = default_fleet_spec(
        nodes, seed=seed, drift_rate=0.0, now=NOW, control_plane=control_plane
    )
    fleet = build_fleet(dataclasses.replace(spec, agent_share=agent_share, workloads=None))
    result = analyze_nodes(fleet.nodes, now=NOW)
    assert result.findings == (), [(f.rule, f.object.name, f.path) for f in result.findings]


def test_the_simulated_healthy_fleet_really_varies() -> None:
    """The property above is only worth something if the healthy peers do differ."""
    fleet = build_fleet(default_fleet_spec(200, seed=11, drift_rate=0.0, now=NOW, control_plane=3))
    labels = [n["metadata"]["labels"] for n in fleet.nodes]
    stamps = {
        int(lbl["nvidia.com/gfd.timestamp"]) for lbl in labels if "nvidia.com/gfd.timestamp" in lbl
    }
    assert len(stamps) > 100
    assert min(NOW.timestamp() - s for s in stamps) > 3600, "GFD started hours or days ago"
    assert {lbl.get("karpenter.sh/capacity-type") for lbl in labels} >= {"spot", "on-demand"}
    assert len({lbl["vpc.amazonaws.com/eniConfig"] for lbl in labels}) == 3
    with_agent = sum("kubedrift.io/facts" in n["metadata"]["annotations"] for n in fleet.nodes)
    assert 0 < with_agent < len(fleet.nodes)
    assert sum("node-role.kubernetes.io/control-plane" in lbl for lbl in labels) == 3
    legacy = [lbl for lbl in labels if lbl.get("nvidia.com/mig.config") == "all-3g.20gb"]
    assert legacy
    assert all("nvidia.com/cuda.driver-version.full" not in lbl for lbl in legacy)
    assert all("nvidia.com/cuda.driver.major" in lbl for lbl in legacy)
    result = analyze_nodes(fleet.nodes, now=NOW)
    assert result.findings == ()
    # self-managed control planes carry no node group: pooled by their own instance type
    assert ("m7i.2xlarge", 3) in {(p.name, p.nodes) for p in result.pools}

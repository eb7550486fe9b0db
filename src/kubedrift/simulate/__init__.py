"""Deterministic GPU fleet simulator shared by tests, the demo and the benchmarks.

    spec = default_fleet_spec(nodes=500, seed=7, drift_rate=0.02)
    fleet = build_fleet(spec)             # nodes, workloads and drift ground truth
    write_snapshot(fleet, Path("live.json"))

Modules: `catalog` (GPU models, instance types, node stacks), `spec` (what to simulate),
`nodes` (clean Node objects), `variation` (how healthy peers really differ: times, spot,
placement labels, a partial agent rollout), `drifts` (injection and ground truth), `objects` and
`workloads` (Jobs, Deployments, ReplicaSets, Pods, PVCs and their placement), `fleet`
(`build_fleet`), `snapshot` (List files). Same spec, same bytes: all randomness comes from
seeded `random.Random` streams and the clock is `FleetSpec.now`.
"""

from kubedrift.simulate.catalog import (
    A100_SXM4_40GB,
    DEFAULT_STACK,
    G6_12XLARGE,
    G6_XLARGE,
    H100_80GB_HBM3,
    L4,
    M7I_8XLARGE,
    P4D_24XLARGE,
    P5_48XLARGE,
    GpuModel,
    InstanceType,
    MigProfile,
    NodeStack,
    cuda_for_driver,
)
from kubedrift.simulate.drifts import FieldChange, InjectedDrift
from kubedrift.simulate.fleet import POOL_LABEL, Fleet, build_fleet
from kubedrift.simulate.snapshot import (
    SnapshotFormat,
    fleet_to_list,
    write_ground_truth,
    write_snapshot,
)
from kubedrift.simulate.spec import (
    FIXED_NOW,
    DriftKind,
    DriftSpec,
    FleetSpec,
    PoolRole,
    PoolSpec,
    WorkloadSpec,
    default_fleet_spec,
)

__all__ = [
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
]

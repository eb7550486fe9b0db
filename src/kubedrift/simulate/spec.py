"""What to simulate: pools, workloads and drifts, as frozen options with documented defaults."""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kubedrift.simulate.catalog import (
    DEFAULT_STACK,
    G6_XLARGE,
    M7I_2XLARGE,
    M7I_8XLARGE,
    P4D_24XLARGE,
    P5_48XLARGE,
    GpuModel,
    InstanceType,
    NodeStack,
)

FIXED_NOW = datetime(2025, 6, 2, 12, 0, 0, tzinfo=UTC)
"""The default simulated "now": fixed, so the same spec always gives the same bytes."""

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class PoolRole(enum.Enum):
    """What runs on a pool's nodes."""

    TRAINING = "training"  # multi-node, whole-node training jobs
    INFERENCE = "inference"  # Deployments of model servers, one GPU (or MIG slice) per pod
    SYSTEM = "system"  # CPU services
    CONTROL_PLANE = "control-plane"  # self-managed API servers: no group label, tainted


class GfdVocabulary(enum.Enum):
    """Which label names the pool's GPU Feature Discovery version writes.

    `LEGACY` (GFD before v0.15, e.g. GPU operator 22.9): only the `cuda.driver.*` and
    `cuda.runtime.*` names, no `gpu.replicas` / `gpu.sharing-strategy` / `gpu.mode`.
    `CURRENT` (GFD v0.15+): both the `cuda.driver-version.*` names and the deprecated ones.
    """

    LEGACY = "legacy"
    CURRENT = "current"


class DriftKind(enum.Enum):
    """A node drift the simulator can inject; each is recorded in the ground truth."""

    KERNEL_BUMP = "kernel-bump"
    DRIVER_MISMATCH = "driver-mismatch"
    MISSING_GPU_TAINT = "missing-gpu-taint"
    MIG_NOT_APPLIED = "mig-not-applied"
    GPU_COUNT_MISMATCH = "gpu-count-mismatch"
    GFD_LABELS_DISAGREE = "gfd-labels-disagree"
    DRIVER_UPGRADE_FAILED = "driver-upgrade-failed"
    STALE_GFD_TIMESTAMP = "stale-gfd-timestamp"
    CONTAINERD_SKEW = "containerd-skew"
    KUBELET_SKEW = "kubelet-skew"
    OS_IMAGE = "os-image"
    CUDA_RUNTIME_TOO_NEW = "cuda-runtime-too-new"

    def applies_to(self, pool: PoolSpec) -> bool:
        """Whether this drift can be injected on a node of `pool`."""
        gpu = pool.instance.gpu
        if self in _ANY_NODE:
            return True
        if gpu is None:
            return False
        if self in _NEEDS_DRIVER_VERSION_LABELS and pool.gfd_vocabulary is GfdVocabulary.LEGACY:
            return False
        return gpu.mig_capable if self is DriftKind.MIG_NOT_APPLIED else True


_ANY_NODE = frozenset(
    {DriftKind.KERNEL_BUMP, DriftKind.CONTAINERD_SKEW, DriftKind.KUBELET_SKEW, DriftKind.OS_IMAGE}
)
_NEEDS_DRIVER_VERSION_LABELS = frozenset(
    {DriftKind.DRIVER_MISMATCH, DriftKind.GFD_LABELS_DISAGREE, DriftKind.CUDA_RUNTIME_TOO_NEW}
)


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """One node pool (an EKS managed node group): identical machines running one stack.

    `zones` empty means every zone of the fleet. `mig_config` is the mig-parted
    configuration every GPU is partitioned with (`all-disabled`: whole GPUs);
    `gpu_replicas` > 1 turns on time-slicing with that many replicas per GPU.
    `gfd_vocabulary`: the label names of the pool's GFD version. `capacity_types`: the
    Karpenter capacity types its nodes are launched with, one drawn per node
    (`karpenter.sh/capacity-type`); empty: no such label.
    """

    name: str
    instance: InstanceType
    nodes: int
    role: PoolRole = PoolRole.TRAINING
    zones: tuple[str, ...] = ()
    stack: NodeStack = DEFAULT_STACK
    mig_config: str = "all-disabled"
    gpu_replicas: int = 1
    gfd_vocabulary: GfdVocabulary = GfdVocabulary.CURRENT
    capacity_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _DNS_LABEL.match(self.name):
            raise ValueError(f"pool name {self.name!r} is not a DNS label")
        if self.nodes < 1:
            raise ValueError(f"pool {self.name}: nodes must be at least 1")
        if self.gpu is None and self.role not in (PoolRole.SYSTEM, PoolRole.CONTROL_PLANE):
            raise ValueError(f"pool {self.name}: {self.role.value} pools need GPU instances")
        if self.gpu is not None:
            self.gpu.mig_profile(self.mig_config)  # raises on an unknown config
        if self.gpu_replicas < 1 or (self.gpu_replicas > 1 and self.mig_config != "all-disabled"):
            raise ValueError(f"pool {self.name}: time-slicing needs replicas >= 1 and no MIG")
        self.stack.cuda()  # raises on an unknown driver branch

    @property
    def gpu(self) -> GpuModel | None:
        """The GPU model of the pool's instances, None for CPU pools."""
        return self.instance.gpu

    @property
    def gpu_units(self) -> int:
        """`nvidia.com/gpu` capacity per node: GPUs × MIG devices per GPU × replicas."""
        gpu = self.gpu
        if gpu is None:
            return 0
        profile = gpu.mig_profile(self.mig_config)
        per_gpu = profile.per_gpu if profile else 1
        return self.instance.gpus * per_gpu * self.gpu_replicas

    def drift_budget(self) -> int:
        """How many nodes may drift while a strict majority of the pool stays clean."""
        return (self.nodes - 1) // 2


@dataclass(frozen=True, slots=True)
class DriftSpec:
    """Inject `kind` on `count` seeded nodes (of `pool`, or of any pool it applies to).

    With `nodes` given, exactly those nodes drift and `count` is ignored.
    """

    kind: DriftKind
    count: int = 1
    pool: str | None = None
    nodes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkloadSpec:
    """The AI workloads placed on the fleet; GPUs are never overcommitted.

    `training_fill`: share of training-pool nodes held by training jobs;
    `inference_fill`: share of inference-pool GPU units held by model-server pods;
    `job_nodes`: the node counts multi-node training jobs are drawn from;
    `checkpoints`: one checkpoint PVC per training job;
    `services_per_system_node`: CPU service pods per system-pool node;
    `namespace_prefix`: prepended to the namespaces (ml-training, ml-inference, platform),
    to keep several simulated fleets apart on one API server.
    """

    training_fill: float = 0.8
    inference_fill: float = 0.6
    job_nodes: tuple[int, ...] = (1, 2, 4, 8, 16)
    checkpoints: bool = True
    services_per_system_node: int = 2
    namespace_prefix: str = ""

    def __post_init__(self) -> None:
        for name in ("training_fill", "inference_fill"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if not self.job_nodes or min(self.job_nodes) < 1:
            raise ValueError("job_nodes must hold positive node counts")


@dataclass(frozen=True, slots=True)
class FleetSpec:
    """A whole simulated cluster. `workloads=None` simulates nodes only.

    `agent_share`: the share of nodes (drawn per node) that run kubedrift's node agent and
    publish its facts — a rollout in progress. `now`: the simulated present; every time
    (creation, boot, GFD start, heartbeats, pod starts) is drawn relative to it.
    """

    pools: tuple[PoolSpec, ...]
    seed: int = 0
    drifts: tuple[DriftSpec, ...] = ()
    workloads: WorkloadSpec | None = field(default_factory=WorkloadSpec)
    now: datetime = FIXED_NOW
    cluster: str = "ml-prod"
    region: str = "us-east-2"
    zones: tuple[str, ...] = ("us-east-2a", "us-east-2b", "us-east-2c")
    agent_share: float = 0.6

    def __post_init__(self) -> None:
        if not 0.0 <= self.agent_share <= 1.0:
            raise ValueError(f"agent_share must be between 0 and 1, got {self.agent_share}")
        names = [p.name for p in self.pools]
        if len(set(names)) != len(names):
            raise ValueError(f"pool names must be unique: {names}")
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        for pool in self.pools:
            unknown = set(pool.zones) - set(self.zones)
            if unknown:
                raise ValueError(f"pool {pool.name}: zones {sorted(unknown)} not in the fleet")

    def pool(self, name: str) -> PoolSpec:
        """The pool called `name`; KeyError if there is none."""
        for pool in self.pools:
            if pool.name == name:
                return pool
        raise KeyError(name)

    def pool_zones(self, pool: PoolSpec) -> tuple[str, ...]:
        """The zones a pool's nodes are spread over."""
        return pool.zones or self.zones


# The default mix: (share of nodes, pool) for a fleet of any size.
_DEFAULT_MIX: tuple[tuple[float, PoolSpec], ...] = (
    (0.40, PoolSpec("h100-train", P5_48XLARGE, 1, PoolRole.TRAINING, zones=("us-east-2a",))),
    (0.15, PoolSpec("a100-train", P4D_24XLARGE, 1, PoolRole.TRAINING, zones=("us-east-2b",))),
    (
        0.05,
        PoolSpec(
            "a100-mig",
            P4D_24XLARGE,
            1,
            PoolRole.INFERENCE,
            stack=dataclasses.replace(DEFAULT_STACK, nfd_version="v0.10.1"),
            mig_config="all-3g.20gb",
            gfd_vocabulary=GfdVocabulary.LEGACY,  # an older operator on this pool
        ),
    ),
    (
        0.25,
        PoolSpec(
            "l4-infer",
            G6_XLARGE,
            1,
            PoolRole.INFERENCE,
            capacity_types=("on-demand", "spot"),
        ),
    ),
    (0.15, PoolSpec("cpu-system", M7I_8XLARGE, 1, PoolRole.SYSTEM)),
)


def default_fleet_spec(
    nodes: int,
    seed: int = 0,
    drift_rate: float = 0.01,
    *,
    now: datetime = FIXED_NOW,
    control_plane: int = 0,
) -> FleetSpec:
    """A realistic mix of H100, A100 (whole and MIG), L4 and CPU pools summing to `nodes`.

    `control_plane` > 0 adds that many self-managed control-plane nodes (no node-group
    label, the control-plane role label and taint), on top of `nodes`.

    About `drift_rate` × `nodes` drifts (at least one when the rate is positive) are
    spread over the drift kinds in a fixed order and over the pools they apply to, never
    more than a pool's `drift_budget()`, so each pool keeps a clean majority.
    """
    if nodes < 1:
        raise ValueError("a fleet needs at least one node")
    if not 0.0 <= drift_rate <= 1.0:
        raise ValueError(f"drift_rate must be between 0 and 1, got {drift_rate}")
    counts = _apportion(nodes, [share for share, _ in _DEFAULT_MIX])
    pools = tuple(
        _with_nodes(pool, n) for n, (_, pool) in zip(counts, _DEFAULT_MIX, strict=True) if n > 0
    )
    wanted = max(1, round(nodes * drift_rate)) if drift_rate > 0 else 0
    drifts = _spread_drifts(pools, wanted)
    if control_plane:
        pools += (PoolSpec("control-plane", M7I_2XLARGE, control_plane, PoolRole.CONTROL_PLANE),)
    return FleetSpec(pools=pools, seed=seed, drifts=drifts, now=now)


def _with_nodes(pool: PoolSpec, nodes: int) -> PoolSpec:
    return dataclasses.replace(pool, nodes=nodes)


def _apportion(total: int, shares: list[float]) -> list[int]:
    """Largest-remainder apportionment of `total` by `shares` (ties go to the earlier share)."""
    exact = [total * s / sum(shares) for s in shares]
    counts = [int(x) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _spread_drifts(pools: tuple[PoolSpec, ...], wanted: int) -> tuple[DriftSpec, ...]:
    """Assign `wanted` drifts, kind by kind, to the applicable pool with the most budget left."""
    budget = {p.name: p.drift_budget() for p in pools}
    per_pair: dict[tuple[DriftKind, str], int] = {}
    kinds = list(DriftKind)
    placed, misses, i = 0, 0, 0
    while placed < wanted and misses < len(kinds):
        kind = kinds[i % len(kinds)]
        i += 1
        open_pools = [p for p in pools if kind.applies_to(p) and budget[p.name] > 0]
        if not open_pools:
            misses += 1
            continue
        misses = 0
        pool = max(open_pools, key=lambda p: budget[p.name])
        budget[pool.name] -= 1
        per_pair[(kind, pool.name)] = per_pair.get((kind, pool.name), 0) + 1
        placed += 1
    return tuple(DriftSpec(kind, n, pool) for (kind, pool), n in per_pair.items())

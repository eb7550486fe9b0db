"""The switches of node analysis, in one frozen object with documented defaults."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from kubedrift.analysis.identity import IDENTITY_PATTERNS

INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
DEFAULT_GROUP_LABELS = (
    "eks.amazonaws.com/nodegroup",
    "karpenter.sh/nodepool",
    "cloud.google.com/gke-nodepool",
    "kubernetes.azure.com/agentpool",
)
UNLABELLED_POOL = "unlabelled"

DEFAULT_EXCLUDED_FACTS: tuple[str, ...] = IDENTITY_PATTERNS
"""Facts that differ between healthy peers by nature: the reviewed table in
`analysis.identity`, with the source of each entry. Names, addresses, providerID, podCIDR,
conditions, images and annotations other than the agent's are never read as facts at all."""


@dataclass(frozen=True, slots=True)
class FactIgnore:
    """A user's node-fact ignore: fnmatch `facts` (case-insensitive), in `pools` (globs of
    pool names; empty: every pool). Ignored facts are not compared with peers and no
    finding about them is reported in those pools."""

    facts: tuple[str, ...]
    pools: tuple[str, ...] = ()

    def applies_to(self, pool: str) -> bool:
        """Whether this ignore covers the pool called `pool`."""
        return not self.pools or any(fnmatch.fnmatchcase(pool, p) for p in self.pools)


@dataclass(frozen=True, slots=True)
class NodeOptions:
    """How nodes are pooled, compared with peers and checked by the GPU rules.

    `pool_label`: pool nodes by exactly this label (nodes without it form one pool
    `unlabelled`). None (the default) pools automatically: by node group where a node
    has one of `group_labels` (EKS managed node group, Karpenter NodePool, GKE node pool,
    AKS agent pool), else by instance type (`instance_type_labels`, first present). Node
    groups come first because two groups of one instance type can be configured
    differently on purpose (MIG and whole-GPU A100s) and are not each other's snowflakes;
    a group that spans several instance types is split by them (`default/p5.48xlarge`).
    `majority_threshold`: a value is a pool's majority only when held by strictly more than
    this share of the pool (0.5: more than half); otherwise the pool is split on that fact.
    `quantity_tolerance`: relative difference within which `tolerant_resources` (capacity
    and allocatable) count as equal, e.g. 2% for memory the kernel reserves unevenly.
    `excluded_facts`: fnmatch patterns of facts never compared with peers (profiles and
    GPU rules still see them); add to `DEFAULT_EXCLUDED_FACTS` rather than replace it.
    `fact_ignores`: the user's ignores (`KubedriftConfig.ignoreNodeFacts`), per pool.
    Without a group label, nodes are also split by role (control plane or worker) and by
    GPU product and count, so that a kubeadm, RKE2 or k3s cluster whose nodes all carry
    one instance type (`rke2`, `k3s`) or none does not compare its control plane with its
    GPU workers.
    """

    pool_label: str | None = None
    group_labels: tuple[str, ...] = DEFAULT_GROUP_LABELS
    instance_type_labels: tuple[str, ...] = INSTANCE_TYPE_LABELS
    majority_threshold: float = 0.5
    quantity_tolerance: float = 0.02
    tolerant_resources: tuple[str, ...] = ("memory", "ephemeral-storage")
    excluded_facts: tuple[str, ...] = DEFAULT_EXCLUDED_FACTS
    fact_ignores: tuple[FactIgnore, ...] = ()

    def __post_init__(self) -> None:
        if not 0.5 <= self.majority_threshold < 1.0:
            raise ValueError(
                f"majority_threshold must be in [0.5, 1), got {self.majority_threshold}"
            )
        if not 0.0 <= self.quantity_tolerance < 1.0:
            raise ValueError(f"quantity_tolerance must be in [0, 1), got {self.quantity_tolerance}")

    def pool_labels(self) -> tuple[str, ...]:
        """Every label that can name a node's pool, for messages."""
        if self.pool_label:
            return (self.pool_label,)
        return (*self.group_labels, *self.instance_type_labels)

"""The switches of node analysis, in one frozen object with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

INSTANCE_TYPE_LABELS = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
DEFAULT_GROUP_LABELS = (
    "eks.amazonaws.com/nodegroup",
    "karpenter.sh/nodepool",
    "cloud.google.com/gke-nodepool",
    "kubernetes.azure.com/agentpool",
)
UNLABELLED_POOL = "unlabelled"

# Facts that differ between healthy peers by nature (fnmatch patterns, matched
# case-insensitively): identities, topology, timestamps, and state machines that have
# their own GPU rules. Names, addresses, providerID, podCIDR, conditions, images and
# annotations other than the agent's are never read as facts at all.
DEFAULT_EXCLUDED_FACTS: tuple[str, ...] = (
    "nodeInfo.machineID",
    "nodeInfo.systemUUID",
    "nodeInfo.bootID",
    "label:kubernetes.io/hostname",
    "label:topology.*",  # topology.kubernetes.io/zone, topology.k8s.aws/zone-id, …
    "label:failure-domain.*",
    "label:nvidia.com/gfd.timestamp",  # rule gfd-labels-stale
    "label:nvidia.com/gpu.clique",  # the NVLink domain: differs per rack by design
    "label:nvidia.com/mig.config.state",  # rule mig-config-not-applied
    "label:nvidia.com/gpu-driver-upgrade-state",  # rule driver-upgrade-failed; moves in rollouts
    "taint:node.kubernetes.io/*",  # not-ready, unreachable, unschedulable, pressure: state
    "taint:node.cloudprovider.kubernetes.io/*",
    "taint:ToBeDeletedByClusterAutoscaler:*",
    "taint:DeletionCandidateOfClusterAutoscaler:*",
    "agent:*uuid*",
    "agent:*serial*",
    "agent:*bootid*",
    "agent:*boot_id*",
    # kubedrift.agent.names.NATURALLY_UNIQUE_FACTS (the agent layer may not be imported here)
    "agent:kernel.cmdline",
    "agent:kernel.param.root",
    "agent:kernel.param.resume",
    "agent:kernel.param.ip",
    "agent:kernel.param.hostname",
    "agent:kernel.param.*uuid*",
    "agent:kernel.param.systemd.machine_id",
    "agent:kernel.param.rd.lvm.*",
    "agent:kernel.param.cryptdevice",
    "agent:nvml.gpu.*.uuid",
    "agent:file.kubelet-kubeconfig.sha256",
    "agent:file.cdi-*",
)


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
    `gfd_stale_after`: GPU Feature Discovery relabels every 60 s by default; labels older
    than this (relative to the `now` given to `analyze_nodes`) are stale.
    `excluded_facts`: fnmatch patterns of facts never compared with peers (profiles and
    GPU rules still see them); add to `DEFAULT_EXCLUDED_FACTS` rather than replace it.
    """

    pool_label: str | None = None
    group_labels: tuple[str, ...] = DEFAULT_GROUP_LABELS
    instance_type_labels: tuple[str, ...] = INSTANCE_TYPE_LABELS
    majority_threshold: float = 0.5
    quantity_tolerance: float = 0.02
    tolerant_resources: tuple[str, ...] = ("memory", "ephemeral-storage")
    gfd_stale_after: timedelta = timedelta(hours=1)
    excluded_facts: tuple[str, ...] = DEFAULT_EXCLUDED_FACTS

    def __post_init__(self) -> None:
        if not 0.5 <= self.majority_threshold < 1.0:
            raise ValueError(
                f"majority_threshold must be in [0.5, 1), got {self.majority_threshold}"
            )
        if not 0.0 <= self.quantity_tolerance < 1.0:
            raise ValueError(f"quantity_tolerance must be in [0, 1), got {self.quantity_tolerance}")
        if self.gfd_stale_after <= timedelta(0):
            raise ValueError("gfd_stale_after must be positive")

    def pool_labels(self) -> tuple[str, ...]:
        """Every label that can name a node's pool, for messages."""
        if self.pool_label:
            return (self.pool_label,)
        return (*self.group_labels, *self.instance_type_labels)

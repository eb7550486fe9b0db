"""The reviewed table of facts that differ between healthy peers: identities, not configuration.

Peer comparison flags a node whose fact differs from its pool's majority. Some facts differ
on every healthy node by nature — a name, a zone, a spot/on-demand choice, a timestamp, a
per-subnet setting — and flagging them would bury real drift (issue 11: one healthy GPU
node in four was reported). Each entry below is an fnmatch pattern over fact names
(matched case-insensitively), the component that writes the fact, and why it is per node.
Profiles and GPU rules still read these facts; only the peer comparison skips them.

Review rule: an entry names its source; a fact that two healthy nodes of one node group
*can* legitimately disagree on belongs here, a fact that they must agree on does not
(a driver, a kernel, a taint, an OS image: those are what kubedrift exists to compare).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IdentityFact:
    """One pattern of per-node facts, with who writes them and why they differ per node."""

    pattern: str
    source: str
    why: str


IDENTITY_FACTS: tuple[IdentityFact, ...] = (
    # --- Kubernetes itself -------------------------------------------------------------
    IdentityFact("nodeInfo.machineID", "kubelet (NodeSystemInfo)", "/etc/machine-id"),
    IdentityFact("nodeInfo.systemUUID", "kubelet (NodeSystemInfo)", "SMBIOS UUID"),
    IdentityFact("nodeInfo.bootID", "kubelet (NodeSystemInfo)", "changes on every boot"),
    IdentityFact("label:kubernetes.io/hostname", "kubelet (well-known labels)", "the host name"),
    IdentityFact(
        "label:topology.*",
        "cloud controllers, CSI drivers (topology.kubernetes.io/zone, topology.k8s.aws/"
        "zone-id, topology.k8s.aws/network-node-layer-*, topology.gke.io/zone, "
        "topology.disk.csi.azure.com/zone, topology.ebs.csi.aws.com/zone)",
        "zone, region and network placement: pools span zones on purpose",
    ),
    IdentityFact("label:failure-domain.*", "deprecated zone/region labels", "placement"),
    IdentityFact(
        "taint:node.kubernetes.io/*",
        "node lifecycle controller",
        "not-ready, unreachable, unschedulable, pressure: state, not configuration",
    ),
    IdentityFact("taint:node.cloudprovider.kubernetes.io/*", "cloud controller", "state"),
    IdentityFact("taint:ToBeDeletedByClusterAutoscaler:*", "cluster-autoscaler", "scale-down"),
    IdentityFact(
        "taint:DeletionCandidateOfClusterAutoscaler:*", "cluster-autoscaler", "scale-down"
    ),
    # --- Provisioners: spot/on-demand and per-instance names --------------------------------
    IdentityFact(
        "label:karpenter.sh/capacity-type",
        "Karpenter (well-known labels)",
        "spot or on-demand is chosen per NodeClaim at launch",
    ),
    IdentityFact(
        "label:karpenter.sh/nodeclaim",
        "Karpenter (the NodeClaim name tag, mirrored as a label by some set-ups)",
        "one NodeClaim per node",
    ),
    IdentityFact("label:karpenter.sh/initialized", "Karpenter", "lifecycle state"),
    IdentityFact("label:karpenter.sh/registered", "Karpenter", "lifecycle state"),
    IdentityFact("label:eks.amazonaws.com/capacityType", "EKS managed node groups", "spot"),
    IdentityFact("label:node.kubernetes.io/lifecycle", "eksctl/kops (spot or normal)", "spot"),
    IdentityFact("label:cloud.google.com/gke-spot", "GKE", "spot VMs in a node pool"),
    IdentityFact("label:cloud.google.com/gke-preemptible", "GKE", "preemptible VMs"),
    IdentityFact("label:kubernetes.azure.com/scalesetpriority", "AKS", "spot scale sets"),
    IdentityFact(
        "label:vpc.amazonaws.com/eniconfig",
        "AWS VPC CNI custom networking (ENIConfig per availability zone)",
        "the ENIConfig named after the node's zone or subnet",
    ),
    IdentityFact("label:k8s.amazonaws.com/eniconfig", "AWS VPC CNI (older key)", "per zone"),
    IdentityFact(
        "label:kubernetes.azure.com/network-subnet", "AKS (Azure CNI)", "the node's subnet"
    ),
    IdentityFact("label:kubernetes.azure.com/nodenetwork-vnetguid", "AKS", "per VNet"),
    IdentityFact("label:kubernetes.azure.com/podnetwork-*", "AKS (dynamic pod IPs)", "subnet"),
    IdentityFact("label:alpha.eksctl.io/instance-id", "eksctl", "the EC2 instance id"),
    IdentityFact("label:node.k8s.amazonaws.com/instance-id", "EKS", "the EC2 instance id"),
    IdentityFact("label:rke.cattle.io/machine", "Rancher/RKE2 (machine UID)", "per machine"),
    IdentityFact("label:cluster.x-k8s.io/*", "Cluster API", "machine and deployment names"),
    IdentityFact(
        "label:*tsc-frequency*",
        "KubeVirt virt-handler (cpu-timer.node.kubevirt.io/tsc-frequency, "
        "scheduling.node.kubevirt.io/tsc-frequency-<Hz>)",
        "the TSC frequency each CPU measured at boot differs by a few kHz",
    ),
    IdentityFact("label:kubevirt.io/heartbeat", "KubeVirt virt-handler", "a timestamp"),
    # --- GPU stack: per-node state with a rule of its own -----------------------------------
    IdentityFact(
        "label:nvidia.com/gfd.timestamp",
        "GPU Feature Discovery (written once per process start)",
        "when GFD started on the node; rule gfd-labels-stale reads it",
    ),
    IdentityFact(
        "label:nvidia.com/gpu.clique", "GPU Feature Discovery", "the NVLink domain, per rack"
    ),
    IdentityFact(
        "label:nvidia.com/mig.config.state",
        "GPU operator mig-manager",
        "moves while repartitioning; rule mig-config-not-applied",
    ),
    IdentityFact(
        "label:nvidia.com/gpu-driver-upgrade-state",
        "GPU operator upgrade controller",
        "moves through a rollout; rule driver-upgrade-failed",
    ),
    # --- kubedrift's agent: machine, disk and GPU identities ---------------------------------
    IdentityFact("agent:*uuid*", "kubedrift agent", "hardware identities"),
    IdentityFact("agent:*serial*", "kubedrift agent", "hardware identities"),
    IdentityFact("agent:*bootid*", "kubedrift agent", "per boot"),
    IdentityFact("agent:*boot_id*", "kubedrift agent", "per boot"),
    IdentityFact("agent:host.boot_time", "kubedrift agent", "per boot; gfd-labels-stale reads it"),
    # kubedrift.agent.names.NATURALLY_UNIQUE_FACTS (the agent layer may not be imported here)
    *(
        IdentityFact("agent:" + p, "kubedrift agent (NATURALLY_UNIQUE_FACTS)", "per machine")
        for p in (
            "kernel.cmdline",
            "kernel.param.root",
            "kernel.param.resume",
            "kernel.param.ip",
            "kernel.param.hostname",
            "kernel.param.*uuid*",
            "kernel.param.systemd.machine_id",
            "kernel.param.rd.lvm.*",
            "kernel.param.cryptdevice",
            "nvml.gpu.*.uuid",
            "file.kubelet-kubeconfig.sha256",
            "file.cdi-*",
        )
    ),
)
"""The default identity table; `NodeOptions.excluded_facts` starts from its patterns."""

IDENTITY_PATTERNS: tuple[str, ...] = tuple(e.pattern for e in IDENTITY_FACTS)

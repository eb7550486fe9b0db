"""The rule catalogue: what each rule checks, on what evidence, resting on which upstream facts.

One `RuleDoc` per member of `model.rules`; `docs/rules.md` is `render_markdown()` of this
table (`scripts/gen_rules_doc.py` writes it, and a test fails when the file and the code
disagree). The prose comes from the docstrings of the modules named in `module`, which
remain the detailed account; the sources are the upstream code and documents those
docstrings cite. `severity` is the base severity as the rule emits it: a node finding under
a running multi-node job rises one step for facts that can break the job
(`analysis.impact`), and `KubedriftConfig.rules` may set another.
"""

# ruff: noqa: E501  (a table of prose: one cell per string reads better than split lines)

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kubedrift.model.findings import Category
from kubedrift.model.rules import (
    ALL_RULES,
    AccessRule,
    NodeRule,
    ObjectRule,
    RemedyRule,
    RuleId,
    WorkloadRule,
)

__all__ = ["CATALOGUE", "RuleDoc", "render_markdown"]


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """One rule as the catalogue shows it."""

    rule: RuleId
    category: Category
    severity: str
    checks: str
    evidence: str
    sources: tuple[str, ...]
    module: str


_O, _N, _W = Category.OBJECT, Category.NODE, Category.WORKLOAD
_PATH_SEVERITY = "by path (above)"
_MANAGED = "kubernetes-sigs/structured-merge-diff `merge.Updater` (what a manager's set owns)"
_KUBECTL = "kubernetes/kubectl `pkg/cmd/apply/apply.go` and per-command field managers"
_GFD = "NVIDIA/k8s-device-plugin `internal/lm` (GPU Feature Discovery labels)"
_GFD_START = (
    "NVIDIA/k8s-device-plugin `cmd/gpu-feature-discovery/main.go`, `internal/lm/timestamp.go`"
)
_OPERATOR = "NVIDIA GPU operator: mig-manager `mig.config.state`, driver upgrade controller"
_CUDA = "NVIDIA CUDA Toolkit Release Notes, Tables 2 and 3 (https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/)"
_DEVICE_PLUGIN = "Kubernetes device plugins (https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/device-plugins/)"
_IDENTITY = (
    "`analysis/identity.py`: node-group labels of EKS, Karpenter, GKE, AKS and per-node identities"
)
_VELERO = "Velero Schedule and Backup API types (https://velero.io/docs/v1.12/api-types/schedule/), label `velero.io/schedule-name`"
_KUEUE = "Kueue Workload admission (`status.admission`, conditions `QuotaReserved`/`Admitted`)"
_DRAIN = "kubernetes/kubectl `pkg/drain/filters.go`"

_DOCS: tuple[RuleDoc, ...] = (
    RuleDoc(
        ObjectRule.OBJECT_MISSING,
        _O,
        "high",
        "a desired object is absent from the cluster (or from a snapshot that holds its kind)",
        "no live object with its apiVersion, kind, namespace and name; the kind found elsewhere is named",
        ("kubectl namespace defaulting (`-n`, context, `default`)",),
        "diff/engine.py",
    ),
    RuleDoc(
        ObjectRule.FIELD_CHANGED,
        _O,
        _PATH_SEVERITY,
        "a field desired sets has another value live",
        "normalised values differ (quantities by value, merge-key lists by key); manager from `managedFields`",
        (_MANAGED, "Kubernetes `patchMergeKey`/`listMapKeys` markers (`diff/merge_keys.py`)"),
        "diff/compare.py",
    ),
    RuleDoc(
        ObjectRule.FIELD_MISSING,
        _O,
        _PATH_SEVERITY,
        "a field desired sets (non-empty) is absent live",
        "absent live; who removed it is `unknown` with `removed_after` and `writers_since`",
        (_MANAGED,),
        "diff/compare.py, diff/attribution.py",
    ),
    RuleDoc(
        ObjectRule.FIELD_REMOVED,
        _O,
        _PATH_SEVERITY,
        "a field our last apply set, since removed from desired, is still live",
        "the last-applied annotation or our applier's server-side `Apply` entry holds it",
        (_KUBECTL, "kubectl `last-applied-configuration` annotation"),
        "diff/three_way.py",
    ),
    RuleDoc(
        ObjectRule.LIST_ITEM_MISSING,
        _O,
        _PATH_SEVERITY,
        "an element of a keyed list (containers, env, ports, volumes) is desired and not live",
        "matched by merge key, not position",
        ("Kubernetes `patchMergeKey`/`listMapKeys` markers of `k8s.io/api`",),
        "diff/compare.py",
    ),
    RuleDoc(
        ObjectRule.LIST_ITEM_EXTRA,
        _O,
        _PATH_SEVERITY,
        "an element of an atomic (set) list is live and not desired",
        "the list is replaced whole by an apply, so a live-only element is drift",
        ("apiserver `RepackSubsets` (Endpoints), toleration matching",),
        "diff/compare.py",
    ),
    RuleDoc(
        ObjectRule.LIST_ORDER_CHANGED,
        _O,
        _PATH_SEVERITY,
        "a keyed list whose order is behaviour (init containers) is reordered",
        "same keys, another order",
        ("Kubernetes init containers run in order",),
        "diff/compare.py",
    ),
    RuleDoc(
        ObjectRule.FIELD_ADDED,
        _O,
        _PATH_SEVERITY,
        "a field desired does not mention that a person or unknown client set live",
        "a `managedFields` entry of a person's manager (`kubectl-edit`, `-patch`, `-set`, a script's `Update`) owns it",
        (_KUBECTL, _MANAGED),
        "diff/additions.py, diff/managers.py",
    ),
    RuleDoc(
        ObjectRule.DEFAULT_OVERRIDDEN,
        _O,
        _PATH_SEVERITY,
        "desired leaves a field to its API default and a person set another value",
        "as `field-added`, and the field has an unconditional API default (shown as desired)",
        ("`k8s.io/kubernetes/pkg/apis/*/v1/defaults.go`",),
        "diff/additions.py, diff/api_defaults.py",
    ),
    RuleDoc(
        ObjectRule.FIELD_NOT_SERVED,
        _O,
        "info",
        "a desired field the apiserver accepted and dropped (newer than the server, or gated off)",
        "absent live, yet still owned exactly by our applier's `managedFields` entry",
        ("Service strategy `dropServiceDisabledFields` (1.20)", _MANAGED),
        "diff/not_served.py",
    ),
    RuleDoc(
        NodeRule.PROFILE_MISMATCH,
        _N,
        "the expectation's, else the profile's (default medium)",
        "a node fails an expectation of a `NodeProfile` that selects it",
        "the node's fact (`nodeInfo.*`, `label:`, `taint:`, `capacity:`, `agent:`) against the matcher",
        ("`metav1.LabelSelector` semantics", "RE2 (linear-time regexes)"),
        "analysis/profile_check.py",
    ),
    RuleDoc(
        NodeRule.PROFILE_OVERLAP,
        _N,
        "low",
        "more than one NodeProfile selects the node",
        "the profiles' selectors",
        ("`metav1.LabelSelector` semantics",),
        "analysis/profile_check.py",
    ),
    RuleDoc(
        NodeRule.PROFILE_UNMATCHED_GPU_NODE,
        _N,
        "low",
        "profiles were given, yet none selects this GPU node",
        "GPU capacity or GPU labels and no selecting profile",
        (_GFD,),
        "analysis/profile_check.py",
    ),
    RuleDoc(
        NodeRule.PEER_MISMATCH,
        _N,
        "high for the GPU stack, medium for node software, else low",
        "a node's fact differs from the strict majority of its pool",
        "the pool's value counts (absence counts); identities and restated facts skipped",
        (_IDENTITY, _GFD),
        "analysis/peers.py",
    ),
    RuleDoc(
        NodeRule.PEER_TIE,
        _N,
        "low",
        "a pool split evenly on a fact: no side picked",
        "the two most common values held by as many nodes each",
        (_IDENTITY,),
        "analysis/peers.py",
    ),
    RuleDoc(
        NodeRule.PEER_SPLIT,
        _N,
        "low",
        "a pool split on a fact without a majority",
        "no value above the majority threshold",
        (_IDENTITY,),
        "analysis/peers.py",
    ),
    RuleDoc(
        NodeRule.NO_CONSENSUS,
        _N,
        "medium",
        "every node of a pool of 3 or more runs a different kernel, OS image, runtime or kubelet",
        "one distinct value per node on a node-software fact",
        (_IDENTITY,),
        "analysis/peers.py",
    ),
    RuleDoc(
        NodeRule.GPU_COUNT_MISMATCH,
        _N,
        "high when fewer GPUs are advertised than labelled (or none); medium when more",
        "GFD's `gpu.count` × `gpu.replicas` against `capacity[nvidia.com/gpu]`",
        "labels and capacity; skipped under the MIG `mixed` strategy",
        (_GFD, _DEVICE_PLUGIN),
        "analysis/gpu_rules.py",
    ),
    RuleDoc(
        NodeRule.GPU_UNHEALTHY,
        _N,
        "high",
        "GPUs the device plugin reports unhealthy",
        "allocatable `nvidia.com/gpu` below capacity (the kubelet counts unhealthy devices in capacity only)",
        (_DEVICE_PLUGIN,),
        "analysis/gpu_rules.py",
    ),
    RuleDoc(
        NodeRule.MIG_CONFIG_NOT_APPLIED,
        _N,
        "high when failed; medium when the layout differs; low while pending",
        "the mig-manager's desired layout against its state and GFD's product",
        "`nvidia.com/mig.config`, `mig.config.state`, `gpu.product`",
        (_OPERATOR, _GFD),
        "analysis/gpu_rules.py",
    ),
    RuleDoc(
        NodeRule.DRIVER_LABEL_DISAGREEMENT,
        _N,
        "medium",
        "GFD's deprecated and current driver labels, or the labels and what the node agent read, disagree",
        "`cuda.driver.*` vs `cuda.driver-version.*`; agent NVML driver and CUDA, loaded module version",
        (_GFD, "NVML `nvmlSystemGetDriverVersion`"),
        "analysis/gpu_rules.py",
    ),
    RuleDoc(
        NodeRule.DRIVER_TOO_OLD_FOR_CUDA,
        _N,
        "medium; high below minor-version compatibility",
        "the driver is below NVIDIA's minimum for the CUDA version the node reports",
        "`cuda.driver-version.full` against the CUDA runtime label",
        (_CUDA, _GFD),
        "analysis/gpu_rules.py, analysis/cuda.py",
    ),
    RuleDoc(
        NodeRule.DRIVER_UPGRADE_FAILED,
        _N,
        "high",
        "the GPU operator's driver upgrade failed on the node",
        "`nvidia.com/gpu-driver-upgrade-state` is `upgrade-failed`",
        (_OPERATOR,),
        "analysis/gpu_rules.py",
    ),
    RuleDoc(
        NodeRule.GFD_LABELS_STALE,
        _N,
        "medium",
        "GPU Feature Discovery's labels describe a past state of the node (never the label's age alone)",
        "host booted after GFD started (agent `host.boot_time`), GFD switched off with labels left, or NVML contradicts GFD",
        (_GFD_START,),
        "analysis/gpu_rules.py",
    ),
    RuleDoc(
        NodeRule.KERNEL_CHANGED_SINCE_DRIVER,
        _N,
        "medium (NFD label); high (agent: driver built for another kernel)",
        "on a GPU node, the running kernel differs from the one the labels or the driver were made for",
        "NFD `kernel-version.full`, agent driver build kernel, `nodeInfo.kernelVersion`",
        ("Node Feature Discovery kernel labels", _GFD),
        "analysis/gpu_rules.py",
    ),
    RuleDoc(
        NodeRule.LIKELY_TO_DRIFT,
        _N,
        "info (a notice, not drift)",
        "a node of a pool mid upgrade wave (two versions of one flavour, at least two nodes already on the newer), "
        "or a node the GPU operator's upgrade controller has yet to upgrade; a workload rolling out with a drift history",
        "driver/kernel/OS image/kubelet/runtime versions within one pool; `nvidia.com/gpu-driver-upgrade-state`; "
        "the predicted risk when `watch --predict` forecasts",
        ("NVIDIA cloud-native-docs `gpu-operator/gpu-driver-upgrades.rst`", _OPERATOR, _GFD),
        "analysis/rollout.py, analysis/rollout_workloads.py",
    ),
    RuleDoc(
        WorkloadRule.ON_DRIFTED_NODE,
        _W,
        "the highest node finding under it; one step higher across several nodes",
        "a running workload with a pod on a drifted node",
        "pods walked up `ownerReferences`; GPUs and GPU-hours",
        (_DRAIN,),
        "analysis/impact.py",
    ),
    RuleDoc(
        WorkloadRule.MULTI_NODE_INCONSISTENT,
        _W,
        "high",
        "a job on two nodes or more whose nodes disagree on driver, CUDA, kernel or GPU product",
        "the nodes' facts; the odd nodes are those node analysis flagged, else the job's strict majority",
        (_GFD,),
        "analysis/workload_rules.py",
    ),
    RuleDoc(
        WorkloadRule.GANG_BELOW_MINIMUM,
        _W,
        "high",
        "a gang running with some, but fewer than its minimum, members",
        "PodGroup `minMember`, JobSet/LeaderWorkerSet/PyTorchJob replicas, Kueue podSets against running pods",
        (
            "Volcano and scheduler-plugins PodGroup",
            "JobSet, LeaderWorkerSet, Kubeflow PyTorchJob",
            _KUEUE,
        ),
        "analysis/gangs.py",
    ),
    RuleDoc(
        WorkloadRule.QUOTA_WITHOUT_PODS,
        _W,
        "high when it reserves GPUs, else medium",
        "a Kueue workload holding quota with no running pod after a grace period",
        "`status.admission`, condition `Admitted`/`QuotaReserved`, the owner's pods",
        (_KUEUE,),
        "analysis/gangs.py",
    ),
    RuleDoc(
        WorkloadRule.PVC_NOT_BACKED_UP,
        _W,
        "high when no schedule covers it; medium when backups are late or failed",
        "a PVC mounted by a running training pod that Velero does not protect",
        "Schedules' templates (namespaces, resources, label selector) and the last finished Backup's phase and age",
        (_VELERO,),
        "analysis/backups.py, analysis/cron.py",
    ),
    RuleDoc(
        WorkloadRule.MUTABLE_IMAGE,
        _W,
        "medium",
        "a GPU workload runs an image by `:latest` or no tag, without a digest",
        "the pods' `spec.containers[].image`",
        ("Kubernetes image names and `imagePullPolicy`",),
        "analysis/workload_rules.py",
    ),
    RuleDoc(
        WorkloadRule.GPU_POD_WITHOUT_GPU_LIMIT,
        _W,
        "medium",
        "a pod tolerating the GPU taint on a GPU node declares no GPU",
        "no `nvidia.com/gpu` in limits or requests; node agents exempt",
        (_DEVICE_PLUGIN, "CUDA images' `NVIDIA_VISIBLE_DEVICES=all`"),
        "analysis/workload_rules.py",
    ),
    RuleDoc(
        WorkloadRule.INFERENCE_IMAGE_SKEW,
        _W,
        "medium",
        "replicas of one Deployment or InferenceService run different images",
        "`spec.containers[].image`, else the pulled `imageID`",
        ("KServe InferenceService",),
        "analysis/workload_rules.py",
    ),
    RuleDoc(
        AccessRule.KIND_NOT_SERVED,
        _O,
        "high",
        "a desired object of a kind the cluster does not serve (CRD not installed?)",
        "API discovery",
        ("Kubernetes API discovery",),
        "engine/objects.py",
    ),
    RuleDoc(
        AccessRule.KIND_NOT_READABLE,
        _O,
        "high",
        "a desired kind, or the node list, that RBAC does not let kubedrift read",
        "403 on list (typed `Forbidden`, `cluster/errors.py`)",
        ("Kubernetes RBAC",),
        "engine/access.py",
    ),
    RuleDoc(
        RemedyRule.HEAL_FIGHT,
        _O,
        "high",
        "self-heal of a field stopped: another writer undid each revert",
        "N undos within a window, each a write after our revert's resourceVersion",
        ("Argo CD self-heal fights (argo-cd#2382, #3002)",),
        "remediate/heal.py",
    ),
    RuleDoc(
        RemedyRule.NODE_DRIFT_RESOLVED,
        _N,
        "info",
        "a node kubedrift quarantined no longer drifts: `plan` proposes the release",
        "kubedrift's taint or `kubedrift.io/cordoned-by` mark, and no quarantine-worthy finding",
        (_DRAIN,),
        "remediate/nodes.py",
    ),
    RuleDoc(
        RemedyRule.HEAL,
        _O,
        "the healed finding's",
        "not drift: the rule of an action alert, what self-heal did or would do",
        "the server-side apply's answer",
        ("Kubernetes server-side apply",),
        "remediate/heal.py",
    ),
)

CATALOGUE: dict[RuleId, RuleDoc] = {d.rule: d for d in _DOCS}
"""Every rule's entry, keyed by rule."""

_FAMILIES: tuple[tuple[str, type[RuleId], str], ...] = (
    (
        "Object rules",
        ObjectRule,
        "Desired objects against live ones (`kubedrift.diff`). Severity by "
        "path (`diff/severity.py`, first match wins): high for a missing object, Secret data, "
        "container image, command, args and resources, pod placement and privilege, RBAC rules "
        "and webhooks; low for the object's own labels and annotations; medium for the rest.",
    ),
    (
        "Node and GPU-stack rules",
        NodeRule,
        "Every node against its profiles, its pool's "
        "majority and the GPU stack's own claims (`kubedrift.analysis`); no profile needed.",
    ),
    (
        "AI workload rules",
        WorkloadRule,
        "Running AI workloads: what node drift puts at risk, "
        "and rules of their own (`kubedrift.analysis.workloads`).",
    ),
    (
        "Access rules",
        AccessRule,
        "What the cluster would not let a scan do: never a silent green scan (`kubedrift.engine`).",
    ),
    (
        "Remediation's own findings",
        RemedyRule,
        "Reported by `plan` and `watch --heal` (`kubedrift.remediate`); not user-switchable.",
    ),
)

_HEADER = """\
<!-- Generated by scripts/gen_rules_doc.py from src/kubedrift/model/rule_docs.py; do not edit. -->
# Rule catalogue

Every `rule` a finding can carry, as JSON/YAML `rule`, SARIF `ruleId`, alerts and the
timeline store write it. The ids are part of the output contract (`kubedrift/v1`) and
never change. A rule of the first four families can be switched off or re-graded
(`KubedriftConfig.rules`, `--disable-rule`) and suppressed by name. Severity is the base
severity: a node finding under a running multi-node job rises one step when its fact can
break the job (`analysis/impact.py`).
"""


def _row(doc: RuleDoc) -> str:
    cells = (
        f"`{doc.rule.value}`",
        doc.category.value,
        doc.severity,
        doc.checks,
        doc.evidence,
        "; ".join(doc.sources),
        ", ".join(f"`{m}`" for m in doc.module.split(", ")),
    )
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _section(title: str, intro: str, rules: Iterable[RuleId]) -> list[str]:
    lines = ["", f"## {title}", "", intro, ""]
    lines.append("| rule | category | severity | checks | evidence | rests on | code |")
    lines.append("|---|---|---|---|---|---|---|")
    lines += [_row(CATALOGUE[r]) for r in rules]
    return lines


def render_markdown() -> str:
    """`docs/rules.md`: one table per rule family, in `ALL_RULES` order."""
    lines = [_HEADER.rstrip("\n")]
    for title, family, intro in _FAMILIES:
        lines += _section(title, intro, [r for r in ALL_RULES if isinstance(r, family)])
    return "\n".join(lines) + "\n"

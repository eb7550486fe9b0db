"""Rule identifiers: the `rule` field of every finding, one `StrEnum` per family.

The string values are part of the output contract (JSON/YAML `rule`, SARIF `ruleId`,
alerts, the timeline store, `--disable-rule`, `rules:` and `suppressions:` entries), so a
value never changes; a member may be renamed. `Finding.rule` stays a plain `str` (the
member's `.value`): a `str` subclass broke msgspec and PyYAML's safe dumper once (see
docs/DESIGN.md, "Secrets"). Because these are `StrEnum`s, a stored or user-given string
compares equal to its member, so `finding.rule == ObjectRule.FIELD_CHANGED` and
`finding.rule in {NodeRule.GPU_UNHEALTHY, ...}` hold for plain strings too.

What each rule checks, its evidence and its upstream sources are in `model.rule_docs`,
which `docs/rules.md` is generated from.
"""

from __future__ import annotations

import enum

__all__ = [
    "ALL_RULES",
    "SWITCHABLE_RULES",
    "AccessRule",
    "NodeRule",
    "ObjectRule",
    "RemedyRule",
    "RuleId",
    "WorkloadRule",
    "rule_id",
]


class ObjectRule(enum.StrEnum):
    """Why a field of a desired object is reported (`kubedrift.diff`)."""

    OBJECT_MISSING = "object-missing"
    """Desired object absent from the cluster (path `""`)."""
    FIELD_CHANGED = "field-changed"
    """Both sides have the field, with different values."""
    FIELD_MISSING = "field-missing"
    """Desired sets the field (to a non-empty value), live does not have it."""
    FIELD_REMOVED = "field-removed-from-desired"
    """Set by our last apply (last-applied annotation or an SSA `Apply` entry), no longer in
    desired, still live. Also used for a keyed list element; the path names the element."""
    LIST_ITEM_MISSING = "list-item-missing"
    """An element of a keyed list is in desired and not live."""
    LIST_ITEM_EXTRA = "list-item-extra"
    """An element of a SET list (atomic for the apiserver) is live and not in desired."""
    LIST_ORDER_CHANGED = "list-order-changed"
    """A keyed list whose order is behaviour (init containers) is in a different order."""
    FIELD_ADDED = "field-added"
    """Not in desired, set live by a person or an unknown client (per `managedFields`), not by
    our applier, API defaulting, an admission webhook or a trusted controller (`additions.py`)."""
    DEFAULT_OVERRIDDEN = "default-overridden"
    """Desired leaves the field to its API default (shown as desired); a person set another
    value live (`additions.py`, defaults in `api_defaults.py`)."""
    FIELD_NOT_SERVED = "field-not-served"
    """Desired sets a field the apiserver does not keep (newer than the server, or disabled):
    the server recorded it for our applier and dropped it. Info, not drift (`not_served.py`)."""


class NodeRule(enum.StrEnum):
    """Rule ids of node findings (`kubedrift.analysis`: profiles, peers, GPU-stack rules)."""

    PROFILE_MISMATCH = "profile-mismatch"
    PROFILE_OVERLAP = "profile-overlap"
    PROFILE_UNMATCHED_GPU_NODE = "profile-unmatched-gpu-node"
    PEER_MISMATCH = "peer-mismatch"
    PEER_TIE = "peer-tie"
    PEER_SPLIT = "peer-split"
    NO_CONSENSUS = "no-consensus"
    GPU_COUNT_MISMATCH = "gpu-count-mismatch"
    GPU_UNHEALTHY = "gpu-unhealthy"
    MIG_CONFIG_NOT_APPLIED = "mig-config-not-applied"
    DRIVER_LABEL_DISAGREEMENT = "driver-label-disagreement"
    DRIVER_TOO_OLD_FOR_CUDA = "driver-too-old-for-cuda"
    DRIVER_UPGRADE_FAILED = "driver-upgrade-failed"
    GFD_LABELS_STALE = "gfd-labels-stale"
    KERNEL_CHANGED_SINCE_DRIVER = "kernel-changed-since-driver"
    LIKELY_TO_DRIFT = "likely-to-drift"
    """A notice, not drift: the node's pool is mid upgrade wave and it has yet to change."""


class WorkloadRule(enum.StrEnum):
    """Rule ids of AI workload findings (`kubedrift.analysis.workloads` and its rules)."""

    ON_DRIFTED_NODE = "workload-on-drifted-node"
    MULTI_NODE_INCONSISTENT = "multi-node-job-inconsistent"
    GANG_BELOW_MINIMUM = "gang-below-minimum"
    QUOTA_WITHOUT_PODS = "quota-held-without-pods"
    PVC_NOT_BACKED_UP = "pvc-not-backed-up"
    MUTABLE_IMAGE = "mutable-image"
    GPU_POD_WITHOUT_GPU_LIMIT = "gpu-pod-without-gpu-limit"
    INFERENCE_IMAGE_SKEW = "inference-image-skew"


class AccessRule(enum.StrEnum):
    """Parts of a scan the cluster would not let us do (`kubedrift.engine`)."""

    KIND_NOT_SERVED = "kind-not-served"
    KIND_NOT_READABLE = "kind-not-readable"


class RemedyRule(enum.StrEnum):
    """Findings that remediation itself reports (`kubedrift.remediate`)."""

    HEAL_FIGHT = "heal-fight"
    """Self-heal of a field stopped: another writer undid each revert."""
    NODE_DRIFT_RESOLVED = "node-drift-resolved"
    """A node kubedrift quarantined no longer drifts: `plan` proposes the release."""
    HEAL = "heal"
    """Not drift: the rule of an action alert (what self-heal did or would do)."""


RuleId = ObjectRule | NodeRule | WorkloadRule | AccessRule | RemedyRule
"""Any rule identifier."""

ALL_RULES: tuple[RuleId, ...] = (
    *ObjectRule,
    *NodeRule,
    *WorkloadRule,
    *AccessRule,
    *RemedyRule,
)
"""Every rule, in catalogue order."""

SWITCHABLE_RULES: frozenset[RuleId] = frozenset(
    {*ObjectRule, *NodeRule, *WorkloadRule, *AccessRule}
)
"""Rules a user may switch off, re-grade or suppress by name (`rules:`, `--disable-rule`,
`suppressions:`); remediation's own findings are not among them."""

_BY_VALUE: dict[str, RuleId] = {r.value: r for r in ALL_RULES}


def rule_id(name: str) -> RuleId | None:
    """The member whose value is `name`, or None for an unknown rule."""
    return _BY_VALUE.get(name)

"""Peer comparison: each node against the majority of its pool, no profile needed.

Nodes are pooled by node group where they carry a node-group label (EKS, Karpenter, GKE,
AKS), else by instance type, or by one label the caller names (`NodeOptions.pool_label`).
Without a node-group label (kubeadm, RKE2, k3s, bare metal) an instance type — or its
absence, `unlabelled` — that holds control-plane and worker nodes, or CPU and GPU nodes,
or several GPU products or counts, is split by them (`rke2/control-plane`,
`rke2/NVIDIA-L40S-x2`): they are not each other's peers. A GPU node whose GFD labels are
missing joins the only GPU pool of its kind, so the missing labels are found. For every
comparable fact the pool's values are counted (absence counts as a value: a node
missing the GPU taint its peers carry is a snowflake):

- one value held by strictly more than `majority_threshold` of the pool is the majority;
  every other node gets `peer-mismatch` with the majority as `desired`;
- a fact where every node of a pool of 3 or more has its own value is an identity, not
  configuration (a per-node label): skipped — except the node software versions (kernel,
  OS image, container runtime, kubelet), where it is one pool-level `no-consensus`
  finding (medium) listing the values: nodes that should match and all differ;
- otherwise the pool is split and no side is picked: one pool-level finding, `peer-tie`
  when the two most common values are held by as many nodes each (a 2-node pool that
  disagrees), else `peer-split`, both low, naming the `NodePool`.

A pool of one node has no peers and is only noted. Agent facts are compared only among
the nodes that publish agent facts (a partial agent rollout is one note, not a mismatch
per fact), and the user's `fact_ignores` remove facts per pool. Labels of one publisher
(GPU Feature Discovery and the GPU operator under `nvidia.com/`, the operator's
`gpu.deploy.*` switches, NFD) that a node misses — or has alone — are one finding per
family listing them, not one per label: one cause, one finding. Byte resources in
`tolerant_resources` are equal within `quantity_tolerance` of the pool's median.

Facts that restate another fact are compared through it, so one change reads as one
finding: GFD's driver/CUDA sub-labels and deprecated names, NFD's kernel labels, the
arch/os labels and `kubeProxyVersion` are skipped on nodes that carry their primary
fact; `allocatable:X` is not reported where `capacity:X` already differs, nor the CUDA
version where the driver (which determines it) already differs, nor the GPU operator's
`gpu.deploy.*` switches on a node whose MIG reconfiguration is in progress.
"""

from __future__ import annotations

import fnmatch
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from kubedrift.analysis import gpu_labels as gl
from kubedrift.analysis.facts import UNIQUE_FACTS, FactValue, NodeFacts, label_fact
from kubedrift.analysis.findings import NodeRule, fact_title, node_finding, node_ref, pool_ref, show
from kubedrift.analysis.options import UNLABELLED_POOL, NodeOptions
from kubedrift.diff.quantities import quantity_value
from kubedrift.model import JSON, MISSING, Finding, Severity

_KERNEL = "nodeInfo.kernelVersion"
# fact -> the fact it restates; compared only on nodes that lack the primary.
_SHADOWED: dict[str, str] = {
    **{label_fact(k): label_fact(gl.DRIVER_FULL) for k in gl.DRIVER_PARTS + gl.DRIVER_PARTS_OLD},
    **{label_fact(k): label_fact(gl.CUDA_FULL) for k in gl.CUDA_PARTS + gl.CUDA_PARTS_OLD},
    **{
        label_fact(gl.NFD + f"kernel-version.{p}"): _KERNEL
        for p in ("full", "major", "minor", "revision")
    },
    **{
        label_fact(gl.NFD + f"system-os_release.VERSION_ID.{p}"): label_fact(
            gl.NFD + "system-os_release.VERSION_ID"
        )
        for p in ("major", "minor")
    },
    label_fact("kubernetes.io/arch"): "nodeInfo.architecture",
    label_fact("beta.kubernetes.io/arch"): "nodeInfo.architecture",
    label_fact("kubernetes.io/os"): "nodeInfo.operatingSystem",
    label_fact("beta.kubernetes.io/os"): "nodeInfo.operatingSystem",
    label_fact("beta.kubernetes.io/instance-type"): label_fact("node.kubernetes.io/instance-type"),
    "nodeInfo.kubeProxyVersion": "nodeInfo.kubeletVersion",  # the kubelet reports its own
}
# fact -> the fact that determines it; reported only where the determining fact agrees.
_DRIVER_FACTS = (label_fact(gl.DRIVER_FULL), *(label_fact(k) for k in gl.DRIVER_PARTS_OLD))
_COVERED: dict[str, tuple[str, ...]] = {
    # NVML derives the CUDA version from the driver: a new driver moves both labels.
    label_fact(gl.CUDA_FULL): _DRIVER_FACTS,
    # What the agent reads on the host restates the driver GFD labelled.
    gl.AGENT_DRIVER: _DRIVER_FACTS,
    gl.AGENT_MODULE_VERSION: _DRIVER_FACTS,
    gl.AGENT_CUDA: (*_DRIVER_FACTS, label_fact(gl.CUDA_FULL)),
    # GFD before v0.15 writes only the split names: the CUDA parts follow the driver's.
    **{label_fact(k): _DRIVER_FACTS for k in gl.CUDA_PARTS_OLD},
}
# Labels that spell one version in parts: parts that differ together are one finding.
_VERSION_PARTS: tuple[tuple[str, str], ...] = (
    ("label:nvidia.com/cuda.driver.", "NVIDIA driver version"),
)
# Software every node of a pool must run alike: all-different is drift, never an identity.
_NO_IDENTITY = frozenset(
    {
        "nodeInfo.kernelVersion",
        "nodeInfo.osImage",
        "nodeInfo.containerRuntimeVersion",
        "nodeInfo.kubeletVersion",
    }
)
# Label families that one publisher writes together: missing together is one cause.
# The operator's switches first: `nvidia.com/*` would swallow them.
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("label:nvidia.com/gpu.deploy.", "GPU operator gpu.deploy.*"),
    ("label:nvidia.com/", "GPU Feature Discovery / GPU operator"),
    ("label:feature.node.kubernetes.io/", "Node Feature Discovery"),
)
_DEPLOY_LABELS = "label:nvidia.com/gpu.deploy."
_MIG_BUSY = frozenset({"pending", "rebooting"})
_HIGH = (
    "label:nvidia.com/cuda.driver-version.full",
    "label:nvidia.com/cuda.runtime-version.full",
    "label:nvidia.com/gpu.product",
    "label:nvidia.com/gpu.count",
    "label:nvidia.com/mig.config",
    "capacity:nvidia.com/*",
    "allocatable:nvidia.com/*",
    "agent:nvml.*",
    "agent:module.nvidia*",
)
_MEDIUM = (
    "nodeInfo.kernelVersion",
    "nodeInfo.kubeletVersion",
    "nodeInfo.containerRuntimeVersion",
    "nodeInfo.architecture",
    "nodeInfo.operatingSystem",
    "taint:*",
    "label:nvidia.com/*",
    "agent:*",
    "capacity:*",
    "allocatable:*",
)


@dataclass(frozen=True, slots=True)
class Deviation:
    """One node's value of a fact that differs from its pool's majority."""

    fact: str
    live: FactValue
    majority: FactValue
    held_by: int


@dataclass(slots=True)
class PoolPeers:
    """The outcome of comparing one pool: per-node deviations, pool findings, a note."""

    name: str
    members: int
    deviations: dict[str, list[Deviation]] = field(default_factory=dict)
    pool_findings: list[Finding] = field(default_factory=list)
    note: str | None = None


def pool_names(all_facts: Sequence[NodeFacts], options: NodeOptions) -> list[str]:
    """The pool of each node, in order (see the module docstring)."""
    if options.pool_label:
        label = (options.pool_label,)
        return [_first_label(f, label) or UNLABELLED_POOL for f in all_facts]
    keys = [
        (_first_label(f, options.group_labels), _first_label(f, options.instance_type_labels))
        for f in all_facts
    ]
    spans: dict[str, set[str | None]] = {}
    for group, base in keys:
        if group is not None:
            spans.setdefault(group, set()).add(base)
    kinds = _ungrouped_kinds(all_facts, keys)
    return [
        _pool_name(group, base, spans) if group is not None else kinds[i]
        for i, (group, base) in enumerate(keys)
    ]


def _pool_name(group: str, base: str | None, spans: dict[str, set[str | None]]) -> str:
    if base is None or len(spans[group]) == 1:
        return group
    return f"{group}/{base}"


_UNKNOWN_GPU = "gpu"
_CONTROL_PLANE_LABELS = (
    "node-role.kubernetes.io/control-plane",
    "node-role.kubernetes.io/master",
)


def _ungrouped_kinds(
    all_facts: Sequence[NodeFacts], keys: list[tuple[str | None, str | None]]
) -> dict[int, str]:
    """Pool names of nodes without a node group: base, split by role and GPU when mixed."""
    sigs: dict[int, tuple[str, str | None, str | None]] = {}
    for i, (facts, (group, base)) in enumerate(zip(all_facts, keys, strict=True)):
        if group is None:
            sigs[i] = (base or UNLABELLED_POOL, _role(facts), _gpu_kind(facts))
    known: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for base, role, gpu in sigs.values():
        if gpu not in (None, _UNKNOWN_GPU):
            known[(base, role)].add(gpu)
    for i, (base, role, gpu) in sigs.items():
        if gpu == _UNKNOWN_GPU and len(known[(base, role)]) == 1:
            sigs[i] = (base, role, next(iter(known[(base, role)])))
    mixed: dict[str, set[tuple[str | None, str | None]]] = defaultdict(set)
    for base, role, gpu in sigs.values():
        mixed[base].add((role, gpu))
    return {
        i: "/".join(p for p in (base, role, gpu) if p) if len(mixed[base]) > 1 else base
        for i, (base, role, gpu) in sigs.items()
    }


def _role(facts: NodeFacts) -> str | None:
    control_plane = any(facts.label(k) is not None for k in _CONTROL_PLANE_LABELS)
    return "control-plane" if control_plane else None


def _gpu_kind(facts: NodeFacts) -> str | None:
    """`<product>-x<count>` (whole GPUs), `<product>` (MIG), `gpu` (unknown), None (CPU)."""
    product = facts.label(gl.GPU_PRODUCT)
    if product is None:
        return _UNKNOWN_GPU if gl.is_gpu_node(facts) else None
    product = product.removesuffix("-SHARED")
    count = facts.label(gl.GPU_COUNT)
    return product if "-MIG-" in product or not count else f"{product}-x{count}"


def _first_label(facts: NodeFacts, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = facts.label(key)
        if value:
            return value
    return None


class Comparator:
    """Compares pools with one set of options; remembers which facts are comparable."""

    def __init__(self, options: NodeOptions) -> None:
        self.options = options
        self._patterns = tuple(p.lower() for p in options.excluded_facts)
        self._tolerant = frozenset(
            f"{kind}:{r}"
            for kind in ("capacity", "allocatable")
            for r in options.tolerant_resources
        )
        self._comparable: dict[str, bool] = {}

    def comparable(self, fact: str) -> bool:
        """Whether peers compare this fact (not excluded, not naturally unique)."""
        known = self._comparable.get(fact)
        if known is None:
            name = fact.lower()
            known = fact not in UNIQUE_FACTS and not any(
                fnmatch.fnmatchcase(name, p) for p in self._patterns
            )
            self._comparable[fact] = known
        return known

    def ignored(self, pool: str) -> Callable[[str], bool]:
        """Whether the user ignores a fact in `pool` (`NodeOptions.fact_ignores`)."""
        patterns = tuple(
            p.lower() for i in self.options.fact_ignores if i.applies_to(pool) for p in i.facts
        )
        if not patterns:
            return _never
        return lambda fact: any(fnmatch.fnmatchcase(fact.lower(), p) for p in patterns)

    def compare(self, name: str, members: Sequence[NodeFacts]) -> PoolPeers:
        """Compare the members of one pool with each other."""
        result = PoolPeers(name, len(members))
        if len(members) < 2:
            result.note = "1 node: no peers"
            return result
        names: set[str] = set()
        for member in members:
            names.update(member.view)
        ignored = self.ignored(name)
        agents = [m for m in members if m.has_agent]
        everyone = (members, [m.view.get for m in members])
        with_agent = (agents, [m.view.get for m in agents])
        split: list[str] = []
        for fact in sorted(f for f in names if self.comparable(f) and not ignored(f)):
            # agent facts only among the nodes that run the agent (partial rollouts)
            group, getters = with_agent if fact.startswith("agent:") else everyone
            if len(group) < 2:
                continue
            values = [get(fact, MISSING) for get in getters]
            if fact in self._tolerant:
                self._tolerant_fact(result, group, fact, values)
            elif not self._exact_fact(result, group, fact, values):
                split.append(fact)
        _drop_restated(result, members)
        if split:
            result.note = f"no majority on {len(split)} fact{'s' if len(split) > 1 else ''}"
        return result

    def _exact_fact(
        self, out: PoolPeers, members: Sequence[NodeFacts], fact: str, values: list[FactValue]
    ) -> bool:
        """Record deviations; False when the pool is split on the fact."""
        counts = Counter(values)
        if len(counts) == 1:
            return True
        (top, held), (_, second) = counts.most_common(2)
        if held > self.options.majority_threshold * len(members):
            for member, value in zip(members, values, strict=True):
                if value != top:
                    out.deviations.setdefault(member.name, []).append(
                        Deviation(fact, value, top, held)
                    )
            return True
        if len(members) >= 3 and len(counts) == len(members):
            if fact not in _NO_IDENTITY:
                return True  # every node its own value: an identity, not configuration
            out.pool_findings.append(_no_consensus(out.name, fact, members, values))
            return False
        if _restates_present(fact, members):
            return True
        out.pool_findings.append(_split_finding(out.name, fact, members, values, held == second))
        return False

    def _tolerant_fact(
        self, out: PoolPeers, members: Sequence[NodeFacts], fact: str, values: list[FactValue]
    ) -> None:
        if len(set(values)) == 1:
            return
        numbers = [quantity_value(v) for v in values]
        present = [n for n in numbers if n is not None]
        if not present:
            return
        middle = Fraction(statistics.median_low(present))
        slack = middle * Fraction(self.options.quantity_tolerance)
        inside = [n is not None and abs(n - middle) <= slack for n in numbers]
        held = sum(inside)
        if held <= self.options.majority_threshold * len(members):
            return  # no band of near-equal values: too noisy to call
        band = Counter(v for v, ok in zip(values, inside, strict=True) if ok)
        typical = band.most_common(1)[0][0]
        for member, value, ok in zip(members, values, inside, strict=True):
            if not ok:
                out.deviations.setdefault(member.name, []).append(
                    Deviation(fact, value, typical, held)
                )


def _drop_restated(out: PoolPeers, members: Sequence[NodeFacts]) -> None:
    by_name = {m.name: m for m in members}
    for node, deviations in out.deviations.items():
        differing = {d.fact for d in deviations}
        facts = by_name[node]
        out.deviations[node] = [d for d in deviations if not _restated(d.fact, facts, differing)]


def _restated(fact: str, facts: NodeFacts, differing: set[str]) -> bool:
    """Whether the deviation is explained by another fact of the same node."""
    primary = _SHADOWED.get(fact)
    if primary is not None and primary in facts:
        return True
    if fact.startswith("allocatable:"):
        return "capacity:" + fact.removeprefix("allocatable:") in differing
    if fact.startswith(_DEPLOY_LABELS) and facts.label(gl.MIG_STATE) in _MIG_BUSY:
        return True  # mig-manager turns the GPU operands off while it repartitions
    return any(f in differing for f in _COVERED.get(fact, ()))


def _never(fact: str) -> bool:
    return False


def _no_consensus(
    pool: str, fact: str, members: Sequence[NodeFacts], values: list[FactValue]
) -> Finding:
    shown = "; ".join(f"{m.name}: {show(v)}" for m, v in zip(members, values, strict=True))
    live = ", ".join(sorted(show(v) for v in values))
    msg = f"every one of the {len(members)} {pool} nodes runs a different {fact_title(fact)} "
    msg += f"({live}): no two agree, so there is no baseline; declare one in a NodeProfile"
    return node_finding(
        pool_ref(pool),
        pool,
        NodeRule.NO_CONSENSUS,
        severity=Severity.MEDIUM,
        path=fact,
        desired=MISSING,
        live=live,
        message=msg,
        details=(("values", shown),),
    )


def _restates_present(fact: str, members: Sequence[NodeFacts]) -> bool:
    primary = _SHADOWED.get(fact)
    return primary is not None and all(primary in m for m in members)


def _split_finding(
    pool: str, fact: str, members: Sequence[NodeFacts], values: list[FactValue], tie: bool
) -> Finding:
    groups: dict[FactValue, list[str]] = {}
    for member, value in zip(members, values, strict=True):
        groups.setdefault(value, []).append(member.name)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), show(kv[0])))
    live = ", ".join(f"{show(v)} ({len(names)})" for v, names in ordered)
    shown = "; ".join(f"{show(v)}: {_names(names)}" for v, names in ordered)
    kind = "tie" if tie else "split"
    rule = NodeRule.PEER_TIE if tie else NodeRule.PEER_SPLIT
    msg = f"{fact_title(fact)} has no majority among the {len(members)} {pool} nodes ({kind}: "
    msg += f"{live}); kubedrift does not pick a side: declare the value in a NodeProfile"
    return node_finding(
        pool_ref(pool),
        pool,
        rule,
        severity=Severity.LOW,
        path=fact,
        desired=MISSING,
        live=live,
        message=msg,
        details=(("values", shown),),
    )


def _names(names: list[str], limit: int = 5) -> str:
    head = ", ".join(names[:limit])
    return head + (f" and {len(names) - limit} more" if len(names) > limit else "")


def peer_findings(peers: PoolPeers, severity: Callable[[str], Severity]) -> list[Finding]:
    """Turn a pool's deviations into `peer-mismatch` findings, one per label family."""
    findings = []
    for node, deviations in peers.deviations.items():
        single, families = _by_family(deviations)
        for d in single:
            findings.append(
                node_finding(
                    node_ref(node),
                    peers.name,
                    NodeRule.PEER_MISMATCH,
                    severity=severity(d.fact),
                    path=d.fact,
                    desired=d.majority,
                    live=d.live,
                    message=_message(d, peers),
                    details=(("majority", f"{d.held_by}/{peers.members}"),),
                )
            )
        for family, group in families.items():
            findings.append(_family_finding(node, peers, family, group, severity))
    return findings


def _by_family(
    deviations: list[Deviation],
) -> tuple[list[Deviation], dict[tuple[str, str], list[Deviation]]]:
    """Split off labels of one family that are all missing (or all extra) on the node."""
    grouped: dict[tuple[str, str, bool], list[Deviation]] = defaultdict(list)
    single: list[Deviation] = []
    for d in deviations:
        missing, extra = d.live is MISSING, d.majority is MISSING
        parts = next((f for f in _VERSION_PARTS if d.fact.startswith(f[0])), None)
        family = next((f for f in _FAMILIES if d.fact.startswith(f[0])), None)
        if parts is not None and not (missing or extra):
            grouped[(*parts, False)].append(d)
        elif family is None or not (missing or extra):
            single.append(d)
        else:
            grouped[(*family, missing)].append(d)
    families: dict[tuple[str, str], list[Deviation]] = {}
    for (prefix, title, _), group in grouped.items():
        if len(group) == 1:
            single += group
        else:
            families[(prefix, title)] = group
    return single, families


def _family_finding(
    node: str,
    peers: PoolPeers,
    family: tuple[str, str],
    group: list[Deviation],
    severity: Callable[[str], Severity],
) -> Finding:
    prefix, title = family
    missing = group[0].live is MISSING
    labels = [d.fact.removeprefix("label:") for d in group]
    held = max(d.held_by for d in group)
    where = f"{held} of {peers.members} {peers.name} nodes"
    if group[0].live is not MISSING and group[0].majority is not MISSING:
        return _parts_finding(node, peers, family, group, severity)
    if missing:
        msg = f"{len(group)} {title} labels are missing here but set on {where}: "
    else:
        msg = f"{len(group)} {title} labels are set here but absent on {where}: "
    side: dict[str, JSON] = {
        d.fact.removeprefix("label:"): d.majority if missing else d.live for d in group
    }
    return node_finding(
        node_ref(node),
        peers.name,
        NodeRule.PEER_MISMATCH,
        severity=max((severity(d.fact) for d in group), key=lambda s: s.rank),
        path=prefix + "*",
        desired=side if missing else MISSING,
        live=MISSING if missing else side,
        message=msg + _names(labels, limit=6),
        details=(("majority", f"{held}/{peers.members}"), ("labels", ",".join(labels))),
    )


def _parts_finding(
    node: str,
    peers: PoolPeers,
    family: tuple[str, str],
    group: list[Deviation],
    severity: Callable[[str], Severity],
) -> Finding:
    """A version written in several labels (`cuda.driver.major/minor/rev`), as one value."""
    path, title = family[0] + "*", family[1]
    live = ".".join(show(d.live) for d in group)
    majority = ".".join(show(d.majority) for d in group)
    held = min(d.held_by for d in group)
    msg = f"{title} {live} ({path.removeprefix('label:')}) differs from {held} of "
    msg += f"{peers.members} {peers.name} nodes ({majority})"
    return node_finding(
        node_ref(node),
        peers.name,
        NodeRule.PEER_MISMATCH,
        severity=max((severity(d.fact) for d in group), key=lambda s: s.rank),
        path=path,
        desired={d.fact.removeprefix("label:"): d.majority for d in group},
        live={d.fact.removeprefix("label:"): d.live for d in group},
        message=msg,
        details=(("majority", f"{held}/{peers.members}"),),
    )


def _message(d: Deviation, peers: PoolPeers) -> str:
    title, held, total, pool = fact_title(d.fact), d.held_by, peers.members, peers.name
    peers_text = f"{held} of {total} {pool} nodes"
    if d.live is MISSING:
        return f"{title} is missing here but set on {peers_text} ({show(d.majority)})"
    if d.majority is MISSING:
        return f"{title} is {show(d.live)} here but absent on {peers_text}"
    return f"{title} {show(d.live)} differs from {peers_text} ({show(d.majority)})"


class PeerSeverity:
    """Severity of a peer mismatch by fact: GPU stack high, node software medium, else low."""

    def __init__(self) -> None:
        self._known: dict[str, Severity] = {}

    def __call__(self, fact: str) -> Severity:
        """The severity for `fact`, memoized."""
        severity = self._known.get(fact)
        if severity is None:
            severity = Severity.LOW
            if any(fnmatch.fnmatchcase(fact, p) for p in _HIGH):
                severity = Severity.HIGH
            elif any(fnmatch.fnmatchcase(fact, p) for p in _MEDIUM):
                severity = Severity.MEDIUM
            self._known[fact] = severity
        return severity

"""Node and GPU-stack drift of a whole cluster: profiles, peers and GPU rules together.

`analyze_nodes` reads each node's facts once, pools the nodes, and runs three checks
whose findings meet on the same fact names. When more than one check reports the same
node and fact, the most authoritative one is kept: a declared NodeProfile first, then a
GPU rule (which knows why the fact is wrong), then the peer comparison (which only knows
that it differs). Findings are ordered by severity, pool, node and fact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from kubedrift.analysis.facts import NodeFacts, node_facts
from kubedrift.analysis.findings import POOL_DETAIL
from kubedrift.analysis.gpu_rules import RuleContext, check_gpu_rules
from kubedrift.analysis.options import UNLABELLED_POOL, NodeOptions
from kubedrift.analysis.peers import Comparator, PeerSeverity, PoolPeers, peer_findings, pool_names
from kubedrift.analysis.profile_check import check_profiles
from kubedrift.analysis.profiles import NodeProfile
from kubedrift.model import Finding, InputError, ObjectRef, PoolSummary
from kubedrift.model.gcpause import gc_paused

__all__ = ["NodeAnalysis", "NodeOptions", "analyze_nodes"]

_DEFAULT_OPTIONS = NodeOptions()


@dataclass(frozen=True, slots=True)
class NodeAnalysis:
    """Findings about nodes, one summary per pool, and notes on what was not checked."""

    findings: tuple[Finding, ...]
    pools: tuple[PoolSummary, ...]
    notes: tuple[str, ...] = ()


def analyze_nodes(
    nodes: Sequence[Mapping[str, object]],
    *,
    profiles: Sequence[NodeProfile] = (),
    options: NodeOptions = _DEFAULT_OPTIONS,
    now: datetime | None = None,
) -> NodeAnalysis:
    """Check `v1 Node` objects against profiles, their pool's majority and the GPU rules.

    `now` (timezone-aware, optional) is accepted for callers that judge time; no node rule
    needs it since `gfd-labels-stale` stopped reading the label's age. Raises `InputError`
    for a node without a name or a name given twice.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    with gc_paused():
        return _analyze(nodes, profiles, options, now)


def _analyze(
    nodes: Sequence[Mapping[str, object]],
    profiles: Sequence[NodeProfile],
    options: NodeOptions,
    now: datetime | None,
) -> NodeAnalysis:
    pools = _pools([node_facts(n) for n in nodes], options)
    comparator, severity = Comparator(options), PeerSeverity()
    declared: list[Finding] = []
    rules: list[Finding] = []
    compared: list[Finding] = []
    outcomes: list[PoolPeers] = []
    for pool, members in pools.items():
        context = RuleContext(pool)
        ignored = comparator.ignored(pool)
        for facts in members:
            declared += [f for f in check_profiles(facts, pool, profiles) if not ignored(f.path)]
            rules += [f for f in check_gpu_rules(facts, context) if not ignored(f.path)]
        outcome = comparator.compare(pool, members)
        outcomes.append(outcome)
        compared += peer_findings(outcome, severity)
        compared += outcome.pool_findings
    findings = _sorted(_most_authoritative(declared, rules, compared))
    return NodeAnalysis(
        findings=findings,
        pools=tuple(_summary(o, findings) for o in outcomes),
        notes=_notes(pools, options),
    )


def _pools(all_facts: list[NodeFacts], options: NodeOptions) -> dict[str, list[NodeFacts]]:
    pools: dict[str, list[NodeFacts]] = defaultdict(list)
    seen: set[str] = set()
    for facts, pool in zip(all_facts, pool_names(all_facts, options), strict=True):
        if facts.name in seen:
            raise InputError(f"Node {facts.name} is given twice", where="nodes")
        seen.add(facts.name)
        pools[pool].append(facts)
    return dict(sorted(pools.items()))


def _most_authoritative(*tiers: list[Finding]) -> list[Finding]:
    """Keep a finding only if no earlier tier reported the same object and fact."""
    kept: list[Finding] = []
    taken: set[tuple[ObjectRef, str]] = set()
    for tier in tiers:
        fresh = [f for f in tier if (f.object, f.path) not in taken]
        taken.update((f.object, f.path) for f in fresh)
        kept += fresh
    return kept


def _sorted(findings: list[Finding]) -> tuple[Finding, ...]:
    def key(f: Finding) -> tuple[int, str, str, str, str, str]:
        pool = dict(f.details).get(POOL_DETAIL, "")
        return (-f.severity.rank, pool, f.object.kind, f.object.name, f.path, f.rule)

    return tuple(sorted(findings, key=key))


def _summary(outcome: PoolPeers, findings: tuple[Finding, ...]) -> PoolSummary:
    drifted = {
        f.object.name
        for f in findings
        if f.object.kind == "Node" and dict(f.details).get(POOL_DETAIL) == outcome.name
    }
    return PoolSummary(outcome.name, outcome.members, len(drifted), outcome.note)


def _notes(pools: dict[str, list[NodeFacts]], options: NodeOptions) -> tuple[str, ...]:
    notes = []
    unlabelled = _unlabelled(pools)
    if unlabelled:
        keys = ", ".join(options.pool_labels())
        count = sum(unlabelled.values())
        verb = "is" if count == 1 else "are"
        where = f"one pool, {UNLABELLED_POOL}"
        if len(unlabelled) > 1:
            where = f"{len(unlabelled)} pools by role and GPU: {', '.join(unlabelled)}"
        notes.append(f"{_nodes(count)} without any pool label ({keys}) {verb} compared as {where}")
    notes += _agent_rollout(pools)
    problems: dict[str, list[str]] = defaultdict(list)
    for members in pools.values():
        for facts in members:
            for problem in facts.problems:
                problems[problem].append(facts.name)
    for problem, names in sorted(problems.items()):
        notes.append(f"agent facts ignored on {_nodes(len(names))} ({problem}): {_shown(names)}")
    return tuple(notes)


def _unlabelled(pools: dict[str, list[NodeFacts]]) -> dict[str, int]:
    return {
        name: len(members)
        for name, members in pools.items()
        if name == UNLABELLED_POOL or name.startswith(UNLABELLED_POOL + "/")
    }


def _agent_rollout(pools: dict[str, list[NodeFacts]]) -> list[str]:
    """One note for a partial agent rollout: its agent facts were compared among the rest."""
    all_facts = [f for members in pools.values() for f in members]
    without = [f.name for f in all_facts if not f.has_agent and not f.problems]
    if not without or not any(f.has_agent for f in all_facts):
        return []
    return [
        f"the node agent publishes no facts on {_nodes(len(without))} of {len(all_facts)} "
        f"(partial rollout?): agent facts are compared among the others only; "
        f"without: {_shown(without)}"
    ]


def _shown(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _nodes(count: int) -> str:
    return f"{count} node" if count == 1 else f"{count} nodes"

"""Checking nodes against NodeProfiles: misses, overlaps and GPU nodes no profile covers.

Rules:
- `profile-mismatch` (the expectation's severity, else the profile's, default medium):
  one finding per unmet expectation of each profile that selects the node.
- `profile-overlap` (low): more than one profile selects the node. All of them are still
  checked; when two miss the same fact, the first by name reports it.
- `profile-unmatched-gpu-node` (low): profiles were given, yet none selects this GPU node,
  so nothing declared is verified on it.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubedrift.analysis.facts import NodeFacts
from kubedrift.analysis.findings import NodeRule, fact_title, node_finding, node_ref, show
from kubedrift.analysis.gpu_labels import is_gpu_node
from kubedrift.analysis.profiles import NodeProfile
from kubedrift.model import MISSING, Finding, Severity

PROFILES_PATH = "profiles"


def check_profiles(facts: NodeFacts, pool: str, profiles: Sequence[NodeProfile]) -> list[Finding]:
    """Findings for one node against every profile; nothing when no profiles are given."""
    if not profiles:
        return []
    labels = facts.labels()
    selected = sorted((p for p in profiles if p.selector.matches(labels)), key=lambda p: p.name)
    findings: list[Finding] = []
    if not selected:
        if is_gpu_node(facts):
            findings.append(_unmatched(facts, pool))
        return findings
    if len(selected) > 1:
        findings.append(_overlap(facts, pool, selected))
    reported: set[str] = set()
    for profile in selected:
        for finding in _misses(facts, pool, profile):
            if finding.path not in reported:
                reported.add(finding.path)
                findings.append(finding)
    return findings


def _misses(facts: NodeFacts, pool: str, profile: NodeProfile) -> list[Finding]:
    findings = []
    for expectation in profile.expectations:
        actual = facts.get(expectation.fact, MISSING)
        if expectation.matcher.matches(actual):
            continue
        desired = expectation.matcher.desired()
        title = fact_title(expectation.fact)
        findings.append(
            node_finding(
                node_ref(facts.name),
                pool,
                NodeRule.PROFILE_MISMATCH,
                severity=expectation.severity or profile.severity,
                path=expectation.fact,
                desired=desired,
                live=actual,
                message=f"NodeProfile {profile.name}: {title} is {show(actual)}, "
                f"expected {show(desired)}",
                details=(("profile", profile.name),),
            )
        )
    return findings


def _overlap(facts: NodeFacts, pool: str, selected: list[NodeProfile]) -> Finding:
    names = ", ".join(p.name for p in selected)
    return node_finding(
        node_ref(facts.name),
        pool,
        NodeRule.PROFILE_OVERLAP,
        severity=Severity.LOW,
        path=PROFILES_PATH,
        desired="one NodeProfile",
        live=names,
        message=f"{len(selected)} NodeProfiles select this node ({names}); "
        "make their selectors disjoint",
        details=(("profiles", names),),
    )


def _unmatched(facts: NodeFacts, pool: str) -> Finding:
    return node_finding(
        node_ref(facts.name),
        pool,
        NodeRule.PROFILE_UNMATCHED_GPU_NODE,
        severity=Severity.LOW,
        path=PROFILES_PATH,
        desired="a NodeProfile selecting this node",
        live=MISSING,
        message="GPU node selected by no NodeProfile: nothing declared is verified on it",
    )

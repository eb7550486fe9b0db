"""Findings gathered for display: node findings by pool, every other finding by its object.

Findings arrive ranked (highest impact first); a group keeps that order inside it, and groups
are ordered by their first finding, so the most important group is always read first.
A node finding names its pool in its `details` under `POOL_DETAIL`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kubedrift.model import Category, Finding, ObjectRef, PoolSummary, Report

POOL_DETAIL = "pool"
NO_POOL = "(no pool)"


class GroupKind(enum.Enum):
    """Whether a group gathers the findings of one object or of one node pool."""

    OBJECT = "object"
    POOL = "pool"


@dataclass(frozen=True, slots=True)
class Group:
    """Findings shown together under one heading."""

    kind: GroupKind
    title: str
    findings: tuple[Finding, ...]
    pool: PoolSummary | None = None


def group_findings(report: Report) -> list[Group]:
    """The report's findings as groups, in display order."""
    buckets: dict[tuple[str, str] | ObjectRef, list[Finding]] = {}
    for finding in report.findings:
        buckets.setdefault(_key(finding), []).append(finding)
    pools = {p.name: p for p in report.pools}
    return [_group(key, found, pools) for key, found in buckets.items()]


def pool_of(finding: Finding) -> str:
    """The pool a node finding belongs to, or `NO_POOL`."""
    return dict(finding.details).get(POOL_DETAIL) or NO_POOL


def by_object(findings: tuple[Finding, ...]) -> dict[ObjectRef, list[Finding]]:
    """Findings split per object, objects in order of their first finding."""
    out: dict[ObjectRef, list[Finding]] = {}
    for finding in findings:
        out.setdefault(finding.object, []).append(finding)
    return out


def clean_pools(report: Report) -> list[PoolSummary]:
    """Pools of the report where no node has a finding."""
    seen = {pool_of(f) for f in report.findings if f.category is Category.NODE}
    return [p for p in report.pools if p.name not in seen]


def _key(finding: Finding) -> tuple[str, str] | ObjectRef:
    if finding.category is Category.NODE:
        return (GroupKind.POOL.value, pool_of(finding))
    return finding.object


def _group(
    key: tuple[str, str] | ObjectRef, found: list[Finding], pools: dict[str, PoolSummary]
) -> Group:
    if isinstance(key, ObjectRef):
        return Group(GroupKind.OBJECT, str(key), tuple(found))
    return Group(GroupKind.POOL, key[1], tuple(found), pools.get(key[1]))

"""Ranking: the order findings appear in, in every output — highest stakes first.

Findings that put GPUs at risk come first (GPUs, then GPU-hours), then by severity; ties
keep a stable, readable order (category, object, path) so two scans of the same state print
the same report.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubedrift.model import Category, Finding

_CATEGORY_ORDER = {Category.WORKLOAD: 0, Category.OBJECT: 1, Category.NODE: 2}


def rank_key(finding: Finding) -> tuple[float, float, int, int, tuple[str, str, str, str], str]:
    """Sort key: more GPUs, more GPU-hours, higher severity first; then a stable order."""
    impact = finding.impact
    gpus = impact.gpus if impact else 0
    hours = impact.gpu_hours if impact else 0.0
    o = finding.object
    return (
        -gpus,
        -hours,
        -finding.severity.rank,
        _CATEGORY_ORDER.get(finding.category, 9),
        (o.kind, o.namespace or "", o.name, o.api_version),
        finding.path,
    )


def rank(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings in display order."""
    return tuple(sorted(findings, key=rank_key))

"""The result of one scan: findings plus what was checked, for every output format."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kubedrift.model.findings import Finding, Severity

SCHEMA = "kubedrift/v1"


@dataclass(frozen=True, slots=True)
class PoolSummary:
    """One node pool as the table shows it: "h100: 16 nodes, 3 drifted"."""

    name: str
    nodes: int
    drifted: int
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """Findings of one scan, already in display order (highest impact first)."""

    findings: tuple[Finding, ...]
    objects_checked: int = 0
    nodes_checked: int = 0
    revision: str | None = None
    live_source: str | None = None
    pools: tuple[PoolSummary, ...] = ()
    notes: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())
    """The notes (a subset of `notes`) that say the result is incomplete — an empty desired
    source allowed by `--allow-empty`, kinds we may not read — which the CLI also writes
    to stderr, so that a green run never hides them."""

    def active(self) -> tuple[Finding, ...]:
        """The findings no suppression covers: the ones counted, alerted and failed on."""
        return tuple(f for f in self.findings if f.suppression is None)

    def suppressed(self) -> tuple[Finding, ...]:
        """The findings a live suppression covers: still shown, never counted."""
        return tuple(f for f in self.findings if f.suppression is not None)

    def counts_by_severity(self) -> dict[str, int]:
        """Number of active findings per severity, every severity present (zero included)."""
        counts = Counter(f.severity for f in self.active())
        return {s.value: counts.get(s, 0) for s in reversed(Severity)}

    def counts_by_category(self) -> dict[str, int]:
        """Number of active findings per category that has any."""
        return dict(sorted(Counter(f.category.value for f in self.active()).items()))

    def drifted_objects(self) -> int:
        """Number of distinct objects with at least one active finding."""
        return len({f.object for f in self.active()})

    def max_severity(self) -> Severity | None:
        """The highest severity among active findings, or None when there are none."""
        return max((f.severity for f in self.active()), default=None, key=lambda s: s.rank)

    def summary_json(self) -> dict[str, Any]:
        """The `summary` object of the JSON output contract."""
        out: dict[str, Any] = {
            "findings": len(self.active()),
            "suppressed": len(self.suppressed()),
            "drifted_objects": self.drifted_objects(),
            "objects_checked": self.objects_checked,
            "nodes_checked": self.nodes_checked,
            "by_severity": self.counts_by_severity(),
            "by_category": self.counts_by_category(),
            "revision": self.revision,
            "live_source": self.live_source,
        }
        if self.pools:
            out["pools"] = [
                {"name": p.name, "nodes": p.nodes, "drifted": p.drifted, "note": p.note}
                for p in self.pools
            ]
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def to_json(self) -> dict[str, Any]:
        """The whole JSON document: `{"schema", "summary", "findings"}`."""
        return {
            "schema": SCHEMA,
            "summary": self.summary_json(),
            "findings": [f.to_json() for f in self.findings],
        }

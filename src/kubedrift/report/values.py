"""The frozen values a report is made of: what `data` computes and `charts`/`html` draw.

Each chart has a value type of its own, holding only numbers and labels, so a chart can be
checked against the store without drawing it, and the dashboard (`kubedrift.api`) can draw
the same values live. Long lists are already cut to the top N, the rest summed as "other".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kubedrift.model import Finding, Severity
from kubedrift.predict.risk import RiskTable
from kubedrift.report.period import Period

OTHER = "other"
"""The label of the bar or row that sums everything past the top N."""


@dataclass(frozen=True, slots=True)
class Ranked:
    """One bar: a label, its value and how many episodes or findings it stands for."""

    label: str
    value: float
    count: int = 0


@dataclass(frozen=True, slots=True)
class RankedSeries:
    """Bars from the largest down; `other` sums what is past the top N (None: nothing was)."""

    title: str
    unit: str
    items: tuple[Ranked, ...] = ()
    other: Ranked | None = None

    @property
    def bars(self) -> tuple[Ranked, ...]:
        """The bars drawn: the top N, then "other" when there is one."""
        return self.items if self.other is None else (*self.items, self.other)

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to draw."""
        return not self.items


@dataclass(frozen=True, slots=True)
class DaySeries:
    """Values per UTC day: one line or bar group per name (`series` in drawing order)."""

    title: str
    unit: str
    days: tuple[datetime, ...] = ()
    series: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when every value is 0 (or there are no days)."""
        return not any(any(values) for _, values in self.series)

    def values(self, name: str) -> tuple[int, ...]:
        """The values of one series (a KeyError names an unknown one)."""
        return dict(self.series)[name]


@dataclass(frozen=True, slots=True)
class HeatMap:
    """Pools (rows) × facts (columns): the number of a pool's nodes drifted on a fact.

    `nodes` is each pool's node count when a scan knew it (None: from the store, which does
    not record pool sizes). Pools and facts past the top N are summed into "other".
    """

    title: str
    pools: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    cells: tuple[tuple[int, ...], ...] = ()
    nodes: tuple[int | None, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when no pool has a drifted node."""
        return not any(any(row) for row in self.cells)

    def cell(self, pool: str, fact: str) -> int:
        """The count of one cell (0 for a pool or fact not shown)."""
        if pool not in self.pools or fact not in self.facts:
            return 0
        return self.cells[self.pools.index(pool)][self.facts.index(fact)]


@dataclass(frozen=True, slots=True)
class PeriodTotals:
    """What one period adds up to: opened and resolved in it, open at its end, MTTR."""

    opened: int
    resolved: int
    open_at_end: int
    mttr: timedelta | None


@dataclass(frozen=True, slots=True)
class Summary:
    """The executive summary: open drift by severity, GPUs at risk, MTTR and the trend.

    `current`/`previous` are None for a report of one scan (no history to compare).
    """

    open_by_severity: Mapping[Severity, int]
    gpus_at_risk: int
    gpu_hours_at_risk: float
    drifted_objects: int
    current: PeriodTotals | None = None
    previous: PeriodTotals | None = None

    @property
    def open_total(self) -> int:
        """Open findings of every severity."""
        return sum(self.open_by_severity.values())


@dataclass(frozen=True, slots=True)
class FindingRow:
    """One line of the findings table: a finding, and its episode when it came from the store."""

    finding: Finding
    cluster: str | None = None
    first_seen: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """True unless the store saw it resolved."""
        return self.resolved_at is None


@dataclass(frozen=True, slots=True)
class Charts:
    """Every chart of a report, as values."""

    open_by_category: DaySeries
    new_vs_resolved: DaySeries
    mttr_by_namespace: RankedSeries
    mttr_by_team: RankedSeries
    mttr_by_manager: RankedSeries
    top_objects: RankedSeries
    top_managers: RankedSeries
    pool_heatmap: HeatMap
    gpu_hours_by_workload: RankedSeries


@dataclass(frozen=True, slots=True)
class ReportData:
    """A whole report: where it came from, the summary, the charts and every finding."""

    title: str
    generated_at: datetime
    summary: Summary
    charts: Charts
    findings: tuple[FindingRow, ...]
    period: Period | None = None
    clusters: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    risk: RiskTable | None = None
    """Each object's and node's predicted risk of drifting (None: no timeline store)."""

"""`ReportData` from a scan `Report`, from the timeline store over a period, or both.

    data = build_report(scan=None, history=read_history(store, period, filters), now=now)

The store is read once (`Store.history`) over the period *and* the one of equal length
before it (the trend's base); each period's episodes are then picked with the store's own
`HistoryFilter.matches`, and added up with `timeline_stats`, the function behind
`Store.stats` and `kubedrift timeline`, so the report agrees with both.

With a scan and a store, the scan is "now" (summary, heat map, GPU-hours, findings table)
and the store the history (trend, MTTR, per-day charts, top drifting objects and managers).
A scan alone is one snapshot: every finding is open, and the history charts are empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kubedrift.model import Finding, Report, Severity
from kubedrift.predict.risk import RiskTable
from kubedrift.report import series
from kubedrift.report.period import Period
from kubedrift.report.values import (
    Charts,
    DaySeries,
    FindingRow,
    PeriodTotals,
    RankedSeries,
    ReportData,
    Summary,
)
from kubedrift.store import HistoryFilter, Store, StoredFinding
from kubedrift.store.stats import EpisodeSpan, timeline_stats

DEFAULT_TITLE = "kubedrift drift report"

_DayChart = Callable[[Sequence[StoredFinding], Period], DaySeries]


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How a report is labelled and grouped.

    `teams` maps a namespace to its team for the MTTR-by-team chart: the store records no
    object labels, so a team label is given per namespace (`--team ml=research`); a finding
    whose details name a `team` keeps its own.
    """

    title: str = DEFAULT_TITLE
    teams: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class History:
    """The episodes of a period and of the period before it, read from one store."""

    period: Period
    current: tuple[StoredFinding, ...]
    previous: tuple[StoredFinding, ...]
    where: str = ""


@dataclass(frozen=True, slots=True)
class _Inputs:
    scan: Report | None
    history: History | None
    now: datetime
    options: ReportOptions = field(default_factory=ReportOptions)


def read_history(store: Store, period: Period, base: HistoryFilter, *, where: str = "") -> History:
    """The episodes open at some moment of `period` or of the period before it (one read)."""
    both = Period(period.previous().since, period.until)
    episodes = store.history(both.filter(base))
    now, before = period.filter(base), period.previous().filter(base)
    return History(
        period,
        tuple(e for e in episodes if now.matches(e)),
        tuple(e for e in episodes if before.matches(e)),
        where,
    )


def build_report(
    *,
    scan: Report | None,
    history: History | None,
    now: datetime,
    options: ReportOptions | None = None,
    risk: RiskTable | None = None,
) -> ReportData:
    """The whole report; at least one of `scan` and `history` is needed. `risk` is the
    store's predicted risk at the period's end (`predict.assess.assess_store`)."""
    if scan is None and history is None:
        raise ValueError("a report needs a scan, a store history, or both")
    inputs = _Inputs(scan, history, now, options or ReportOptions())
    present = _present(inputs)
    return ReportData(
        title=inputs.options.title,
        generated_at=now,
        summary=_summary(inputs, present),
        charts=_charts(inputs, present),
        findings=_rows(inputs),
        period=history.period if history else None,
        clusters=tuple(sorted({e.cluster for e in history.current})) if history else (),
        sources=_sources(inputs),
        notes=_notes(inputs),
        risk=risk,
    )


def _present(inputs: _Inputs) -> list[StoredFinding]:
    """What is open "now": the scan's findings no suppression covers (as `scan` counts them;
    suppressed ones stay in the findings table, marked), else the episodes open at the
    period's end."""
    if inputs.scan is not None:
        return [_as_episode(f, inputs.now) for f in inputs.scan.active()]
    assert inputs.history is not None
    return series.latest(inputs.history.current, inputs.history.period.until)


def _as_episode(finding: Finding, now: datetime) -> StoredFinding:
    """A scan's finding as an open episode seen once, so one set of functions serves both."""
    pool = dict(finding.details).get(series.POOL_DETAIL)
    return StoredFinding(0, "", 1, now, now, None, pool, finding)


def totals(episodes: Sequence[StoredFinding], period: Period) -> PeriodTotals:
    """Opened and resolved in `period`, open at its end, and MTTR of those resolved in it."""
    spans = [
        EpisodeSpan(
            e.first_seen,
            e.resolved_at if period.holds(e.resolved_at) else None,
            e.episode,
            e.finding.severity,
        )
        for e in episodes
    ]
    stats = timeline_stats(spans, period.until)
    opened = sum(period.holds(e.first_seen) for e in episodes)
    return PeriodTotals(opened, stats.resolved, stats.open, stats.time_to_resolve.mean)


def _summary(inputs: _Inputs, present: Sequence[StoredFinding]) -> Summary:
    counts = dict.fromkeys(reversed(Severity), 0)
    for e in present:
        counts[e.finding.severity] += 1
    risk = series.workload_risk(e.finding for e in present)
    history = inputs.history
    return Summary(
        open_by_severity=counts,
        gpus_at_risk=sum(gpus for gpus, _ in risk.values()),
        gpu_hours_at_risk=sum(hours for _, hours in risk.values()),
        drifted_objects=len({(e.cluster, e.finding.object) for e in present}),
        current=totals(history.current, history.period) if history else None,
        previous=totals(history.previous, history.period.previous()) if history else None,
    )


def _charts(inputs: _Inputs, present: Sequence[StoredFinding]) -> Charts:
    history = inputs.history
    episodes: Sequence[StoredFinding] = history.current if history else present
    clusters = {e.cluster for e in episodes}
    pools = {p.name: p.nodes for p in inputs.scan.pools} if inputs.scan else None
    return Charts(
        open_by_category=_days(history, series.open_by_category, "Open drift by category"),
        new_vs_resolved=_days(history, series.new_vs_resolved, "New vs resolved drift per day"),
        mttr_by_namespace=_mttr(history, series.namespace_of, "MTTR by namespace"),
        mttr_by_team=_mttr(history, series.team_key(dict(inputs.options.teams)), "MTTR by team"),
        mttr_by_manager=_mttr(history, series.manager_of, "MTTR by field manager"),
        top_objects=series.top_objects(episodes, len(clusters) > 1),
        top_managers=series.top_managers(episodes),
        pool_heatmap=series.pool_heatmap((e.finding for e in present), pools),
        gpu_hours_by_workload=series.gpu_hours_by_workload(
            series.workload_risk(e.finding for e in present)
        ),
    )


def _days(history: History | None, compute: _DayChart, title: str) -> DaySeries:
    if history is None:
        return DaySeries(title, "findings")
    return compute(history.current, history.period)


def _mttr(history: History | None, key: series.KeyOf, title: str) -> RankedSeries:
    if history is None:
        return RankedSeries(title, "hours")
    return series.mttr_by(history.current, history.period, key, title)


def _rows(inputs: _Inputs) -> tuple[FindingRow, ...]:
    """The scan's findings in its order; or the period's episodes, open (worst, oldest) first."""
    if inputs.scan is not None:
        return tuple(FindingRow(f) for f in inputs.scan.findings)
    assert inputs.history is not None
    found = list(inputs.history.current)
    found.sort(
        key=lambda e: (
            e.resolved_at is not None,
            -e.finding.severity.rank,
            e.first_seen,
            e.id,
        )
    )
    return tuple(FindingRow(e.finding, e.cluster, e.first_seen, e.resolved_at) for e in found)


def _sources(inputs: _Inputs) -> tuple[str, ...]:
    out: list[str] = []
    if inputs.scan is not None:
        out.append(f"scan of {inputs.scan.live_source or 'the cluster'}")
        if inputs.scan.revision:
            out.append(f"desired revision {inputs.scan.revision}")
    if inputs.history is not None and inputs.history.where:
        out.append(f"timeline store {inputs.history.where}")
    return tuple(out)


def _notes(inputs: _Inputs) -> tuple[str, ...]:
    notes = list(inputs.scan.notes) if inputs.scan else []
    if inputs.history is None:
        notes.append("No timeline store was given: trends, MTTR and per-day charts need --store.")
    if not inputs.options.teams:
        notes.append("MTTR by team groups by --team NAMESPACE=TEAM; none was given.")
    return tuple(notes)


def teams_of(pairs: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """`ReportOptions.teams` from a mapping, in a stable order."""
    return tuple(sorted(pairs.items()))

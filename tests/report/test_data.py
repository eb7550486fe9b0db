"""Report values from a real store (SQLite and PostgreSQL) checked against the store itself."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kubedrift.model import Category, Severity
from kubedrift.report import build_report, read_history
from kubedrift.report.period import Period
from kubedrift.report.values import ReportData
from kubedrift.store import ALL, HistoryFilter, SqlStore
from report.timeline import CLUSTER, NOW, PERIOD, day, fill


@pytest.fixture
def filled(sql_store: SqlStore) -> SqlStore:
    fill(sql_store)
    return sql_store


def report_of(store: SqlStore, base: HistoryFilter = ALL) -> ReportData:
    return build_report(scan=None, history=read_history(store, PERIOD, base), now=NOW)


def test_summary_counts_and_mttr_are_the_timeline_s(filled: SqlStore) -> None:
    summary = report_of(filled).summary
    assert summary.current is not None
    assert summary.previous is not None
    assert (summary.current.opened, summary.current.resolved) == (2, 2)
    assert summary.current.open_at_end == 2
    assert summary.current.mttr == timedelta(days=3)
    assert (summary.previous.opened, summary.previous.resolved) == (3, 1)
    assert summary.previous.open_at_end == 2
    assert summary.previous.mttr == timedelta(days=1)
    assert summary.open_by_severity[Severity.HIGH] == 2  # c, and d (a node driver drift)
    assert summary.open_total == 2
    assert summary.gpu_hours_at_risk == 12.5
    assert summary.gpus_at_risk == 4


def test_mttr_and_open_counts_agree_with_store_stats(filled: SqlStore) -> None:
    window = HistoryFilter(since=PERIOD.since, until=PERIOD.until)
    stats = filled.stats(window, now=NOW)
    summary = report_of(filled).summary
    assert summary.current is not None
    assert summary.current.mttr == stats.time_to_resolve.mean
    assert summary.current.resolved == stats.resolved
    assert summary.open_total == stats.open
    assert dict(summary.open_by_severity) == dict(stats.open_by_severity)


def test_open_drift_per_day_is_what_the_store_has_open_at_each_day_end(
    filled: SqlStore,
) -> None:
    chart = report_of(filled).charts.open_by_category
    for index, end in enumerate(PERIOD.day_ends()):
        open_then = [
            e
            for e in filled.history(HistoryFilter(since=end, until=end))
            if e.resolved_at is None or e.resolved_at > end
        ]
        for category in Category:
            expected = sum(e.finding.category is category for e in open_then)
            assert chart.values(category.value)[index] == expected, (end, category)
    assert chart.values("object")[-1] == 1
    assert chart.values("node")[-1] == 1


def test_new_and_resolved_fall_on_their_days(filled: SqlStore) -> None:
    chart = report_of(filled).charts.new_vs_resolved
    days = [d.date() for d in chart.days]
    new = dict(zip(days, chart.values("new"), strict=True))
    resolved = dict(zip(days, chart.values("resolved"), strict=True))
    assert {d: n for d, n in new.items() if n} == {day(4).date(): 1, day(5).date(): 1}
    assert {d: n for d, n in resolved.items() if n} == {day(4).date(): 1, day(6).date(): 1}


def test_mttr_groups(filled: SqlStore) -> None:
    charts = report_of(filled).charts
    by_ns = {b.label: b.value for b in charts.mttr_by_namespace.bars}
    assert by_ns == {"ml": 96.0, "web": 48.0}
    assert {b.label: b.value for b in charts.mttr_by_manager.bars} == {"kubectl-edit": 72.0}


def test_top_objects_managers_heatmap_and_gpu_hours(filled: SqlStore) -> None:
    charts = report_of(filled).charts
    assert {b.label: b.value for b in charts.top_managers.bars} == {"kubectl-edit": 2, "helm": 1}
    assert len(charts.top_objects.bars) == 4  # a, b, c, d were open in the period; e was not
    assert charts.pool_heatmap.cell("h100", "nvidia.com/cuda.driver-version.full") == 1
    assert [(b.label, b.value) for b in charts.gpu_hours_by_workload.bars] == [
        ("Deployment/ml/serve", 12.5)
    ]


def test_the_cluster_filter_keeps_other_clusters_out(filled: SqlStore) -> None:
    filled.record_scan("prod-b", [], at=day(3))
    assert report_of(filled, HistoryFilter(cluster="prod-b")).summary.open_total == 0
    assert report_of(filled, HistoryFilter(cluster=CLUSTER)).summary.open_total == 2


def test_findings_table_lists_the_period_s_episodes_open_first(filled: SqlStore) -> None:
    rows = report_of(filled).findings
    assert [r.is_open for r in rows] == [True, True, False, False]
    assert rows[0].cluster == CLUSTER


def test_a_period_before_any_scan_is_empty(filled: SqlStore) -> None:
    early = Period(day(-30), day(-20))
    data = build_report(scan=None, history=read_history(filled, early, ALL), now=NOW)
    assert data.summary.open_total == 0
    assert data.charts.open_by_category.is_empty
    assert data.charts.mttr_by_namespace.is_empty

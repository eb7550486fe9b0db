"""The HTML report: one self-contained file, escaped, no secret, sensible at 0, 1, 10,000."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubedrift.model import MISSING, Report, Severity
from kubedrift.report import build_report
from kubedrift.report.html import render_html
from kubedrift.report.values import ReportData
from report.pages import external, parse
from store.builders import finding, many, node_finding

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def scan_report(findings: list) -> ReportData:  # type: ignore[type-arg]
    return build_report(scan=Report(tuple(findings)), history=None, now=NOW)


def test_no_reference_leaves_the_file_even_when_values_hold_urls() -> None:
    hostile = finding(
        "evil<script>alert(1)</script>",
        desired="https://example.invalid/a.png",
        live={"url": "http://example.invalid/track.gif", "css": "url(http://example.invalid/x)"},
    )
    page = render_html(scan_report([hostile, node_finding("gpu-1", "h100")]))
    parsed = parse(page)
    assert [r for r in parsed.references if external(r)] == []
    assert "<script>alert(1)" not in page  # the name is escaped, not markup
    assert parsed.tags.count("script") == 1  # only the report's own filter script
    assert "default-src 'none'" in page


def test_every_chart_is_an_accessible_svg_with_a_title() -> None:
    page = render_html(scan_report([finding(), node_finding("gpu-1", "h100")]))
    parsed = parse(page)
    assert parsed.tags.count("svg") == 10  # nine charts and the top risks
    assert len(parsed.titles) == 10
    assert all(t.strip() for t in parsed.titles)
    assert page.count('role="img"') == 10


def test_ids_are_unique_in_the_page() -> None:
    page = render_html(scan_report([finding(), node_finding("gpu-1", "h100")]))
    import re

    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_zero_findings_give_empty_states_not_empty_axes() -> None:
    page = render_html(scan_report([]))
    assert "No drift found." in page
    assert page.count('class="chart empty"') == 10
    assert parse(page).rows == 0


def test_one_finding() -> None:
    page = render_html(scan_report([finding()]))
    assert parse(page).rows == 1
    assert "Deployment/ml/trainer" in page
    assert "- 4" in page
    assert "+ 2" in page


def test_ten_thousand_findings_stay_readable() -> None:
    """Sizes only: the time it takes is bench/bench_report.py's (issue 17.5)."""
    findings = many(10_000)
    data = scan_report(findings)
    page = render_html(data)
    top = data.charts.top_objects
    assert len(top.items) == 10
    assert top.other is not None
    assert top.other.count == 10_000 - 10  # every other finding summed into "other"
    assert parse(page).rows == 10_000


def test_diffs_of_objects_show_the_changed_line_only_as_changed() -> None:
    changed = finding(
        path="/spec/template/spec/containers/name=main/resources",
        desired={"limits": {"nvidia.com/gpu": 8, "memory": "64Gi"}},
        live={"limits": {"nvidia.com/gpu": 4, "memory": "64Gi"}},
    )
    page = render_html(scan_report([changed]))
    assert '<span class="d-del">-     &quot;nvidia.com/gpu&quot;: 8' in page
    assert '<span class="d-add">+     &quot;nvidia.com/gpu&quot;: 4' in page
    assert "<span>      &quot;memory&quot;: &quot;64Gi&quot;" in page


def test_an_absent_side_reads_absent() -> None:
    page = render_html(scan_report([finding(desired=MISSING, live="x")]))
    assert "- (absent)" in page


@pytest.mark.parametrize("severity", list(Severity))
def test_each_severity_is_labelled_in_words(severity: Severity) -> None:
    page = render_html(scan_report([finding(severity=severity)]))
    assert f'<span class="sev sev-{severity.value}">{severity.value}</span>' in page

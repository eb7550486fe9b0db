"""The report opens offline in headless Chromium: scripts run, charts render, nothing loads.

Screenshots are kept in tmp/artefacts/report/ (see conftest.py) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

from kubedrift.report import build_report, read_history
from kubedrift.report.html import render_html
from kubedrift.store import ALL, SqlStore
from report.browser import load
from report.timeline import NOW, PERIOD, fill


def test_the_detector_sees_a_page_that_loads_from_the_network(tmp_path: Path) -> None:
    control = tmp_path / "control.html"
    control.write_text('<img src="http://example.invalid/pixel.png">')
    assert load(control, tmp_path).requests == ["http://example.invalid/pixel.png"]


def test_report_from_a_store_opens_offline(tmp_path: Path, artefacts: Path) -> None:
    with SqlStore.open(str(tmp_path / "timeline.db")) as store:
        fill(store)
        history = read_history(store, PERIOD, ALL)
    page = tmp_path / "report.html"
    page.write_text(render_html(build_report(scan=None, history=history, now=NOW)))
    shot = artefacts / "report-from-store.png"
    loaded = load(page, tmp_path, screenshot=shot)
    assert loaded.requests == []
    assert 'data-ready="1"' in loaded.dom  # the inline script ran (CSP allows it)
    assert loaded.dom.count("<svg") == 10  # nine charts and the top risks (empty: no table)
    assert loaded.dom.count("<tr data-sev=") == 4
    assert shot.stat().st_size > 20_000

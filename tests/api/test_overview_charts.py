"""The overview's report charts: drawn off the request path once per store revision (the
previous revision's served meanwhile), and a clear notice without the `report` extra
(matplotlib), driven through the real app and the real `kubedrift serve`."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from api.serving import get, kubedrift_serve
from kubedrift.api import reportview
from kubedrift.api.app import build_dashboard
from kubedrift.api.auth import OpenAccess
from kubedrift.api.reportview import ChartCache, ReportCharts, standalone
from kubedrift.store import SqlStore
from store.builders import at, finding


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Gate:
    """`report_charts` that waits until the test opens the gate: a slow drawing."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.calls = 0

    def __call__(self, *args: Any) -> ReportCharts:
        self.calls += 1
        assert self.open.wait(120)
        return REAL_REPORT_CHARTS(*args)


REAL_REPORT_CHARTS = reportview.report_charts


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    made = Gate()
    monkeypatch.setattr(reportview, "report_charts", made)
    yield made
    made.open.set()  # no drawing thread left waiting


def test_charts_are_drawn_off_the_request_path_once_per_store_revision(
    tmp_path: Path, gate: Gate
) -> None:
    clock = Clock()
    with SqlStore.open(str(tmp_path / "timeline.db")) as store:
        store.record_scan("prod-a", [finding("trainer")], at=at(0))
        cache = ChartCache(store, fresh=60, clock=clock, now=lambda: at(60))
        assert cache.get(None) is None  # being drawn: the request does not wait
        assert cache.get(None) is None  # … nor start a second drawing
        gate.open.set()
        first = cache.wait(None, 120)
        assert first is not None
        assert gate.calls == 1
        clock.now = 3600.0
        assert cache.get(None) is first  # same revision: reused however old
        gate.open.clear()
        store.record_scan("prod-a", [finding("trainer"), finding("web")], at=at(30))
        clock.now = 3610.0
        assert cache.get(None) is first  # a write since: the previous revision's at once
        gate.open.set()
        second = cache.wait(None, 120)  # … while the new revision's are drawn
        assert second is not None
        assert second is not first
        assert second.revision != first.revision
        assert gate.calls == 2
        store.record_scan("prod-a", [finding("web")], at=at(40))
        clock.now = 3620.0
        assert cache.get(None) is second  # written again, but only 10 s old: no drawing
        assert cache.wait(None, 1) is second
        assert gate.calls == 2
        assert cache.get("prod-a") is None  # each cluster its own
        assert cache.wait("prod-a", 120) is not None


def test_charts_that_took_long_to_draw_are_redrawn_less_often(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drawing of 100 s (by the test's clock) keeps its charts for 4 x 100 s, not 60:
    a watcher writing all the time does not keep the server drawing."""
    clock = Clock()

    def slow(*args: Any) -> ReportCharts:
        clock.now += 100.0
        return REAL_REPORT_CHARTS(*args)

    monkeypatch.setattr(reportview, "report_charts", slow)
    with SqlStore.open(str(tmp_path / "timeline.db")) as store:
        store.record_scan("prod-a", [finding("trainer")], at=at(0))
        cache = ChartCache(store, fresh=60, clock=clock, now=lambda: at(60))
        cache.warm()
        first = cache.wait(None, 120)
        assert first is not None
        store.record_scan("prod-a", [finding("web")], at=at(30))
        clock.now += 300.0
        assert cache.get(None) is first
        assert cache.wait(None, 1) is first  # 300 s old: no drawing started
        clock.now += 101.0
        assert cache.get(None) is first  # 401 s: the new revision is drawn meanwhile
        second = cache.wait(None, 120)
        assert second is not None
        assert second.revision != first.revision


def test_the_first_overview_answers_at_once_while_a_child_draws_the_charts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page says the charts are being prepared and reloads itself; a chart is a 503 with
    Retry-After; once drawn (in a child process: never in the server's) both serve them.
    The real app, in-process (httpx2)."""

    def not_here(*args: Any) -> ReportCharts:
        raise AssertionError("charts drawn in the server's own process")

    monkeypatch.setattr(reportview, "report_charts", not_here)
    with SqlStore.open(str(tmp_path / "timeline.db")) as store:
        store.record_scan("prod-a", [finding("trainer")], at=at(0))
        app = build_dashboard(store, OpenAccess())  # starts drawing the charts of all

        async def fetch(path: str) -> httpx2.Response:
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://l") as client:
                return await client.get(path)

        page = asyncio.run(fetch("/"))  # a spawned child takes seconds to import matplotlib
        assert page.status_code == 200
        assert 'id="charts-preparing"' in page.text
        assert '<meta http-equiv="refresh" content="5">' in page.text
        assert 'id="open-total">1<' in page.text  # the store's own figures are there
        chart = asyncio.run(fetch("/charts/new-vs-resolved.svg"))
        assert (chart.status_code, chart.headers["retry-after"]) == (503, "5")
        deadline = time.monotonic() + 120
        while 'id="charts-preparing"' in (page := asyncio.run(fetch("/"))).text:
            assert "failed" not in page.text, page.text
            assert time.monotonic() < deadline, "charts not drawn in 120 s"
            time.sleep(0.2)
        assert 'id="report-period"' in page.text
        assert "http-equiv" not in page.text
        svg = asyncio.run(fetch("/charts/new-vs-resolved.svg"))
        assert svg.status_code == 200
        assert svg.text.startswith("<svg")


def test_a_chart_is_a_standalone_svg_document() -> None:
    bare = '<svg viewBox="0 0 540 60" role="img"><text>x</text></svg>'
    assert standalone(bare).startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox')
    assert standalone(standalone(bare)) == standalone(bare)


@pytest.fixture
def no_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kubedrift serve` as installed without the `report` extra: `import matplotlib` fails."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "matplotlib.py").write_text("raise ImportError('No module named matplotlib')\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow))


@pytest.mark.usefixtures("no_matplotlib")
def test_without_the_report_extra_the_overview_says_so(tmp_path: Path) -> None:
    db = tmp_path / "timeline.db"
    with SqlStore.open(str(db)) as store:
        store.record_scan("prod-a", [finding("trainer")], at=at(0))
    with kubedrift_serve(str(db), tmp_path / "serve.log", "--auth", "none") as base:
        status, _, page = get(base + "/")
        assert status == 200
        assert 'id="charts-missing"' in page
        assert "pip install &#39;kubedrift[report]&#39;" in page
        assert "<img" not in page
        assert 'id="open-total">1<' in page  # the rest of the overview is there
        status, _, body = get(base + "/charts/top-objects.svg")
        assert status == 404
        assert "kubedrift[report]" in body


def test_a_failed_drawing_in_the_child_is_raised_in_the_server(tmp_path: Path) -> None:
    """The child's error comes back as one line (the cache logs it, shows it, retries)."""
    with SqlStore.open(str(tmp_path / "timeline.db")) as store:
        drawer = reportview.ChildDrawer(str(tmp_path / "gone.db"))
        with pytest.raises(RuntimeError, match=r"StoreError: .*gone\.db"):
            drawer(store, None, at(60), "r1")


def test_kubedrift_serve_draws_the_charts_of_its_read_only_store(tmp_path: Path) -> None:
    """The real command opens the store read-only (SQLite's `file:…?mode=ro` URL): the
    child drawing the charts opens the same file, and the overview shows them."""
    db = tmp_path / "timeline.db"
    with SqlStore.open(str(db)) as store:
        store.record_scan("prod-a", [finding("trainer")], at=at(0))
    with kubedrift_serve(str(db), tmp_path / "serve.log", "--auth", "none") as base:
        deadline = time.monotonic() + 120
        while 'id="charts-preparing"' in (page := get(base + "/")[2]):
            assert "failed" not in page, page
            assert time.monotonic() < deadline, "charts not drawn in 120 s"
            time.sleep(0.3)
        assert 'id="report-period"' in page
        assert get(base + "/charts/new-vs-resolved.svg")[0] == 200
    assert "ERROR" not in (tmp_path / "serve.log").read_text()

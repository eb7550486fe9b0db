"""The overview's charts: `kubedrift report`'s own charts of the live store, cached per revision.

One source of truth: the overview computes the report's values (`read_history` and
`build_report` over the last 30 days of the store, one cluster or all) and draws them with
the report's chart functions (`kubedrift.report.charts`, matplotlib's SVG backend), so a
chart on the dashboard is the chart `kubedrift report --store … --since 30d` draws for the
same period.

Cost, and why it is cached: reading every episode of the period and drawing nine charts
takes seconds with a big store (bench/bench_report.py), and a page view must not. The
result is kept per cluster and reused while the store's revision (`FindingBrowser.revision`:
newest episode, newest value change, latest scan) is unchanged, or while it is younger than
`FRESH` seconds even if the watcher wrote since (a store being written changes revision on
every event; charts of the last 30 days that lag by a minute are still live). One lock makes
concurrent requests wait for one computation instead of starting several.

matplotlib is imported only here, on the first overview, through the report's charts
module; when it is not installed (the container image leaves the `report` extra out, see
README) `available()` says so and the page says charts need the extra.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kubedrift.report import Period, build_report, read_history
from kubedrift.report.values import Summary
from kubedrift.store import HistoryFilter, SqlStore

WINDOW = timedelta(days=30)
"""The period the overview's charts cover: `kubedrift report`'s default `--since 30d`."""
FRESH = 60.0
"""Seconds a computation is reused even when the store changed since."""
MISSING = "the charts need matplotlib: pip install 'kubedrift[report]'"
"""What the overview says without the `report` extra."""
_DESC = re.compile(r"<desc[^>]*>(.*?)</desc>", re.S)
_SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


@dataclass(frozen=True, slots=True)
class ChartImage:
    """One chart: its key (URL and ids), title, text alternative and SVG document."""

    key: str
    title: str
    description: str
    svg: str


@dataclass(frozen=True, slots=True)
class ReportCharts:
    """The report's summary and charts of one cluster (or all) at one store revision."""

    revision: str
    period: Period
    summary: Summary
    charts: tuple[ChartImage, ...]

    def chart(self, key: str) -> ChartImage | None:
        """The chart of that key (None when unknown)."""
        return next((c for c in self.charts if c.key == key), None)


def available() -> bool:
    """Whether matplotlib (the `report` extra) can be imported; imports it when it can."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def standalone(svg: str) -> str:
    """A chart's SVG as a document of its own (an `<img>` source): inline SVG may omit the
    namespace, a document may not."""
    if _SVG_NS in svg.split(">", 1)[0]:
        return svg
    return svg.replace("<svg", f"<svg {_SVG_NS}", 1)


def report_charts(
    store: SqlStore, cluster: str | None, now: datetime, revision: str
) -> ReportCharts:
    """Compute the report's values for the last `WINDOW` and draw its charts (slow)."""
    from kubedrift.report.charts import draw_all

    period = Period(now - WINDOW, now)
    history = read_history(store, period, HistoryFilter(cluster=cluster), where=store.where)
    data = build_report(scan=None, history=history, now=now)
    images = tuple(
        ChartImage(key, value.title, _description(svg), standalone(svg))
        for key, value, svg in draw_all(data.charts)
    )
    return ReportCharts(revision, period, data.summary, images)


def _description(svg: str) -> str:
    found = _DESC.search(svg)
    return html.unescape(found.group(1)) if found else ""


class ChartCache:
    """`get(cluster)`: the report's charts, computed once per store revision (see above)."""

    def __init__(
        self,
        store: SqlStore,
        *,
        fresh: float = FRESH,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._fresh = fresh
        self._clock = clock
        self._now = now
        self._lock = threading.Lock()
        self._kept: dict[str | None, tuple[float, ReportCharts]] = {}

    def get(self, cluster: str | None) -> ReportCharts:
        """The charts of `cluster` (None: all), computed now only when the kept ones are
        older than `fresh` seconds and of another revision."""
        with self._lock:
            revision = _token(self._store.browse().revision())
            kept = self._kept.get(cluster)
            if kept is not None and (
                kept[1].revision == revision or self._clock() - kept[0] < self._fresh
            ):
                return kept[1]
            made = report_charts(self._store, cluster, self._now(), revision)
            if len(self._kept) > 64:  # one entry per cluster: a bound, not an LRU
                self._kept.clear()
            self._kept[cluster] = (self._clock(), made)
            return made


def _token(revision: tuple[Any, ...]) -> str:
    """The revision as a short string for URLs and comparison."""
    return hashlib.sha256(repr(revision).encode()).hexdigest()[:16]

"""The overview's charts: `kubedrift report`'s own charts of the live store, cached per revision.

One source of truth: the overview computes the report's values (`read_history` and
`build_report` over the last 30 days of the store, one cluster or all) and draws them with
the report's chart functions (`kubedrift.report.charts`, matplotlib's SVG backend), so a
chart on the dashboard is the chart `kubedrift report --store … --since 30d` draws for the
same period.

Cost, and why no request waits for it: reading every episode of the period and drawing
nine charts takes seconds with a big store (tens of seconds for 100,000 findings under load,
bench/bench_api.py), and a page view must not. So the charts are drawn off the request
path, in one background thread at a time (matplotlib's state is not shared between
drawings running at once), stale-while-revalidate as HTTP caches do (RFC 5861):

- the drawing runs in a child process (`ChildDrawer`, started by `spawn`): the server's
  interpreter is not shared with it, so requests answered meanwhile do not wait for the
  drawing's Python (a thread drawing in the server made every store query of a page wait
  for the interpreter lock: 1 s for the first overview), and matplotlib, numpy and the 30
  days of episodes stay out of the server's memory (its RSS went from 116 to 544 MiB
  with 100,000 findings when it drew them itself);
- `ChartCache.get(cluster)` answers at once with the charts kept for that cluster (None
  before the first are drawn: the page says they are being prepared and reloads itself);
- the kept charts are redrawn in the background when the store's revision
  (`FindingBrowser.revision`: newest episode, newest value change, latest scan) moved and
  they are older than `FRESH` seconds, or than `SPACING` times their last drawing took when
  that is longer: a watcher writing every few seconds costs one drawing a minute (with
  100,000 findings under load, where one drawing takes a minute, one every five), and every
  request meanwhile gets the previous revision's charts; drawing is kept to a fifth of
  the time at most;
- `warm()` starts the drawing of the whole store's charts when the server starts;
- a drawing that fails is logged, its error shown on the page, and tried again after
  `RETRY` seconds.

matplotlib is imported only here, on the first overview, through the report's charts
module; when it is not installed (the container image leaves the `report` extra out, see
README) `available()` says so and the page says charts need the extra.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kubedrift.api.child import in_child
from kubedrift.report import Period, build_report, read_history
from kubedrift.report.values import Summary
from kubedrift.store import HistoryFilter, SqlStore

WINDOW = timedelta(days=30)
"""The period the overview's charts cover: `kubedrift report`'s default `--since 30d`."""
FRESH = 60.0
"""Seconds drawn charts are served without a look at the store's revision."""
SPACING = 4.0
"""Kept charts are at least this many times as old as their drawing took before a redraw."""
RETRY = 30.0
"""Seconds after a failed drawing before the next may start."""
PREPARING_RETRY = 5
"""Seconds after which a page or chart that is still being drawn asks to be reloaded."""
MISSING = "the charts need matplotlib: pip install 'kubedrift[report]'"
"""What the overview says without the `report` extra."""
log = logging.getLogger(__name__)
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


Drawer = Callable[[SqlStore, str | None, datetime, str], ReportCharts]
"""Draws the charts of (store, cluster, now, revision): `report_charts` or a `ChildDrawer`."""


def _in_process(store: SqlStore, cluster: str | None, now: datetime, revision: str) -> ReportCharts:
    return report_charts(store, cluster, now, revision)  # looked up at each call


class ChildDrawer:
    """`report_charts` in a child process of its own, one per drawing (see the module
    docstring and `kubedrift.api.child`)."""

    def __init__(self, url: str) -> None:
        self._url = url

    def __call__(
        self, store: SqlStore, cluster: str | None, now: datetime, revision: str
    ) -> ReportCharts:
        """Draw in a child and return its charts; any failure there is raised here."""
        charts = in_child("charts", self._url, _in_process, cluster, now, revision)
        assert isinstance(charts, ReportCharts)
        return charts


class ChartCache:
    """`get(cluster)`: the report's charts, drawn in the background (see above)."""

    def __init__(
        self,
        store: SqlStore,
        *,
        fresh: float = FRESH,
        retry: float = RETRY,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        drawer: Drawer = _in_process,
    ) -> None:
        self._store = store
        self._drawer = drawer
        self._fresh, self._retry = fresh, retry
        self._clock = clock
        self._now = now
        self._lock = threading.Lock()
        self._drawing = threading.Lock()  # one drawing at a time
        self._kept: dict[str | None, tuple[float, ReportCharts]] = {}
        self._running: dict[str | None, threading.Thread] = {}
        self._failed: dict[str | None, tuple[float, str]] = {}
        self._took: dict[str | None, float] = {}  # seconds the last drawing took

    def get(self, cluster: str | None) -> ReportCharts | None:
        """The charts kept for `cluster` (None: all clusters), at once; None until the first
        are drawn. Starts a drawing when there are none, or when the kept ones are older
        than `fresh` seconds and of another store revision."""
        with self._lock:
            kept = self._kept.get(cluster)
            if kept is not None and self._clock() - kept[0] < self._young(cluster):
                return kept[1]  # young: no revision read at all
        revision = _token(self._store.browse().revision())
        with self._lock:
            kept = self._kept.get(cluster)
            if kept is None or kept[1].revision != revision:
                self._start(cluster)
            return None if kept is None else kept[1]

    def _young(self, cluster: str | None) -> float:
        """Seconds kept charts are served without a look at the revision."""
        return max(self._fresh, SPACING * self._took.get(cluster, 0.0))

    def error(self, cluster: str | None) -> str | None:
        """Why the last drawing of `cluster` failed (None: it did not)."""
        with self._lock:
            failed = self._failed.get(cluster)
            return None if failed is None else failed[1]

    def warm(self, cluster: str | None = None) -> None:
        """Start drawing `cluster`'s charts now (at start-up: the first overview is fast);
        nothing when matplotlib is missing (checked in the thread: importing it takes a
        second or two)."""
        with self._lock:
            self._start(cluster, only_if_available=True)

    def wait(self, cluster: str | None, timeout: float) -> ReportCharts | None:
        """Wait for a running drawing of `cluster` (tests, benchmarks); the kept charts."""
        with self._lock:
            running = self._running.get(cluster)
        if running is not None:
            running.join(timeout)
        with self._lock:
            kept = self._kept.get(cluster)
            return None if kept is None else kept[1]

    def _start(self, cluster: str | None, *, only_if_available: bool = False) -> None:
        """Start a drawing of `cluster` unless one runs or one failed less than `retry` ago
        (called with `_lock` held)."""
        failed = self._failed.get(cluster)
        if cluster in self._running or (failed and self._clock() - failed[0] < self._retry):
            return
        if len(self._kept) > 64:  # one entry per cluster: a bound, not an LRU
            self._kept.clear()
        thread = threading.Thread(
            target=self._draw,
            args=(cluster, only_if_available),
            name="kubedrift-charts",
            daemon=True,
        )
        self._running[cluster] = thread
        thread.start()

    def _draw(self, cluster: str | None, only_if_available: bool = False) -> None:
        try:
            if only_if_available and not available():
                return
            with self._drawing:
                started = self._clock()
                revision = _token(self._store.browse().revision())
                made = self._drawer(self._store, cluster, self._now(), revision)
        except Exception as err:  # any failure (store, drawing) is said, never ends unseen
            log.error("report charts of %s not drawn (retrying in %.0fs): %s",
                      cluster or "all clusters", self._retry, err)  # fmt: skip
            with self._lock:
                self._failed[cluster] = (self._clock(), f"{type(err).__name__}: {err}")
        else:
            with self._lock:
                self._kept[cluster] = (self._clock(), made)
                self._took[cluster] = self._clock() - started
                self._failed.pop(cluster, None)
        finally:
            with self._lock:
                self._running.pop(cluster, None)


def _token(revision: tuple[Any, ...]) -> str:
    """The revision as a short string for URLs and comparison."""
    return hashlib.sha256(repr(revision).encode()).hexdigest()[:16]

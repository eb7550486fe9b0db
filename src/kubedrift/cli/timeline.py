"""`kubedrift timeline`: what the timeline store adds up to over a window, and a day-by-day chart.

The window runs from `--since` (default 7 days ago) to `--until` (default now). Per
severity, per category and in total: episodes *opened* in the window, *resolved* in it, and
still *open* at its end; time to resolve (mean is MTTR, median) of those resolved in it; the
age of the oldest open at the end. An episode resolved after the window's end counts as open
at the end. Numbers come from `timeline_stats`, the function behind `Store.stats`, on one
read of the matching episodes. The chart has one bar pair per day, or per hour for windows
of 48 hours or less (UTC, aligned to the day or hour): opened vs resolved.

The `json` format (`yaml` is the same document), schema `kubedrift-timeline/v1`:

    {"schema": "kubedrift-timeline/v1",
     "generated_at": ISO,
     "window": {"since": ISO, "until": ISO, "bucket": "day"|"hour"},
     "totals": STATS,
     "by_severity": {"critical": STATS, "high": …, "medium": …, "low": …, "info": …},
     "by_category": {"object": STATS, "node": …, "workload": …},
     "suppressed": 1,
     "chart": [{"start": ISO, "opened": 3, "resolved": 1}, …]}

    STATS = {"episodes", "opened", "resolved", "open", "reopened",
             "time_to_resolve": {"count", "mean_seconds", "median_seconds", "longest_seconds"},
             "open_age": {"count", "mean_seconds", "median_seconds", "longest_seconds"}}

Every severity and category is always present; durations are seconds (null when none).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, NamedTuple

import typer
from rich.table import Table
from rich.text import Text

from kubedrift.cli import reading
from kubedrift.cli.reading import (
    WHEN,
    ClusterOpt,
    ColorOpt,
    KindOpt,
    NamespaceOpt,
    OutputOpt,
    PoolOpt,
    ReportFormat,
    SeverityOpt,
    StoreOpt,
    choose_format,
    document_text,
    duration_text,
    history_filter,
    md_table,
    rich_text,
    short_time,
    write,
)
from kubedrift.cli.render.table_style import DIM, LIVE_STYLE
from kubedrift.cli.suppress_store import DEFAULT_STORE
from kubedrift.model import Category, Severity
from kubedrift.model.times import iso
from kubedrift.store import DurationSummary, StoredFinding, TimelineStats
from kubedrift.store.readonly import open_existing
from kubedrift.store.stats import EpisodeSpan, timeline_stats

SCHEMA = "kubedrift-timeline/v1"
DEFAULT_SINCE = "7d"
HOURLY_UP_TO = timedelta(hours=48)
BAR_WIDTH = 30
OPENED_STYLE = "yellow"
_EIGHTHS = " ▏▎▍▌▋▊▉"


@dataclass(frozen=True, slots=True)
class Window:
    """The time a timeline covers, and its buckets: days, or hours up to `HOURLY_UP_TO`."""

    since: datetime
    until: datetime

    @property
    def step(self) -> timedelta:
        """A bucket's length."""
        return timedelta(hours=1) if self.until - self.since <= HOURLY_UP_TO else timedelta(days=1)

    def floor(self, when: datetime) -> datetime:
        """The start of the bucket that holds `when` (UTC day or hour)."""
        when = when.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        return when if self.step < timedelta(days=1) else when.replace(hour=0)

    def starts(self) -> list[datetime]:
        """Each bucket's start, from the one holding `since` to the one holding `until`."""
        first, step = self.floor(self.since), self.step
        out = [first]
        while out[-1] + step < self.until:
            out.append(out[-1] + step)
        return out

    def holds(self, when: datetime | None) -> bool:
        """Whether `when` falls inside the window (both ends included)."""
        return when is not None and self.since <= when <= self.until


class Bucket(NamedTuple):
    """One bar pair of the chart."""

    start: datetime
    opened: int
    resolved: int


@dataclass(frozen=True, slots=True)
class GroupStats:
    """The statistics of one group of episodes, with how many opened inside the window."""

    opened: int
    stats: TimelineStats


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything the timeline shows."""

    window: Window
    totals: GroupStats
    by_severity: dict[Severity, GroupStats]
    by_category: dict[Category, GroupStats]
    chart: list[Bucket]
    suppressed: int = 0
    """Open episodes a suppression covers (as last recorded): shown, counted apart."""


def group_stats(episodes: Iterable[StoredFinding], window: Window) -> GroupStats:
    """Statistics as of the window's end: a later resolution does not count yet."""
    found = list(episodes)
    spans = [
        EpisodeSpan(
            e.first_seen,
            e.resolved_at if window.holds(e.resolved_at) else None,
            e.episode,
            e.finding.severity,
        )
        for e in found
    ]
    opened = sum(window.holds(e.first_seen) for e in found)
    return GroupStats(opened, timeline_stats(spans, window.until))


def chart(episodes: Sequence[StoredFinding], window: Window) -> list[Bucket]:
    """Per bucket, the episodes that opened and that resolved in it."""
    starts = window.starts()
    opened, resolved = [0] * len(starts), [0] * len(starts)
    for e in episodes:
        for counts, when in ((opened, e.first_seen), (resolved, e.resolved_at)):
            if when is not None and window.holds(when):
                index = (window.floor(when) - starts[0]) // window.step
                counts[min(index, len(starts) - 1)] += 1
    return [Bucket(s, o, r) for s, o, r in zip(starts, opened, resolved, strict=True)]


def summarize(episodes: Sequence[StoredFinding], window: Window) -> Summary:
    """The totals, the groups and the chart of the episodes matching the filters."""
    return Summary(
        window=window,
        totals=group_stats(episodes, window),
        by_severity={
            s: group_stats((e for e in episodes if e.finding.severity is s), window)
            for s in reversed(Severity)
        },
        by_category={
            c: group_stats((e for e in episodes if e.finding.category is c), window)
            for c in Category
        },
        chart=chart(episodes, window),
        suppressed=sum(e.is_open and e.finding.suppression is not None for e in episodes),
    )


def _seconds(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds()


def _durations(summary: DurationSummary) -> dict[str, Any]:
    return {
        "count": summary.count,
        "mean_seconds": _seconds(summary.mean),
        "median_seconds": _seconds(summary.median),
        "longest_seconds": _seconds(summary.longest),
    }


def stats_json(group: GroupStats) -> dict[str, Any]:
    """The `STATS` object of the JSON document."""
    s = group.stats
    return {
        "episodes": s.episodes,
        "opened": group.opened,
        "resolved": s.resolved,
        "open": s.open,
        "reopened": s.reopened,
        "time_to_resolve": _durations(s.time_to_resolve),
        "open_age": _durations(s.open_age),
    }


def timeline_json(summary: Summary, now: datetime) -> dict[str, Any]:
    """The `kubedrift-timeline/v1` document."""
    w = summary.window
    bucket = "hour" if w.step < timedelta(days=1) else "day"
    return {
        "schema": SCHEMA,
        "generated_at": iso(now),
        "window": {"since": iso(w.since), "until": iso(w.until), "bucket": bucket},
        "totals": stats_json(summary.totals),
        "by_severity": {s.value: stats_json(g) for s, g in summary.by_severity.items()},
        "by_category": {c.value: stats_json(g) for c, g in summary.by_category.items()},
        "suppressed": summary.suppressed,
        "chart": [
            {"start": iso(b.start), "opened": b.opened, "resolved": b.resolved}
            for b in summary.chart
        ],
    }


STATS_HEAD = ["", "opened", "resolved", "open", "MTTR", "median", "oldest open"]


def _stats_rows(summary: Summary) -> list[list[str]]:
    """A row per severity and category that has episodes, then the total."""
    groups = [(s.value, g) for s, g in summary.by_severity.items()]
    groups += [(c.value, g) for c, g in summary.by_category.items()]
    groups = [(name, g) for name, g in groups if g.stats.episodes] + [("total", summary.totals)]
    return [[name, *_stats_cells(g)] for name, g in groups]


def _stats_cells(group: GroupStats) -> list[str]:
    s, resolve = group.stats, group.stats.time_to_resolve
    spans = (resolve.mean, resolve.median, s.open_age.longest)
    return [f"{group.opened:,}", f"{s.resolved:,}", f"{s.open:,}"] + [
        "—" if d is None else duration_text(d) for d in spans
    ]


def bar(count: int, peak: int, width: int = BAR_WIDTH) -> str:
    """`count` of `peak` as block characters, to an eighth of a cell; never empty above 0."""
    if count <= 0 or peak <= 0:
        return ""
    full, part = divmod(max(1, round(count * width * 8 / peak)), 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


Segment = tuple[str, str]
"""Text and its style: one piece of a chart line."""


def chart_lines(summary: Summary) -> list[list[Segment]]:
    """A header, then per bucket: its label, opened bar and count, resolved bar and count."""
    peak = max((max(b.opened, b.resolved) for b in summary.chart), default=0)
    hourly = summary.window.step < timedelta(days=1)
    label = "%m-%d %H:00" if hourly else "%a %m-%d"
    unit = ("hour (UTC)" if hourly else "day (UTC)", "bold")
    lines = [_chart_line(unit, ("opened", OPENED_STYLE), "", ("resolved", LIVE_STYLE), "")]
    for b in summary.chart:
        opened, resolved = (bar(b.opened, peak), OPENED_STYLE), (bar(b.resolved, peak), LIVE_STYLE)
        lines.append(
            _chart_line((b.start.strftime(label), DIM), opened, b.opened, resolved, b.resolved)
        )
    return lines


def _chart_line(
    label: Segment, opened: Segment, opened_count: int | str, resolved: Segment, count: int | str
) -> list[Segment]:
    return [
        (f"{label[0]:<11} ", label[1]),
        (opened[0].ljust(BAR_WIDTH), opened[1]),
        (f" {opened_count:>4}  ", ""),
        (resolved[0].ljust(BAR_WIDTH), resolved[1]),
        (f" {count:>4}", ""),
    ]


def _title(summary: Summary) -> str:
    w, t = summary.window, summary.totals
    counts = f"{t.opened:,} opened · {t.stats.resolved:,} resolved · {t.stats.open:,} open"
    if summary.suppressed:
        counts += f" ({summary.suppressed:,} suppressed)"
    return f"Drift timeline {short_time(w.since)} → {short_time(w.until)} · {counts}"


def render_table(summary: Summary, color: bool | None) -> str:
    """The title, the statistics table, then the chart, for a terminal."""
    table = Table(*STATS_HEAD, box=None, header_style="bold", pad_edge=False)
    for column in table.columns[1:]:
        column.justify = "right"
    for row in _stats_rows(summary):
        table.add_row(*row, style="bold" if row[0] == "total" else "")
    chart_rows = [Text.assemble(*segments) for segments in chart_lines(summary)]
    return rich_text([Text(_title(summary), style="bold"), "", table, "", *chart_rows], color=color)


def render_markdown(summary: Summary) -> str:
    """Title, statistics table and the chart as a text block."""
    stats = md_table(STATS_HEAD, _stats_rows(summary))
    lines = ["".join(text for text, _ in segments).rstrip() for segments in chart_lines(summary)]
    chart_block = "```text\n" + "\n".join(lines) + "\n```"
    return f"# {_title(summary)}\n\n{stats}\n\n## Opened vs resolved\n\n{chart_block}\n"


def timeline(
    store: StoreOpt = DEFAULT_STORE,
    cluster: ClusterOpt = None,
    namespace: NamespaceOpt = None,
    kind: KindOpt = None,
    pool: PoolOpt = None,
    severity: SeverityOpt = None,
    since: Annotated[str, typer.Option(help=f"Start of the window: {WHEN}.")] = DEFAULT_SINCE,
    until: Annotated[
        str | None, typer.Option(help=f"End of the window (default now): {WHEN}.")
    ] = None,
    output: OutputOpt = None,
    color: ColorOpt = None,
) -> int:
    """Drift statistics over a window: opened, resolved, open, time to resolve, and a chart."""
    now = reading.utc_now()
    fmt = choose_format(output)
    filters = history_filter(cluster, namespace, kind, pool, severity, (since, until), now=now)
    window = Window(filters.since or now, filters.until or now)
    with open_existing(store) as opened:
        episodes = opened.history(filters)
    summary = summarize(episodes, window)
    if fmt is ReportFormat.TABLE:
        text = render_table(summary, color)
    elif fmt is ReportFormat.MARKDOWN:
        text = render_markdown(summary)
    else:
        text = document_text(timeline_json(summary, now), fmt)
    write(text)
    return 0

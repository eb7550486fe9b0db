"""Each chart value of `values` drawn as one accessible SVG string, ready to inline in HTML.

Library: matplotlib's SVG backend, through `matplotlib.figure.Figure` (no pyplot: no global
figure registry, no GUI backend, safe in a server thread). Why matplotlib: it is the
best-kept Python plotting library (NumFOCUS, releases several times a year), draws SVG
server-side with no browser, no JavaScript and no network (plotly's static export needs
Kaleido and a Chrome), and its wheel ships its own fonts. Its cost, measured on this 2-core
machine: ~165 MB installed with numpy, pillow and fonttools, and 0.4-1.2 s to import; so it
is imported here only when a chart is drawn (`_matplotlib()`), never by other commands.

Accessibility:
- colours are the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008), told
  apart by people with any common colour-vision deficiency; the heat map uses `cividis`,
  designed for the same (Nuñez et al., PLOS ONE 2018);
- colour never carries meaning alone: lines have distinct markers, the resolved bars a
  hatch, every bar and heat-map cell its number written on it;
- text stays text (`svg.fonttype: none`), so it is searchable and read by screen readers;
  each SVG has `role="img"`, a `<title>` and a `<desc>` summarising it in words.

Determinism and inlining: no date metadata, `svg.hashsalt` set per chart (clip-path ids
differ between the charts of one page, and equal between runs), the XML prolog, DOCTYPE and
metadata block dropped. A chart with nothing to draw is a small text SVG that says so.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from kubedrift.model import KubedriftError
from kubedrift.predict.risk import RiskTable
from kubedrift.report.values import Charts, DaySeries, HeatMap, RankedSeries

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
SERIES_STYLE = {
    "object": (OKABE_ITO["blue"], "o"),
    "node": (OKABE_ITO["vermillion"], "s"),
    "workload": (OKABE_ITO["green"], "^"),
    "new": (OKABE_ITO["orange"], ""),
    "resolved": (OKABE_ITO["sky"], "//"),
}
BAR_COLOUR = OKABE_ITO["blue"]
OTHER_COLOUR = "#999999"
HEAT_MAP = "cividis"
WIDTH = 7.5  # inches: 540 pt, the width the HTML page gives a chart
LABEL_CHARS = 48
MAX_TICKS = 10
OTHER_SCALE = 2.0  # "other" drawn as a bar up to twice the largest bar
CHAR_PT = 5.4  # average width of a 9 pt DejaVu Sans character, for margins

_RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
}
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")
_ID = re.compile(r'(\sid=")([^"]+)"')
_URL_REF = re.compile(r"url\(#([^)]+)\)")
_HREF_REF = re.compile(r'((?:xlink:)?href)="#([^"]+)"')


def _matplotlib() -> None:
    """Import matplotlib on first use, with the non-interactive SVG backend; without the
    `report` extra, one line says how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise KubedriftError(
            "the report's charts need matplotlib: pip install 'kubedrift[report]'",
            where="kubedrift report",
        ) from None

    matplotlib.use("svg", force=False)


@contextmanager
def _figure(key: str, height: float) -> Iterator[Figure]:
    _matplotlib()
    import matplotlib
    from matplotlib.figure import Figure

    rc = cast(Any, {**_RC, "svg.hashsalt": f"kubedrift-{key}"})
    with matplotlib.rc_context(rc):
        yield Figure(figsize=(WIDTH, height))


def _margins(fig: Figure, left_chars: int, bottom_pt: float = 34.0, right: float = 0.97) -> None:
    """Fixed margins, room made for the longest tick label on the left. Cheaper than a
    layout engine: constrained layout measured every text twice and took half of the
    drawing time (bench/bench_report.py)."""
    width_pt, height_pt = fig.get_figwidth() * 72, fig.get_figheight() * 72
    left = min(0.6, (left_chars * CHAR_PT + 40) / width_pt)
    fig.subplots_adjust(
        left=left, right=right, bottom=bottom_pt / height_pt, top=1 - 26 / height_pt
    )


def _svg(fig: Figure, key: str, title: str, description: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return accessible(buffer.getvalue(), key, title, description)


def accessible(svg: str, key: str, title: str, description: str) -> str:
    """An SVG document as an inline element: prolog and metadata dropped; `role="img"`,
    `<title>` and `<desc>` added, and the fixed size replaced by CSS-scalable width."""
    body = _own_ids(_METADATA.sub("", _PROLOG.sub("", svg, count=1)), key)
    ids = f"chart-{key}-title chart-{key}-desc"
    head = (
        f'<title id="chart-{key}-title">{html.escape(title)}</title>'
        f'<desc id="chart-{key}-desc">{html.escape(description)}</desc>'
    )

    def opening(match: re.Match[str]) -> str:
        attrs = re.sub(r'\s(width|height)="[^"]*"', "", match.group(1))
        return f'<svg{attrs} role="img" aria-labelledby="{ids}" class="chart">{head}'

    return _SVG_OPEN.sub(opening, body, count=1).strip()


def _own_ids(svg: str, key: str) -> str:
    """Every id of the document (and each `#id` reference) prefixed with the chart's key:
    matplotlib names the groups of every figure `figure_1`, `axes_1`, …, and ids must be
    unique in the page the charts are inlined in."""
    svg = _ID.sub(lambda m: f'{m.group(1)}{key}-{m.group(2)}"', svg)
    svg = _URL_REF.sub(lambda m: f"url(#{key}-{m.group(1)})", svg)
    return _HREF_REF.sub(lambda m: f'{m.group(1)}="#{key}-{m.group(2)}"', svg)


def empty(key: str, title: str, message: str) -> str:
    """The SVG of a chart with nothing to draw: its title and why it is empty."""
    return (
        f'<svg viewBox="0 0 540 60" role="img" class="chart empty" '
        f'aria-labelledby="chart-{key}-title chart-{key}-desc">'
        f'<title id="chart-{key}-title">{html.escape(title)}</title>'
        f'<desc id="chart-{key}-desc">{html.escape(message)}</desc>'
        f'<text x="8" y="22" font-weight="bold" font-size="14">{html.escape(title)}</text>'
        f'<text x="8" y="46" font-size="12" fill="#444">{html.escape(message)}</text></svg>'
    )


def short(label: str, limit: int = LABEL_CHARS) -> str:
    """A label cut in the middle to `limit` characters (both ends tell objects apart)."""
    if len(label) <= limit:
        return label
    keep = (limit - 1) // 2
    return label[:keep] + "…" + label[-(limit - 1 - keep) :]


def _date_axis(ax: Axes, days: Sequence[datetime]) -> None:
    """Days as positions 0..n-1, at most `MAX_TICKS` labelled (`03-02`): a period is whole
    UTC days, so a date axis would add nothing but its own tick rules."""
    step = max(1, -(-len(days) // MAX_TICKS))
    ticks = list(range(0, len(days), step))
    ax.set_xticks(ticks, [days[i].astimezone(UTC).strftime("%m-%d") for i in ticks])
    ax.set_xlabel("day (UTC)")


def day_lines(value: DaySeries, key: str, empty_message: str) -> str:
    """One line per series over the days (markers tell the lines apart)."""
    if value.is_empty:
        return empty(key, value.title, empty_message)
    with _figure(key, 3.0) as fig:
        ax = fig.subplots()
        for name, values in value.series:
            colour, marker = SERIES_STYLE.get(name, (BAR_COLOUR, "o"))
            ax.plot(range(len(values)), values, label=name, color=colour, marker=marker, ms=4)
        _date_axis(ax, value.days)
        ax.set_ylabel(value.unit)
        ax.set_ylim(bottom=0)
        ax.set_title(value.title)
        ax.legend(loc="upper left", frameon=False)
        _margins(fig, 4)
        return _svg(fig, key, value.title, _describe_days(value))


def day_bars(value: DaySeries, key: str, empty_message: str) -> str:
    """Side-by-side bars per day, one per series (the second hatched)."""
    if value.is_empty:
        return empty(key, value.title, empty_message)
    with _figure(key, 3.0) as fig:
        ax = fig.subplots()
        width = 0.8 / max(len(value.series), 1)
        for i, (name, values) in enumerate(value.series):
            colour, hatch = SERIES_STYLE.get(name, (BAR_COLOUR, ""))
            offset = (i - (len(value.series) - 1) / 2) * width
            x = [i + offset for i in range(len(values))]
            ax.bar(x, values, width, label=name, color=colour, hatch=hatch or None)
        _date_axis(ax, value.days)
        ax.set_ylabel(value.unit)
        ax.set_title(value.title)
        ax.legend(loc="upper left", frameon=False)
        _margins(fig, 4)
        return _svg(fig, key, value.title, _describe_days(value))


def ranked_bars(value: RankedSeries, key: str, empty_message: str) -> str:
    """Horizontal bars from the largest down, each with its value written at its end.

    "other" is a grey bar when it is on the scale of the others (a mean of the rest, a
    small remainder); a sum that dwarfs them (5,000 episodes against a top of 9) is written
    under the chart instead, so the top N stay readable.
    """
    if value.is_empty:
        return empty(key, value.title, empty_message)
    other = value.other
    on_scale = other is not None and other.value <= OTHER_SCALE * value.items[0].value
    bars = value.bars if on_scale else value.items
    with _figure(key, 0.9 + 0.28 * len(bars) + (0 if on_scale or other is None else 0.25)) as fig:
        ax = fig.subplots()
        labels = [short(b.label) for b in bars]
        colours = [BAR_COLOUR] * len(value.items) + [OTHER_COLOUR] * (len(bars) - len(value.items))
        rects = ax.barh(range(len(bars)), [b.value for b in bars], color=colours)
        ax.set_yticks(range(len(bars)), labels)
        ax.invert_yaxis()
        ax.bar_label(rects, labels=[_number(b.value) for b in bars], padding=3)
        ax.set_xlabel(value.unit)
        ax.set_title(value.title)
        ax.margins(x=0.15)
        bottom = 34.0
        if other is not None and not on_scale:
            note = f"{other.label}: {_number(other.value)} {value.unit} (not drawn to scale)"
            fig.text(0.01, 0.01, note, fontsize=8, color="#444444")
            bottom = 50.0
        _margins(fig, max(len(label) for label in labels), bottom)
        return _svg(fig, key, value.title, _describe_ranked(value))


def heatmap(value: HeatMap, key: str, empty_message: str) -> str:
    """Pools × facts, each cell's count written in it (`count/nodes` when pool sizes are known)."""
    if value.is_empty:
        return empty(key, value.title, empty_message)
    with _figure(key, 2.6 + 0.32 * len(value.pools)) as fig:
        ax = fig.subplots()
        # pcolormesh, not imshow: cells stay vector shapes (imshow embeds a PNG).
        image = ax.pcolormesh(value.cells, cmap=HEAT_MAP, vmin=0, edgecolors="white")
        ax.invert_yaxis()
        ax.set_xticks(
            [c + 0.5 for c in range(len(value.facts))], [short(f, 32) for f in value.facts]
        )
        ax.tick_params(axis="x", labelrotation=35)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
        ax.set_yticks(
            [r + 0.5 for r in range(len(value.pools))], [short(p, 28) for p in value.pools]
        )
        peak = max(max(row) for row in value.cells)
        for r, row in enumerate(value.cells):
            for c, count in enumerate(row):
                text = _cell_text(count, value.nodes[r] if value.nodes else None)
                dark = count < peak * 0.6  # cividis is dark at its low end
                ax.text(
                    c + 0.5,
                    r + 0.5,
                    text,
                    ha="center",
                    va="center",
                    color="white" if dark else "black",
                )
        fig.colorbar(image, ax=ax, label="drifted nodes", shrink=0.8, pad=0.02)
        ax.set_title(value.title)
        longest_fact = max(len(short(f, 32)) for f in value.facts)
        _margins(fig, max(len(short(p, 28)) for p in value.pools), 20 + longest_fact * 3.4, 1.0)
        return _svg(fig, key, value.title, _describe_heatmap(value))


def _cell_text(count: int, nodes: int | None) -> str:
    return f"{count}/{nodes}" if nodes else str(count)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _describe_days(value: DaySeries) -> str:
    span = f"{len(value.days)} days" if len(value.days) != 1 else "1 day"
    parts = [f"{name}: total {sum(v):,}, peak {max(v, default=0):,}" for name, v in value.series]
    return f"{value.title} over {span} ({value.unit}). " + "; ".join(parts) + "."


def _describe_ranked(value: RankedSeries) -> str:
    top = ", ".join(f"{b.label} {_number(b.value)}" for b in value.bars[:5])
    return f"{value.title} ({value.unit}), largest first: {top}."


def _describe_heatmap(value: HeatMap) -> str:
    worst = max(
        (
            (value.cells[r][c], p, f)
            for r, p in enumerate(value.pools)
            for c, f in enumerate(value.facts)
        ),
        default=(0, "", ""),
    )
    return (
        f"{value.title}: {len(value.pools)} pools by {len(value.facts)} facts; "
        f"most drifted: pool {worst[1]} on {worst[2]} with {worst[0]} nodes."
    )


NO_HISTORY = "No drift recorded in this period (or no timeline store: pass --store)."
CHART_ORDER = (
    ("open-by-category", "open_by_category"),
    ("new-vs-resolved", "new_vs_resolved"),
    ("mttr-namespace", "mttr_by_namespace"),
    ("mttr-team", "mttr_by_team"),
    ("mttr-manager", "mttr_by_manager"),
    ("top-objects", "top_objects"),
    ("top-managers", "top_managers"),
    ("pool-heatmap", "pool_heatmap"),
    ("gpu-hours", "gpu_hours_by_workload"),
)
"""Each chart's key (its ids in the page) and the `Charts` field it draws, in page order."""

EMPTY_MESSAGES = {
    "open-by-category": NO_HISTORY,
    "new-vs-resolved": NO_HISTORY,
    "mttr-namespace": "No drift was resolved in this period.",
    "mttr-team": "No drift was resolved in this period.",
    "mttr-manager": "No drift was resolved in this period.",
    "top-objects": "No drifting object.",
    "top-managers": "No drift names the field manager that made it.",
    "pool-heatmap": "No node of any pool drifts from its pool or profile.",
    "gpu-hours": "No running GPU workload is at risk.",
}


def draw(value: DaySeries | RankedSeries | HeatMap, key: str) -> str:
    """Any chart value as its SVG, the empty-state message chosen by `key`."""
    message = EMPTY_MESSAGES.get(key, "Nothing to show.")
    if isinstance(value, HeatMap):
        return heatmap(value, key, message)
    if isinstance(value, RankedSeries):
        return ranked_bars(value, key, message)
    if key == "new-vs-resolved":
        return day_bars(value, key, message)
    return day_lines(value, key, message)


def draw_all(charts: Charts) -> list[tuple[str, DaySeries | RankedSeries | HeatMap, str]]:
    """Every chart of a report, in page order: (key, value, SVG)."""
    out = []
    for key, name in CHART_ORDER:
        value = getattr(charts, name)
        out.append((key, value, draw(value, key)))
    return out


TOP_RISKS = 10
RISK_STYLE = (("7d", OKABE_ITO["vermillion"], ""), ("24h", OKABE_ITO["blue"], "//"))
"""Each horizon's colour and hatch: told apart without colour, as the resolved bars are."""
NO_STORE_RISK = "Predicted risk needs the timeline store (--store)."


def top_risks(table: RiskTable | None, key: str = "top-risks") -> str:
    """The riskiest objects and nodes: two bars each, 7 days and 24 h, in percent.

    An empty table (no store, or not enough history) is the empty chart with its note."""
    title = "Top risks: probability of drifting"
    if table is None:
        return empty(key, title, NO_STORE_RISK)
    if not table.risks:
        return empty(key, title, table.notes[0] if table.notes else "No object or node at risk.")
    shown = table.top(TOP_RISKS)
    labels = [short(str(r.entity)) for r in shown]
    with _figure(key, 1.1 + 0.42 * len(shown)) as fig:
        ax = fig.subplots()
        height = 0.4
        for i, (horizon, colour, hatch) in enumerate(RISK_STYLE):
            values = [100 * r.probability(horizon) for r in shown]
            y = [row + (i - 0.5) * height for row in range(len(shown))]
            rects = ax.barh(y, values, height, label=f"within {horizon}", color=colour,
                            hatch=hatch or None)  # fmt: skip
            ax.bar_label(rects, labels=[f"{v:.0f}%" for v in values], padding=3, fontsize=8)
        ax.set_yticks(range(len(shown)), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 110)
        ax.set_xlabel(f"predicted probability (%), model: {table.model_text()}")
        ax.set_title(title)
        ax.legend(loc="lower right", frameon=False)
        _margins(fig, max(len(label) for label in labels))
        return _svg(fig, key, title, _describe_risks(table))


def _describe_risks(table: RiskTable) -> str:
    top = ", ".join(
        f"{r.entity} {r.probability('7d'):.0%} in 7 days, {r.probability('24h'):.0%} in 24 h"
        for r in table.top(5)
    )
    return f"Riskiest objects and nodes by the {table.model_text()} model: {top}."

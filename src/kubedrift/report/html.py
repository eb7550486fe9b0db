"""`ReportData` as ONE self-contained HTML document: summary, charts, every finding with its diff.

Self-contained means it opens from a laptop with no network: the styles and the one small
script are inline, the charts are inline SVG, and a Content-Security-Policy `<meta>` forbids
every fetch (`default-src 'none'`), so a URL that slipped into the page could not load
anything either. Every text from a cluster is escaped (`html.escape`); values appear exactly
as findings hold them (Secret values are keyed hashes by construction).

The script only filters the findings table (text search, severity) and marks the body
`data-ready` once it ran; without it the page is complete, just not filterable. Each chart
has its numbers in a table beside it (`<details>`), for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from html import escape

from kubedrift.model import Severity
from kubedrift.report import charts
from kubedrift.report.diffs import diff_lines
from kubedrift.report.risk_html import risk_section
from kubedrift.report.values import (
    DaySeries,
    FindingRow,
    HeatMap,
    PeriodTotals,
    RankedSeries,
    ReportData,
    Summary,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

STYLE = """
:root{--fg:#1b1b1b;--muted:#555;--line:#d0d0d0;--bg:#fff;--soft:#f4f4f4}
body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;color:var(--fg);background:var(--bg);
margin:0 auto;max-width:1200px;padding:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid var(--line)}
.meta{color:var(--muted);margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px;background:var(--soft)}
.card .n{font-size:24px;font-weight:bold}.card .l{color:var(--muted)}
.sev{display:inline-block;padding:0 6px;border-radius:3px;font-weight:bold;border:1px solid}
.sev-critical{background:#D55E00;color:#fff;border-color:#D55E00}
.sev-high{background:#E69F00;color:#000;border-color:#E69F00}
.sev-medium{background:#F0E442;color:#000;border-color:#c9bd1a}
.sev-low{background:#56B4E9;color:#000;border-color:#56B4E9}
.sev-info{background:#fff;color:#000;border-color:#999}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px}
svg.chart{width:100%;height:auto}
details table,table.findings{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{background:var(--soft);position:sticky;top:0}
td.num{text-align:right}
td code{word-break:break-all}
pre.diff{margin:0;white-space:pre-wrap;word-break:break-word;font-size:12px;max-width:520px}
.d-del{background:#fde7d9}.d-add{background:#dcefff}.d-cut{color:var(--muted)}
.filters{display:flex;gap:8px;margin:8px 0}
.notes{color:var(--muted)}
@media print{.filters{display:none}.charts{display:block}figure{break-inside:avoid;margin:8px 0}
th{position:static}}
"""

SCRIPT = """
(function(){
  var q=document.getElementById('q'), s=document.getElementById('sev');
  var rows=[].slice.call(document.querySelectorAll('table.findings tbody tr'));
  var count=document.getElementById('shown');
  function apply(){
    var text=q.value.toLowerCase(), sev=s.value, shown=0;
    rows.forEach(function(r){
      var ok=(!text||r.textContent.toLowerCase().indexOf(text)>=0)&&(!sev||r.dataset.sev===sev);
      r.hidden=!ok; if(ok){shown++;}
    });
    count.textContent=shown.toLocaleString();
  }
  q.addEventListener('input',apply); s.addEventListener('change',apply);
  document.body.dataset.ready='1';
})();
"""


def render_html(data: ReportData) -> str:
    """The whole report as one HTML document."""
    parts = [
        _head(data.title),
        "<body>",
        _header(data),
        _summary(data.summary, data),
        _charts_section(data),
        risk_section(data.risk),
        _findings(data.findings),
        _notes(data.notes),
        f"<script>{SCRIPT}</script>",
        "</body></html>\n",
    ]
    return "\n".join(parts)


def _head(title: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
    )


def when(moment: datetime | None) -> str:
    """`2026-03-02 09:00Z`, or an empty string."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def span(duration: timedelta | None) -> str:
    """`2d 4h`, `3h 12m`, `45m`, `—` for none."""
    if duration is None:
        return "—"
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins}m" if hours else f"{mins}m"


def _header(data: ReportData) -> str:
    lines = [f"Generated {when(data.generated_at)}"]
    if data.period is not None:
        lines.append(f"period {when(data.period.since)} → {when(data.period.until)}")
    if data.clusters:
        lines.append("clusters " + ", ".join(data.clusters))
    sources = " · ".join(data.sources)
    return (
        f"<header><h1>{escape(data.title)}</h1>"
        f'<p class="meta">{escape(" · ".join(lines))}</p>'
        f'<p class="meta">{escape(sources)}</p></header>'
    )


def _card(number: str, label: str, extra: str = "") -> str:
    return (
        f'<div class="card"><div class="n">{escape(number)}</div>'
        f'<div class="l">{escape(label)}</div>{extra}</div>'
    )


def _summary(summary: Summary, data: ReportData) -> str:
    cards = [
        _card(f"{summary.open_total:,}", "open findings"),
        *(
            _card(f"{n:,}", "open", f'<span class="sev sev-{s.value}">{s.value}</span>')
            for s, n in summary.open_by_severity.items()
        ),
        _card(f"{summary.gpu_hours_at_risk:,.1f}", "GPU-hours at risk"),
        _card(f"{summary.gpus_at_risk:,}", "GPUs at risk"),
        _card(f"{summary.drifted_objects:,}", "drifted objects"),
    ]
    cards += _trend_cards(summary.current, summary.previous)
    return (
        '<section id="summary"><h2>Summary</h2><div class="cards">'
        + "".join(cards)
        + "</div></section>"
    )


def _trend_cards(current: PeriodTotals | None, previous: PeriodTotals | None) -> list[str]:
    if current is None or previous is None:
        return []
    return [
        _card(f"{current.opened:,}", "new in period", _trend(current.opened, previous.opened)),
        _card(f"{current.resolved:,}", "resolved", _trend(current.resolved, previous.resolved)),
        _card(span(current.mttr), "MTTR", _trend_span(current.mttr, previous.mttr)),
    ]


def trend_text(now: float, before: float) -> str:
    """`▲ 25% vs previous period`, `▼ …`, `= …`, or `new vs previous period` from zero."""
    if now == before:
        return "= vs previous period"
    if before == 0:
        return "▲ from 0 in previous period"
    change = (now - before) / before * 100
    arrow = "▲" if change > 0 else "▼"
    return f"{arrow} {abs(change):.0f}% vs previous period"


def _trend(now: float, before: float) -> str:
    return f'<div class="l trend">{escape(trend_text(now, before))}</div>'


def _trend_span(now: timedelta | None, before: timedelta | None) -> str:
    if now is None or before is None:
        return f'<div class="l trend">previous period: {escape(span(before))}</div>'
    return _trend(now.total_seconds(), before.total_seconds())


def _charts_section(data: ReportData) -> str:
    figures = []
    for key, value, svg in charts.draw_all(data.charts):
        figures.append(
            f'<figure id="fig-{key}">{svg}<details><summary>Data</summary>'
            f"{data_table(value)}</details></figure>"
        )
    return (
        '<section id="charts"><h2>Charts</h2><div class="charts">'
        + "".join(figures)
        + "</div></section>"
    )


def data_table(value: DaySeries | RankedSeries | HeatMap) -> str:
    """A chart's numbers as an HTML table."""
    if isinstance(value, RankedSeries):
        rows = [[b.label, _num(b.value), f"{b.count:,}"] for b in value.bars]
        return _table(["", value.unit, "episodes/findings"], rows)
    if isinstance(value, HeatMap):
        rows = [
            [p, *(str(c) for c in row)] for p, row in zip(value.pools, value.cells, strict=True)
        ]
        return _table(["pool", *value.facts], rows)
    names = [name for name, _ in value.series]
    columns = [values for _, values in value.series]
    rows = [[when(d)[:10], *(str(c[i]) for c in columns)] for i, d in enumerate(value.days)]
    return _table(["day", *names], rows)


def _num(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _table(head: list[str], rows: Iterable[list[str]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


FINDING_HEAD = [
    "severity",
    "status",
    "cluster",
    "object",
    "path",
    "rule",
    "changed by",
    "first seen",
    "diff (desired → live)",
]


def _findings(rows: tuple[FindingRow, ...]) -> str:
    options = "".join(f'<option value="{s.value}">{s.value}</option>' for s in reversed(Severity))
    filters = (
        '<div class="filters"><label>Search <input id="q" type="search"></label>'
        f'<label>Severity <select id="sev"><option value="">all</option>{options}</select></label>'
        f'<span><span id="shown">{len(rows):,}</span> of {len(rows):,} shown</span></div>'
    )
    if not rows:
        return f'<section id="findings"><h2>Findings</h2>{filters}<p>No drift found.</p></section>'
    head = "".join(f"<th>{h}</th>" for h in FINDING_HEAD)
    body = "\n".join(_finding_row(r) for r in rows)
    return (
        f'<section id="findings"><h2>Findings ({len(rows):,})</h2>{filters}'
        f'<table class="findings"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></section>"
    )


def _finding_row(row: FindingRow) -> str:
    f = row.finding
    status = "open" if row.is_open else f"resolved {when(row.resolved_at)}"
    if f.suppression is not None and row.is_open:  # shown, never silently dropped
        status = f.suppression.label()
    cells = [
        f'<span class="sev sev-{f.severity.value}">{f.severity.value}</span>',
        escape(status),
        escape(row.cluster or ""),
        escape(str(f.object)),
        f"<code>{escape(f.path)}</code>",
        escape(f.rule),
        escape(f.manager or ""),
        escape(when(row.first_seen)),
        _diff(row),
    ]
    tds = "".join(f"<td>{c}</td>" for c in cells)
    return f'<tr data-sev="{f.severity.value}">{tds}</tr>'


_CLASSES = {"-": "d-del", "+": "d-add", " ": "", "…": "d-cut"}


def _diff(row: FindingRow) -> str:
    lines = diff_lines(row.finding.desired, row.finding.live)
    out = []
    for mark, text in lines:
        css = _CLASSES.get(mark, "")
        cls = f' class="{css}"' if css else ""
        out.append(f"<span{cls}>{escape(mark)} {escape(text)}</span>")
    message = f'<div class="l">{escape(row.finding.message)}</div>'
    return '<pre class="diff">' + "\n".join(out) + "</pre>" + message


def _notes(notes: tuple[str, ...]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return f'<section id="notes" class="notes"><h2>Notes</h2><ul>{items}</ul></section>'

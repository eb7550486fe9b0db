"""The report's "Risk of drift" section: the top-risks chart, its table, and how it was made.

Drawn from the `RiskTable` the report was given (`ReportData.risk`): the model that produced
each horizon (the transparent hazard baseline when scikit-learn is absent or history is
short) and every note are printed with it, so a reader knows how far to trust the numbers.
Without a store, or with too little history, the section says so instead of guessing.
"""

from __future__ import annotations

from html import escape

from kubedrift.predict.risk import RiskTable
from kubedrift.report import charts

TABLE_ROWS = 20
HEAD = ("object or node", "pool / namespace", "24 h", "7 d", "top reason", "likely field", "hint")


def risk_section(table: RiskTable | None) -> str:
    """The whole `<section id="risk">`."""
    parts = ['<section id="risk"><h2>Risk of drift</h2>', _meta(table)]
    parts.append(f'<figure id="fig-top-risks">{charts.top_risks(table)}</figure>')
    if table is not None and table.risks:
        parts.append(_rows(table))
    if table is not None and table.notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in table.notes)
        parts.append(f'<ul class="notes risk-notes">{items}</ul>')
    parts.append("</section>")
    return "".join(parts)


def _meta(table: RiskTable | None) -> str:
    if table is None:
        return f'<p class="meta">{escape(charts.NO_STORE_RISK)}</p>'
    if not table.enough:
        return '<p class="meta">Not enough history to predict drift (see the note below).</p>'
    when = "" if table.cutoff is None else table.cutoff.strftime("%Y-%m-%d %H:%MZ")
    text = (
        f"Probability of a new drift episode within 24 hours and 7 days, as of {when}, "
        f"model: {table.model_text()}; {len(table.risks):,} objects and nodes that drifted before."
    )
    return f'<p class="meta" id="risk-model">{escape(text)}</p>'


def _rows(table: RiskTable) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in HEAD)
    body = []
    for r in table.top(TABLE_ROWS):
        group = r.pool if r.entity.is_node else r.entity.namespace
        cells = (
            str(r.entity),
            group or "",
            f"{r.probability('24h'):.0%}",
            f"{r.probability('7d'):.0%}",
            r.reason or "",
            r.likely or "",
            r.hint or "",
        )
        body.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    rows = "".join(body)
    return f'<table class="risks"><thead><tr>{th}</tr></thead><tbody>{rows}</tbody></table>'

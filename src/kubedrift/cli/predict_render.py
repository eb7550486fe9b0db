"""The documents and tables of `kubedrift predict` (json, yaml, table, markdown).

Forecast, schema `kubedrift-predict/v1`:

    {"schema": "kubedrift-predict/v1", "cutoff": ISO, "horizon": "7d",
     "model": "logistic-regression"|"hazard", "trained_on_rows": 1234, "note": str|null,
     "summary": {"entities": 235, "shown": 20, "likely": 41},
     "predictions": [{"rank": 1, "object": {"cluster", "group", "kind", "namespace", "name"},
                      "pool": str|null, "probability": 0.93,
                      "likely": [{"path": "/spec/replicas", "share": 0.8}],
                      "reasons": ["drifted 3 time(s) in the last 7 days", …],
                      "hints": ["move the hand-edited field /spec/replicas under Git …"]}]}

`likely` counts entities at probability >= 0.5. Backtest, schema `kubedrift-backtest/v1`:

    {"schema": "kubedrift-backtest/v1",
     "backtest": {"horizon": "7d", "folds": 5, "test_rows": 996, "test_positives": 447,
                  "model_name": "logistic-regression", "seed": 0, "weeks": 8,
                  "model": {"precision@20", "recall@20", "roc_auc", "brier", "calibration"},
                  "baselines": {"recent-repeats": {…}, "random": {…}, "hazard": {…}}}}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from kubedrift.cli.reading import ReportFormat, document_text, md_table, rich_text
from kubedrift.cli.render import markdown as md
from kubedrift.cli.render.values import safe
from kubedrift.model.times import iso
from kubedrift.predict.backtest import BacktestResult, horizon_label
from kubedrift.predict.forecast import Forecast, Prediction

FORECAST_SCHEMA = "kubedrift-predict/v1"
BACKTEST_SCHEMA = "kubedrift-backtest/v1"
METRICS = ("precision@20", "recall@20", "roc_auc", "brier")


def backtest_json(result: BacktestResult, meta: dict[str, Any]) -> dict[str, Any]:
    """The backtest document (module docstring)."""
    model = result.metrics[result.model].to_json()
    baselines = {n: m.to_json() for n, m in result.metrics.items() if n != result.model}
    body = {
        "horizon": horizon_label(result.horizon),
        "folds": result.folds,
        "test_rows": result.test_rows,
        "test_positives": result.test_positives,
        "model_name": result.model,
        **meta,
        "model": model,
        "baselines": baselines,
    }
    return {"schema": BACKTEST_SCHEMA, "backtest": body}


def render_backtest(
    result: BacktestResult, meta: dict[str, Any], fmt: ReportFormat, color: bool | None
) -> str:
    """The backtest in the chosen format."""
    doc = backtest_json(result, meta)
    if fmt in (ReportFormat.JSON, ReportFormat.YAML):
        return document_text(doc, fmt)
    body = doc["backtest"]
    rows = [[md.text(result.model), *_cells(body["model"])]]
    rows += [[md.text(name), *_cells(m)] for name, m in body["baselines"].items()]
    title = (
        f"Backtest, {body['horizon']} horizon: {result.folds} folds, "
        f"{result.test_rows} predictions, {result.test_positives} drifted"
    )
    if fmt is ReportFormat.MARKDOWN:
        return f"## {title}\n\n" + md_table(["scorer", *METRICS], rows)
    table = Table(title=title)
    for column in ("scorer", *METRICS):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return rich_text([table], color=color)


def _cells(metrics: dict[str, Any]) -> list[str]:
    return ["-" if metrics[m] is None else f"{metrics[m]:.3f}" for m in METRICS]


def prediction_json(rank: int, p: Prediction) -> dict[str, Any]:
    """One ranked prediction."""
    e = p.entity
    return {
        "rank": rank,
        "object": {
            "cluster": e.cluster,
            "group": e.group,
            "kind": e.kind,
            "namespace": e.namespace or None,
            "name": e.name,
        },
        "pool": p.pool,
        "probability": round(p.probability, 4),
        "likely": [{"path": path, "share": round(share, 3)} for path, share in p.likely],
        "reasons": list(p.reasons),
        "hints": list(p.hints),
    }


def forecast_json(result: Forecast, cutoff: datetime, top: int) -> dict[str, Any]:
    """The forecast document (module docstring)."""
    shown = result.predictions[:top]
    return {
        "schema": FORECAST_SCHEMA,
        "cutoff": iso(cutoff),
        "horizon": horizon_label(result.horizon),
        "model": result.model,
        "trained_on_rows": result.trained_on,
        "note": result.note,
        "summary": {
            "entities": len(result.predictions),
            "shown": len(shown),
            "likely": sum(p.probability >= 0.5 for p in result.predictions),
        },
        "predictions": [prediction_json(i, p) for i, p in enumerate(shown, 1)],
    }


def render_forecast(
    result: Forecast, cutoff: datetime, top: int, fmt: ReportFormat, color: bool | None
) -> str:
    """The forecast in the chosen format."""
    doc = forecast_json(result, cutoff, top)
    if fmt in (ReportFormat.JSON, ReportFormat.YAML):
        return document_text(doc, fmt)
    head = (
        f"Drift risk within {doc['horizon']} as of {doc['cutoff']} "
        f"({result.model}; {doc['summary']['likely']} of {doc['summary']['entities']} "
        "likely to drift)"
    )
    if not result.predictions:
        return f"{head}\nNothing to predict: the store holds no findings yet.\n"
    if fmt is ReportFormat.MARKDOWN:
        return f"## {head}\n\n" + md_table(
            ["#", "object", "risk", "likely fields", "why", "what to do"],
            [_md_row(i, p) for i, p in enumerate(result.predictions[:top], 1)],
        )
    shown = result.predictions[:top]
    table = Table(title=head, show_lines=True)
    longest = max(len(str(p.entity)) for p in shown)
    table.add_column("#")
    table.add_column("object", min_width=min(longest, 60), overflow="fold")
    table.add_column("risk")
    table.add_column("likely fields · why · what to do", overflow="fold")
    for i, p in enumerate(shown, 1):
        why = Text(_likely(p), style="bold")
        why.append("".join(f"\n{safe(r)}" for r in p.reasons))
        why.append("".join(f"\n→ {safe(h)}" for h in p.hints), style="bold")
        table.add_row(str(i), safe(str(p.entity)), f"{p.probability:.0%}", why)
    return rich_text([table], color=color)


def _likely(p: Prediction) -> str:
    return ", ".join(f"{safe(path)} ({share:.0%})" for path, share in p.likely)


def _md_row(rank: int, p: Prediction) -> list[str]:
    return [
        str(rank),
        md.text(str(p.entity)),
        f"{p.probability:.0%}",
        "; ".join(f"{md.code(path)} ({share:.0%})" for path, share in p.likely),
        md.text("; ".join(p.reasons)),
        md.text("; ".join(p.hints)),
    ]

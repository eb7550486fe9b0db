"""`kubedrift predict --textfile PATH`: predicted-risk counts as Prometheus gauges.

Written in the text format for node_exporter's textfile collector (or any scraper of a
`.prom` file), with prometheus_client's `write_to_textfile` on a registry of its own, as
its documentation shows (https://prometheus.github.io/client_python/exporting/textfile);
that function writes a temporary file and renames it, so a scrape never sees half a file
(node_exporter's README asks for exactly that). Run it from a CronJob after each watch
cycle, or by hand. Series:

    kubedrift_predicted_risk_entities{horizon="7d",level="high"}    probability >= 0.5
    kubedrift_predicted_risk_entities{horizon="7d",level="medium"}  0.2 <= p < 0.5
    kubedrift_predicted_risk_entities{horizon="7d",level="low"}     p < 0.2
    kubedrift_predicted_risk_max{horizon="7d"}                      the highest probability
    kubedrift_prediction_cutoff_timestamp_seconds{horizon="7d"}     what the ranking is as of
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

from kubedrift.predict.backtest import horizon_label
from kubedrift.predict.forecast import Forecast

LEVELS = (("high", 0.5, 1.01), ("medium", 0.2, 0.5), ("low", 0.0, 0.2))
"""Probability bands of the `level` label: [low, high)."""


def risk_counts(result: Forecast) -> dict[str, int]:
    """How many entities fall in each level."""
    return {
        name: sum(low <= p.probability < high for p in result.predictions)
        for name, low, high in LEVELS
    }


def write_textfile(result: Forecast, cutoff: datetime, path: Path) -> None:
    """Write the gauges of one forecast to `path` atomically."""
    registry = CollectorRegistry()
    horizon = horizon_label(result.horizon)
    entities = Gauge(
        "kubedrift_predicted_risk_entities",
        "Objects and nodes by predicted risk of drifting within the horizon",
        ["horizon", "level"],
        registry=registry,
    )
    for level, count in risk_counts(result).items():
        entities.labels(horizon, level).set(count)
    highest = Gauge(
        "kubedrift_predicted_risk_max",
        "The highest predicted probability of drifting within the horizon",
        ["horizon"],
        registry=registry,
    )
    highest.labels(horizon).set(max((p.probability for p in result.predictions), default=0.0))
    stamp = Gauge(
        "kubedrift_prediction_cutoff_timestamp_seconds",
        "The time the prediction is as of (Unix seconds)",
        ["horizon"],
        registry=registry,
    )
    stamp.labels(horizon).set(cutoff.timestamp())
    write_to_textfile(str(path), registry)

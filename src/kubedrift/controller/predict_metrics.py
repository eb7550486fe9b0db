"""The prediction metrics of `kubedrift watch --predict`, registered in the controller's registry.

Apart from `controller.metrics` so that they exist only with `--predict`. Every series:

- `kubedrift_predicted_risk{horizon,level}` (gauge): objects and nodes of this cluster by
  predicted risk of a new drift episode within `horizon` (`24h`, `7d`); `level` is `high`
  (p >= 0.5), `medium` (0.2 <= p < 0.5) or `low` (p < 0.2), the bands of
  `kubedrift predict --textfile`. 2 horizons x 3 levels: six series, whatever the cluster.
- `kubedrift_predicted_risk_max{horizon}` (gauge): the highest probability.
- `kubedrift_prediction_timestamp_seconds` (gauge): Unix time of the last forecast made.
- `kubedrift_prediction_enough_history` (gauge): 1 when the store held enough history to
  predict, 0 when the forecast was "not enough history" (every count is then 0).
- `kubedrift_prediction_failing` (gauge): 1 while the last attempt failed, else 0.
- `kubedrift_prediction_errors_total` (counter): failed attempts.

Labels are the two horizons and three levels only: no object or node names.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge

from kubedrift.predict.risk import DAY_LABEL, LEVELS, WEEK_LABEL, RiskTable

HORIZON_LABELS = (DAY_LABEL, WEEK_LABEL)


class PredictionMetrics:
    """The series above, in `registry`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._risk = Gauge(
            "kubedrift_predicted_risk",
            "Objects and nodes by predicted risk of drifting within the horizon.",
            ["horizon", "level"],
            registry=registry,
        )
        self._max = Gauge(
            "kubedrift_predicted_risk_max",
            "The highest predicted probability of drifting within the horizon.",
            ["horizon"],
            registry=registry,
        )
        self._stamp = Gauge(
            "kubedrift_prediction_timestamp_seconds",
            "Unix time of the last forecast made.",
            registry=registry,
        )
        self._enough = Gauge(
            "kubedrift_prediction_enough_history",
            "1 when the store held enough history to predict drift.",
            registry=registry,
        )
        self._failing = Gauge(
            "kubedrift_prediction_failing",
            "1 while the last forecast attempt failed.",
            registry=registry,
        )
        self._errors = Counter(
            "kubedrift_prediction_errors",
            "Failed forecast attempts.",
            registry=registry,
        )
        self._errors.inc(0)
        self._failing.set(0)
        self._enough.set(0)
        for horizon in HORIZON_LABELS:
            self._max.labels(horizon).set(0)
            for level, _, _ in LEVELS:
                self._risk.labels(horizon, level).set(0)

    def forecast(self, table: RiskTable) -> None:
        """A forecast was made: the counts replace the last ones."""
        for horizon in HORIZON_LABELS:
            for level, count in table.level_counts(horizon).items():
                self._risk.labels(horizon, level).set(count)
            top = max((r.probability(horizon) for r in table.risks), default=0.0)
            self._max.labels(horizon).set(top)
        self._enough.set(1 if table.enough else 0)
        self._stamp.set(time.time())
        self._failing.set(0)

    def failed(self) -> None:
        """One more failed attempt."""
        self._errors.inc()
        self._failing.set(1)

"""`kubedrift watch --predict`: the controller forecasts drift from its own store, periodically.

A background task (`RiskForecaster.run`) reads the controller's timeline store every
`interval` (default hourly), trains and scores as `kubedrift predict` does
(`predict.assess.assess_store`, in a worker thread: seconds of CPU must not stall the watch
loop), and publishes the result: the `kubedrift_predicted_risk` gauges
(`controller.predict_metrics`), and the latest `RiskTable` for whoever listens (the fleet's
"likely to drift" notices).

A failed forecast is never silent, and never stops the controller: it is logged (at once,
then rate-limited, with its recovery: `controller.trouble.Trouble`), counted
(`kubedrift_prediction_errors_total`, `kubedrift_prediction_failing`), shown as a note on
`/readyz` and `/healthz` — not a failure: prediction is optional, and an unready pod would
stop nothing worse — and retried after `retry` seconds until it succeeds, which clears all
three. An error the loop does not expect ends the task, and `supervised()` restarts it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from kubedrift.controller.health import HealthState
from kubedrift.controller.predict_metrics import PredictionMetrics
from kubedrift.controller.trouble import Trouble
from kubedrift.predict.assess import assess_store
from kubedrift.predict.risk import RiskTable
from kubedrift.store import SqlStore, Store

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 3600.0
DEFAULT_RETRY = 60.0
NOTE = "predict"


@dataclass(frozen=True, slots=True)
class PredictOptions:
    """How often the controller forecasts (seconds), and how soon it retries a failure."""

    interval: float = DEFAULT_INTERVAL
    retry: float = DEFAULT_RETRY


Listener = Callable[[RiskTable], None]


class RiskForecaster:
    """Forecasts from `store` for `cluster` every `options.interval`; see the module docstring."""

    def __init__(
        self,
        store: Store,
        cluster: str,
        options: PredictOptions,
        metrics: PredictionMetrics,
        health: HealthState,
    ) -> None:
        self.store = store
        self.cluster = cluster
        self.options = options
        self.metrics = metrics
        self.table: RiskTable | None = None
        """The latest forecast (None until the first is made)."""
        self.listeners: list[Listener] = []
        self.forecasts = 0
        self._health = health
        self.trouble = Trouble(NOTE, "drift prediction failed", self._on_trouble)

    async def run(self) -> None:
        """Forecast now and every `interval` after, until cancelled."""
        while True:
            delay = self.options.interval if await self.once() else self.options.retry
            await asyncio.sleep(min(delay, self.options.interval))

    async def once(self) -> bool:
        """One forecast; False (said, counted) when it failed."""
        try:
            table = await asyncio.to_thread(self._assess)
        except Exception as err:  # any failure (store, model) is reported, then retried
            self.metrics.failed()
            self.trouble.failed(f"{type(err).__name__}: {err}")
            return False
        self.table = table
        self.forecasts += 1
        self.metrics.forecast(table)
        self.trouble.recovered()
        for note in table.notes:
            log.info("drift prediction: %s", note)
        for listener in self.listeners:
            listener(table)
        return True

    def _assess(self) -> RiskTable:
        if not isinstance(self.store, SqlStore):
            raise TypeError("drift prediction reads a SQL timeline store")
        return assess_store(self.store, cluster=self.cluster)

    def _on_trouble(self, name: str, reason: str | None, since: float) -> None:
        self._health.set_note(name, None if reason is None else f"{reason} (retrying)")

"""Predicting from a store's own history: train on its past, rank what it knows now.

The model is fitted on rows at daily cutoffs whose label window closed before the
present cutoff, then scores every entity known at the present. Too little history to learn
from (no closed label window, or no drift in any) falls back to the transparent hazard
scorer and says so in `Forecast.note`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from kubedrift.predict.backtest import DAY, MAX_TRAIN_ROWS, WEEK, horizon_label, thin, week_start
from kubedrift.predict.explain import hints, reasons
from kubedrift.predict.features import FeatureRow, HistoryIndex, labels
from kubedrift.predict.scorers import Hazard, Scorer
from kubedrift.predict.window import Entity, Window


@dataclass(frozen=True, slots=True)
class Prediction:
    """One entity's risk of drifting within the horizon, with why and what to do."""

    entity: Entity
    probability: float
    likely: tuple[tuple[str, float], ...]
    reasons: tuple[str, ...]
    hints: tuple[str, ...]
    pool: str | None


@dataclass(frozen=True, slots=True)
class Forecast:
    """A ranked list of predictions, riskiest first, and how it was made."""

    horizon: timedelta
    model: str
    trained_on: int
    note: str | None
    predictions: tuple[Prediction, ...]


def forecast(
    window: Window, horizon: timedelta, scorer: Scorer, index: HistoryIndex | None = None
) -> Forecast:
    """Rank every entity known at the window's cutoff by its risk within `horizon`.

    `index`: the window's `HistoryIndex` when the caller forecasts several horizons (it
    keeps what rows of different horizons share)."""
    index = index or HistoryIndex(window)
    rows = index.table(window.cutoff, horizon)
    train_rows, truth = _training(index, window, horizon) if scorer.learns else ([], [])
    note = None
    if scorer.learns and not any(truth):
        note = (
            "too little history to learn from (needs a week of warm-up plus one "
            f"{horizon_label(horizon)} horizon with drift in it): ranked by the hazard baseline"
        )
        scorer = Hazard()
    fitted = scorer.fit(train_rows, truth)
    scored = sorted(
        zip(rows, fitted.score(rows), strict=True), key=lambda p: (-p[1].probability, p[0].entity)
    )
    return Forecast(
        horizon,
        scorer.name,
        len(train_rows),
        note,
        tuple(
            Prediction(
                row.entity, s.probability, row.likely_paths, reasons(row, s), hints(row), row.pool
            )
            for row, s in scored
        ),
    )


def _training(
    index: HistoryIndex, window: Window, horizon: timedelta
) -> tuple[list[FeatureRow], list[bool]]:
    if window.start is None:
        return [], []
    cutoffs = []
    cutoff = week_start(window) + WEEK
    while cutoff + horizon <= window.cutoff:
        cutoffs.append(cutoff)
        cutoff += DAY
    if cutoffs:
        cutoffs = thin(cutoffs, index.count(cutoffs[-1]), MAX_TRAIN_ROWS)
    rows: list[FeatureRow] = []
    truth: list[bool] = []
    for cutoff in cutoffs:
        positives = labels(window, cutoff, horizon)
        batch = index.table(cutoff, horizon)
        rows += batch
        truth += [row.entity in positives for row in batch]
    return rows, truth


def top(forecast_: Forecast, limit: int) -> Sequence[Prediction]:
    """The `limit` riskiest predictions."""
    return forecast_.predictions[:limit]

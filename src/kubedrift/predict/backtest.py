"""Time-based backtest: train on weeks 1..k, predict week k+1, for every k that fits.

Week 1 is warm-up only (features need a past). In fold k, training rows are taken at a
cutoff every day from the end of week 1 while their label window `[c, c + horizon)` ends by
the end of week k — so no training label peeks into the test week — and test rows at the
start of week k+1 (7-day horizon) or at each day of it (24-hour horizon). Every scorer sees
the same rows; metrics pool the test rows of all folds (metrics.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kubedrift.predict.features import FeatureRow, HistoryIndex, labels
from kubedrift.predict.metrics import Metrics, Scored, evaluate
from kubedrift.predict.scorers import Scorer
from kubedrift.predict.window import Window

WEEK = timedelta(weeks=1)
DAY = timedelta(days=1)


MAX_TRAIN_ROWS = 120_000
"""Training rows per fit: beyond it the daily training cutoffs are thinned, evenly and
keeping the newest, so a store of 100,000 findings over 20,000 objects still trains in
seconds (bench/bench_predict.py). Rows of neighbouring days are highly correlated anyway."""


def thin(cutoffs: list[datetime], per_cutoff: int, max_rows: int) -> list[datetime]:
    """At most `max_rows // per_cutoff` (at least one) of `cutoffs`, evenly, newest kept."""
    keep = max(max_rows // max(per_cutoff, 1), 1)
    if len(cutoffs) <= keep:
        return cutoffs
    stride = -(-len(cutoffs) // keep)
    return cutoffs[::-1][::stride][::-1]


class NotEnoughHistory(ValueError):
    """The window is too short or too empty for what was asked."""


@dataclass(frozen=True, slots=True)
class BacktestOptions:
    """How to backtest: horizon, cut-off k of precision@k, first fold, step of training cutoffs."""

    horizon: timedelta = WEEK
    k: int = 20
    min_train_weeks: int = 2
    step: timedelta = DAY
    max_train_rows: int = MAX_TRAIN_ROWS


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Metrics per scorer (the first is the model) and what they were measured on."""

    horizon: timedelta
    folds: int
    test_rows: int
    test_positives: int
    model: str
    metrics: dict[str, Metrics] = field(default_factory=dict)


@dataclass
class _Rows:
    index: HistoryIndex
    window: Window
    horizon: timedelta
    cache: dict[datetime, tuple[list[FeatureRow], list[bool]]] = field(default_factory=dict)

    def at(self, cutoff: datetime) -> tuple[list[FeatureRow], list[bool]]:
        if cutoff not in self.cache:
            rows = self.index.table(cutoff, self.horizon)
            truth = labels(self.window, cutoff, self.horizon)
            self.cache[cutoff] = (rows, [row.entity in truth for row in rows])
        return self.cache[cutoff]

    def many(self, cutoffs: Sequence[datetime]) -> tuple[list[FeatureRow], list[bool]]:
        rows: list[FeatureRow] = []
        truth: list[bool] = []
        for c in cutoffs:
            r, t = self.at(c)
            rows += r
            truth += t
        return rows, truth


def week_start(window: Window) -> datetime:
    """Midnight UTC of the window's first onset: weeks are counted from there."""
    if window.start is None:
        raise NotEnoughHistory("the store holds no findings yet")
    return window.start.replace(hour=0, minute=0, second=0, microsecond=0)


def folds(window: Window, options: BacktestOptions) -> list[tuple[list[datetime], list[datetime]]]:
    """(training cutoffs, test cutoffs) per fold; empty when the window is too short."""
    start = week_start(window)
    weeks = int((window.cutoff - start) / WEEK)
    out = []
    for k in range(options.min_train_weeks, weeks):
        end = start + k * WEEK
        train = _steps(start + WEEK, end - options.horizon, options.step)
        test = _steps(end, end + WEEK - options.horizon, options.step)
        if train and test:
            out.append((train, test if options.horizon < WEEK else test[:1]))
    return out


def _steps(first: datetime, last: datetime, step: timedelta) -> list[datetime]:
    out = []
    while first <= last:
        out.append(first)
        first += step
    return out


def backtest(
    window: Window, scorers: Sequence[Scorer], options: BacktestOptions = BacktestOptions()
) -> BacktestResult:
    """Run every scorer on the same folds; `scorers[0]` is reported as the model."""
    plan = folds(window, options)
    if not plan:
        weeks = (window.cutoff - week_start(window)) / WEEK
        raise NotEnoughHistory(
            f"a backtest needs at least {options.min_train_weeks + 1} weeks of history "
            f"with a {_label(options.horizon)} horizon; the store holds {weeks:.1f}"
        )
    source = _Rows(HistoryIndex(window), window, options.horizon)
    scored: dict[str, list[Scored]] = {s.name: [] for s in scorers}
    positives = test_rows = 0
    for all_train, test_cutoffs in plan:
        per_cutoff = source.index.count(all_train[-1])
        train_cutoffs = thin(all_train, per_cutoff, options.max_train_rows)
        train_rows, train_truth = source.many(train_cutoffs)
        test_rows_, test_truth = source.many(test_cutoffs)
        test_rows += len(test_rows_)
        positives += sum(test_truth)
        for scorer in scorers:
            fitted = scorer.fit(train_rows, train_truth)
            for row, s, positive in zip(
                test_rows_, fitted.score(test_rows_), test_truth, strict=True
            ):
                scored[scorer.name].append(
                    Scored(row.cutoff.timestamp(), s.score, s.probability, positive)
                )
    return BacktestResult(
        options.horizon,
        len(plan),
        test_rows,
        positives,
        scorers[0].name,
        {name: evaluate(rows, options.k) for name, rows in scored.items()},
    )


def _label(horizon: timedelta) -> str:
    hours = horizon.total_seconds() / 3600
    return f"{hours / 24:g}d" if hours % 24 == 0 and hours >= 48 else f"{hours:g}h"


horizon_label = _label

"""Backtest folds: training labels never reach into the test week; thinning; short windows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kubedrift.predict.backtest import (
    BacktestOptions,
    NotEnoughHistory,
    backtest,
    folds,
    thin,
)
from kubedrift.predict.forecast import forecast
from kubedrift.predict.scorers import Hazard, RandomScorer, RecentRepeats
from kubedrift.predict.window import Window
from predict.builders import MONDAY, ep, obj

WEEK = timedelta(weeks=1)
A, B = obj("a"), obj("b")


def weekly(weeks: int) -> Window:
    episodes = [ep(A, d) for d in range(0, weeks * 7, 2)] + [
        ep(B, d + 0.5) for d in range(0, weeks * 7, 7)
    ]
    return Window.censored(MONDAY + weeks * WEEK, episodes)


@pytest.mark.parametrize("horizon", [timedelta(days=1), WEEK])
def test_no_training_label_window_reaches_the_test_week(horizon: timedelta) -> None:
    plan = folds(weekly(6), BacktestOptions(horizon=horizon))
    assert [test[0] for _, test in plan] == [MONDAY + k * WEEK for k in (2, 3, 4, 5)]
    for train, test in plan:
        assert train[0] == MONDAY + WEEK  # week 1 is warm-up
        assert max(train) + horizon <= test[0]
        assert max(test) + horizon <= MONDAY + 6 * WEEK
        assert len(test) == (7 if horizon < WEEK else 1)


def test_a_short_history_is_not_enough_for_a_backtest() -> None:
    with pytest.raises(NotEnoughHistory, match="at least 3 weeks of history"):
        backtest(weekly(2), [RecentRepeats()])
    with pytest.raises(NotEnoughHistory, match="no findings yet"):
        backtest(Window(MONDAY, ()), [RecentRepeats()])


def test_every_scorer_is_measured_on_the_same_rows() -> None:
    result = backtest(weekly(5), [RecentRepeats(), RandomScorer(3), Hazard()])
    assert result.model == "recent-repeats"
    assert set(result.metrics) == {"recent-repeats", "random", "hazard"}
    assert result.folds == 3
    assert result.test_rows == 6  # two entities, one test cutoff per fold
    counts = {sum(b.count for b in m.calibration) for m in result.metrics.values()}
    assert counts == {6}


def test_thin_keeps_the_newest_and_spreads_the_rest() -> None:
    days = [MONDAY + timedelta(days=d) for d in range(10)]
    assert thin(days, 10, 1000) == days
    kept = thin(days, 10, 30)
    assert kept[-1] == days[-1]
    assert len(kept) <= 4
    assert thin(days, 10_000, 10) == [days[-1]]


def test_forecast_without_a_closed_horizon_falls_back_to_hazard() -> None:
    window = Window.censored(MONDAY + timedelta(days=3), [ep(A, 0), ep(A, 2)])
    result = forecast(window, WEEK, RecentRepeats())
    assert result.model == "hazard"
    assert result.note is not None
    assert [p.entity for p in result.predictions] == [A]

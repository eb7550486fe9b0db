"""The period of Velero schedule expressions, as `pvc-not-backed-up` judges backup age by."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kubedrift.analysis.cron import cron_period

H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("@every 6h", 6 * H),
        ("@every 1h30m", 1.5 * H),
        ("@every 90s", timedelta(seconds=90)),
        ("@hourly", H),
        ("@daily", 24 * H),
        ("@midnight", 24 * H),
        ("@weekly", 7 * 24 * H),
        ("0 */6 * * *", 6 * H),
        ("*/15 * * * *", timedelta(minutes=15)),
        ("30 2 * * *", 24 * H),
        ("0 2 * * 1-5", 3 * 24 * H),  # over the weekend
        ("0 2 * * MON", 7 * 24 * H),
        ("0 0,12 * * *", 12 * H),
        ("0 3 1 * *", 31 * 24 * H),
        ("CRON_TZ=Europe/Paris 0 1 * * *", 24 * H),
    ],
)
def test_periods(expression: str, period: timedelta) -> None:
    assert cron_period(expression) == period


@pytest.mark.parametrize("expression", ["", "@every", "@every 6x", "61 * * * *", "* * *", "nope"])
def test_expressions_not_understood_have_no_period(expression: str) -> None:
    assert cron_period(expression) is None

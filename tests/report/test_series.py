"""The pure parts: periods and their days, top N with "other", GPU-hours counted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubedrift.model import Impact
from kubedrift.report.period import Period
from kubedrift.report.series import gpu_hours_by_workload, top_ranked, workload_risk
from store.builders import finding

T = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_days_are_whole_utc_days_from_the_one_holding_since() -> None:
    period = Period(T, T + timedelta(days=2))
    assert [d.isoformat() for d in period.days()] == [
        "2026-03-02T00:00:00+00:00",
        "2026-03-03T00:00:00+00:00",
        "2026-03-04T00:00:00+00:00",
    ]
    assert period.day_ends()[-1] == period.until  # the last picture is taken at `until`


def test_the_previous_period_has_the_same_length_and_ends_at_since() -> None:
    period = Period(T, T + timedelta(days=30))
    assert period.previous() == Period(T - timedelta(days=30), T)


@pytest.mark.parametrize(
    ("since", "until"),
    [(T, T - timedelta(seconds=1)), (T.replace(tzinfo=None), T)],
)
def test_bad_periods_are_refused(since: datetime, until: datetime) -> None:
    with pytest.raises(ValueError, match="period"):
        Period(since, until)


def test_top_n_sums_counts_and_averages_means_in_other() -> None:
    groups = {f"g{i}": [float(i)] * (i + 1) for i in range(5)}
    counted = top_ranked(groups, "t", "n", top=2)
    assert [b.label for b in counted.items] == ["g4", "g3"]
    assert counted.other is not None
    assert (counted.other.label, counted.other.value) == ("other (3)", 6.0)  # 1 + 2 + 3 members
    mean = top_ranked(groups, "t", "h", lambda xs: sum(xs) / len(xs), top=2)
    assert mean.other is not None
    assert mean.other.value == pytest.approx((0 * 1 + 1 * 2 + 2 * 3) / 6)


def test_top_n_without_a_rest_has_no_other() -> None:
    assert top_ranked({"a": [1], "b": [2]}, "t", "n").other is None


def test_gpu_hours_count_each_workload_once() -> None:
    alone = Impact(8, 100.0, ("Job/ml/train",))
    on_node = Impact(16, 300.0, ("Job/ml/train", "Job/ml/eval"))  # a node finding names both
    findings = [
        finding("a", impact=alone),
        finding("b", impact=alone),
        finding("n", impact=on_node),
    ]
    risk = workload_risk(findings)
    assert risk == {"Job/ml/train": (8, 100.0)}
    assert [(b.label, b.value) for b in gpu_hours_by_workload(risk).bars] == [
        ("Job/ml/train", 100.0)
    ]

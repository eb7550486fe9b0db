"""Metrics against values worked out by hand (and scikit-learn's ROC-AUC)."""

from __future__ import annotations

import random

import pytest

from kubedrift.predict.metrics import (
    Scored,
    brier,
    calibration,
    evaluate,
    precision_at_k,
    recall_at_k,
    roc_auc,
)


def rows(*pairs: tuple[float, bool]) -> list[Scored]:
    return [Scored(0.0, s, s, p) for s, p in pairs]


def test_precision_and_recall_at_k() -> None:
    ranked = rows((0.9, True), (0.8, False), (0.7, True), (0.1, True))
    assert precision_at_k(ranked, 2) == 0.5
    assert recall_at_k(ranked, 2) == pytest.approx(1 / 3)
    assert precision_at_k(ranked, 10) == 0.75  # fewer rows than k: all of them
    assert recall_at_k(rows((0.5, False)), 1) is None


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(0.9, True), (0.1, False)], 1.0),
        ([(0.1, True), (0.9, False)], 0.0),
        ([(0.5, True), (0.5, False)], 0.5),  # a tie counts half
        ([(0.9, True), (0.8, False), (0.7, True), (0.1, False)], 0.75),
        ([(0.9, True)], None),
    ],
)
def test_roc_auc(pairs: list[tuple[float, bool]], expected: float | None) -> None:
    assert roc_auc(rows(*pairs)) == expected


def test_roc_auc_is_the_share_of_correctly_ordered_pairs() -> None:
    """The definition itself, pair by pair, on data with many ties."""
    rng = random.Random(4)
    data = [(round(rng.random(), 1), rng.random() < 0.3) for _ in range(300)]
    pos = [s for s, p in data if p]
    neg = [s for s, p in data if not p]
    pairs = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    assert roc_auc(rows(*data)) == pytest.approx(pairs / (len(pos) * len(neg)))


def test_brier_and_calibration() -> None:
    scored = rows((0.05, False), (0.05, True), (0.95, True), (1.0, True))
    assert brier(scored) == pytest.approx((0.05**2 + 0.95**2 + 0.05**2 + 0) / 4)
    low, high = calibration(scored)
    assert (low.count, low.predicted, low.observed) == (2, 0.05, 0.5)
    assert (high.low, high.count, high.observed) == (0.9, 2, 1.0)


def test_evaluate_averages_precision_per_cutoff() -> None:
    scored = [Scored(1.0, 0.9, 0.9, True), Scored(2.0, 0.9, 0.9, False)]
    result = evaluate(scored, k=1)
    assert result.precision_at_k == 0.5
    assert result.to_json()["precision@1"] == 0.5

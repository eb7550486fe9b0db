"""Ranking and probability metrics of a backtest (pure Python, no library needed).

precision@k / recall@k are taken per cutoff (one ranked list a user would read) and
averaged over cutoffs; ROC-AUC, the Brier score and the calibration bins pool every
(entity, cutoff) row. ROC-AUC is the Mann-Whitney statistic with tied scores counted
half (the same definition as scikit-learn's `roc_auc_score`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scored:
    """One prediction of a backtest: its ranking score, probability and truth."""

    cutoff: float
    score: float
    probability: float
    positive: bool


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    """Rows whose probability fell in `[low, high)`: mean prediction against observed rate."""

    low: float
    high: float
    count: int
    predicted: float
    observed: float


@dataclass(frozen=True, slots=True)
class Metrics:
    """What a backtest reports for one scorer."""

    k: int
    precision_at_k: float
    recall_at_k: float
    roc_auc: float | None
    brier: float
    calibration: tuple[CalibrationBin, ...]

    def to_json(self) -> dict[str, object]:
        """The JSON shape of `kubedrift predict --backtest`."""
        return {
            f"precision@{self.k}": round(self.precision_at_k, 4),
            f"recall@{self.k}": round(self.recall_at_k, 4),
            "roc_auc": None if self.roc_auc is None else round(self.roc_auc, 4),
            "brier": round(self.brier, 4),
            "calibration": [
                {
                    "bin": [round(b.low, 2), round(b.high, 2)],
                    "count": b.count,
                    "predicted": round(b.predicted, 4),
                    "observed": round(b.observed, 4),
                }
                for b in self.calibration
            ],
        }


def evaluate(rows: Sequence[Scored], k: int = 20, bins: int = 10) -> Metrics:
    """All metrics of one scorer over its backtest rows."""
    by_cutoff: dict[float, list[Scored]] = {}
    for row in rows:
        by_cutoff.setdefault(row.cutoff, []).append(row)
    lists = [by_cutoff[c] for c in sorted(by_cutoff)]
    return Metrics(
        k,
        _mean([precision_at_k(r, k) for r in lists]),
        _mean([v for r in lists if (v := recall_at_k(r, k)) is not None]),
        roc_auc(rows),
        brier(rows),
        calibration(rows, bins),
    )


def _ranked(rows: Sequence[Scored]) -> list[Scored]:
    return sorted(rows, key=lambda r: -r.score)


def precision_at_k(rows: Sequence[Scored], k: int) -> float:
    """Share of positives among the k highest scores (of fewer, when there are fewer rows)."""
    top = _ranked(rows)[:k]
    return sum(r.positive for r in top) / len(top) if top else 0.0


def recall_at_k(rows: Sequence[Scored], k: int) -> float | None:
    """Share of all positives found in the top k; None when there are no positives."""
    positives = sum(r.positive for r in rows)
    if not positives:
        return None
    return sum(r.positive for r in _ranked(rows)[:k]) / positives


def roc_auc(rows: Sequence[Scored]) -> float | None:
    """P(a random positive scores above a random negative); None without both classes."""
    ordered = sorted(rows, key=lambda r: r.score)
    ranks: list[float] = [0.0] * len(ordered)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1].score == ordered[i].score:
            j += 1
        for m in range(i, j + 1):
            ranks[m] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(r.positive for r in ordered)
    negatives = len(ordered) - positives
    if not positives or not negatives:
        return None
    rank_sum = sum(rank for rank, r in zip(ranks, ordered, strict=True) if r.positive)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def brier(rows: Sequence[Scored]) -> float:
    """Mean squared error of the probabilities (0 is perfect; lower is better)."""
    return _mean([(r.probability - float(r.positive)) ** 2 for r in rows])


def calibration(rows: Sequence[Scored], bins: int = 10) -> tuple[CalibrationBin, ...]:
    """Equal-width probability bins that hold rows: predicted versus observed rate."""
    out = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [
            r
            for r in rows
            if low <= r.probability < high or (b == bins - 1 and r.probability == 1.0)
        ]
        if inside:
            out.append(
                CalibrationBin(
                    low,
                    high,
                    len(inside),
                    _mean([r.probability for r in inside]),
                    _mean([float(r.positive) for r in inside]),
                )
            )
    return tuple(out)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0

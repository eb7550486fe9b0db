"""The learned model: a logistic regression (scikit-learn) over the feature table.

Why logistic regression, and why scikit-learn (README, "Predicting drift"): each
prediction explains itself exactly — a row's log-odds is the sum of coefficient x
standardized value over the features, so the top contributions *are* the reason, not an
approximation of it; it is trained by log loss, so its probabilities come out calibrated
(the backtest's Brier score and bins check that); it fits 100,000 rows in about a second on
one CPU. scikit-learn is the best-kept library for it; it (with NumPy and SciPy, ~270 MB)
is the optional extra `kubedrift[predict]`, imported only here and only when a model is
trained. Without it `kubedrift predict` ranks with the transparent hazard scorer.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubedrift.predict.features import FEATURES, FeatureRow
from kubedrift.predict.scorers import Fitted, Score

TOP_CONTRIBUTIONS = 3
LOW = ":low"
"""Suffix of a contribution that raised the risk by being *below* the training mean."""


def available() -> bool:
    """Whether scikit-learn is installed (the `predict` extra)."""
    return importlib.util.find_spec("sklearn") is not None


@dataclass(frozen=True, slots=True)
class _FittedLogistic:
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    constant: float | None  # a training set of one class: its smoothed rate

    def score(self, rows: Sequence[FeatureRow]) -> list[Score]:
        return [self._one(row) for row in rows]

    def _one(self, row: FeatureRow) -> Score:
        if self.constant is not None:
            return Score(self.constant, self.constant)
        parts = [
            w * (v - m) / s
            for v, m, s, w in zip(row.values, self.means, self.scales, self.weights, strict=True)
        ]
        logit = self.intercept + sum(parts)
        probability = 1.0 / (1.0 + _exp(-logit))
        named = [
            (name if v >= m else f"{name}{LOW}", part)
            for name, v, m, part in zip(FEATURES, row.values, self.means, parts, strict=True)
            if part > 0
        ]
        top = sorted(named, key=lambda p: -p[1])[:TOP_CONTRIBUTIONS]
        return Score(logit, probability, tuple(top))


def _exp(x: float) -> float:
    return math.exp(max(min(x, 700.0), -700.0))


class Logistic:
    """Standardized features, L2-regularized logistic regression (lbfgs)."""

    name = "logistic-regression"
    learns = True

    def __init__(self, regularization: float = 1.0) -> None:
        """`regularization` is scikit-learn's C (inverse strength)."""
        self.regularization = regularization

    def fit(self, rows: Sequence[FeatureRow], truth: Sequence[bool]) -> Fitted:
        """Fit on the rows; a single-class training set gives a constant model."""
        positives = sum(truth)
        if positives in (0, len(truth)):
            return _FittedLogistic((), (), (), 0.0, (positives + 1) / (len(truth) + 2))
        np: Any = importlib.import_module("numpy")
        linear: Any = importlib.import_module("sklearn.linear_model")

        x = np.array([row.values for row in rows], dtype=float)
        means = x.mean(axis=0)
        scales = x.std(axis=0)
        scales[scales == 0] = 1.0
        # threadpoolctl (a scikit-learn dependency) is its documented control of BLAS
        # threads (scikit-learn.org/stable/computing/parallelism.html): lbfgs' matrix-vector
        # products over ~20 features are too small to share, and two OpenBLAS threads
        # waiting for a busy core made the fit 4x slower (1.1 s against 0.26 s, 60,000 rows,
        # load 5 on 2 cores). The same solver and data: the same model.
        pools: Any = importlib.import_module("threadpoolctl")
        model: Any = linear.LogisticRegression(C=self.regularization, max_iter=2000)
        with pools.threadpool_limits(limits=1, user_api="blas"):
            model.fit((x - means) / scales, np.array(truth, dtype=bool))
        return _FittedLogistic(
            tuple(float(v) for v in means),
            tuple(float(v) for v in scales),
            tuple(float(v) for v in model.coef_[0]),
            float(model.intercept_[0]),
            None,
        )

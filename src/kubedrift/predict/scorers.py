"""Scorers: fitted on past feature rows and their truth, they score new rows.

    fitted = RecentRepeats().fit(rows, truth)
    fitted.score(rows)     # one `Score` per row: ranking score, probability, contributions

Three transparent ones here (pure Python): `recent-repeats` (drifted in the last 7 days
drifts again), `random` (the floor any model must clear) and `hazard` (a per-entity Poisson
rate shrunk toward its pool's or namespace's rate). The learned model is in learned.py.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from kubedrift.predict.features import FEATURES, FeatureRow


@dataclass(frozen=True, slots=True)
class Score:
    """A scored row: a ranking score, a probability in [0, 1], and why."""

    score: float
    probability: float
    contributions: tuple[tuple[str, float], ...] = ()
    """Features that raised this row's score most, with how much (log-odds), top first."""


class Fitted(Protocol):
    """A scorer after fitting."""

    def score(self, rows: Sequence[FeatureRow]) -> list[Score]:
        """One score per row, in order."""
        ...


class Scorer(Protocol):
    """Something that learns from rows and their truth."""

    @property
    def name(self) -> str:
        """How reports call it (`recent-repeats`)."""
        ...

    @property
    def learns(self) -> bool:
        """False when `fit` ignores its rows (no training table needs building)."""
        ...

    def fit(self, rows: Sequence[FeatureRow], truth: Sequence[bool]) -> Fitted:
        """Learn from past rows (truth: drifted within the horizon)."""
        ...


def base_rate(truth: Sequence[bool]) -> float:
    """The share of positives, smoothed so that it is never exactly 0 or 1."""
    return (sum(truth) + 1) / (len(truth) + 2)


_SEVEN = FEATURES.index("onsets_7d")
_TWENTY_EIGHT = FEATURES.index("onsets_28d")
_SINCE = FEATURES.index("log_hours_since_last")
_HAZARD = FEATURES.index("hazard")


def _repeats(row: FeatureRow) -> int:
    return min(round(math.expm1(row.values[_SEVEN])), 5)


@dataclass(frozen=True, slots=True)
class _FittedRepeats:
    rates: dict[int, float]
    fallback: float

    def score(self, rows: Sequence[FeatureRow]) -> list[Score]:
        return [
            Score(
                row.values[_SEVEN] + 0.01 * row.values[_TWENTY_EIGHT] - 1e-4 * row.values[_SINCE],
                self.rates.get(_repeats(row), self.fallback),
            )
            for row in rows
        ]


class RecentRepeats:
    """Rank by drift in the last 7 days (then 28, then recency); probability per count."""

    name = "recent-repeats"
    learns = True

    def fit(self, rows: Sequence[FeatureRow], truth: Sequence[bool]) -> Fitted:
        """Observed drift rate of training rows per 7-day count (0..5+), Laplace-smoothed."""
        seen: dict[int, list[bool]] = {}
        for row, positive in zip(rows, truth, strict=True):
            seen.setdefault(_repeats(row), []).append(positive)
        return _FittedRepeats({k: base_rate(v) for k, v in seen.items()}, base_rate(truth))


@dataclass(frozen=True, slots=True)
class _FittedRandom:
    seed: int
    rate: float

    def score(self, rows: Sequence[FeatureRow]) -> list[Score]:
        rng = random.Random(self.seed)
        return [Score(rng.random(), self.rate) for _ in rows]


@dataclass(frozen=True, slots=True)
class RandomScorer:
    """A random ranking with the training base rate as every probability."""

    seed: int = 0
    name: str = "random"
    learns: bool = True

    def fit(self, rows: Sequence[FeatureRow], truth: Sequence[bool]) -> Fitted:
        """Only the base rate is learned."""
        return _FittedRandom(self.seed, base_rate(truth))


class _FittedHazard:
    def score(self, rows: Sequence[FeatureRow]) -> list[Score]:
        return [
            Score(row.values[_HAZARD], row.values[_HAZARD], (("hazard", row.values[_HAZARD]),))
            for row in rows
        ]


class Hazard:
    """The Poisson hazard feature as it stands: nothing to fit, fully transparent."""

    name = "hazard"
    learns = False

    def fit(self, rows: Sequence[FeatureRow], truth: Sequence[bool]) -> Fitted:
        """Nothing to learn: the rate comes from each row's own history."""
        return _FittedHazard()

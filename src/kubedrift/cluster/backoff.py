"""Exponential backoff with jitter, for reconnecting to an API server that went away.

Delays double from `initial` up to `cap`; each one is drawn from the upper half of the
current step ("equal jitter"), so many watchers restarted by the same outage do not all
reconnect in the same instant, yet none waits less than half the nominal delay.
"""

from __future__ import annotations

import random


class Backoff:
    """The delay before the next attempt; `reset()` after a success starts over."""

    def __init__(
        self, initial: float = 0.2, cap: float = 10.0, rng: random.Random | None = None
    ) -> None:
        if initial <= 0 or cap < initial:
            raise ValueError("backoff needs 0 < initial <= cap")
        self.initial = initial
        self.cap = cap
        self._rng = rng or random.Random()
        self._step = initial

    def next_delay(self) -> float:
        """The delay to wait now (seconds); the next call's nominal delay doubles."""
        step = self._step
        self._step = min(step * 2, self.cap)
        return step / 2 + self._rng.uniform(0, step / 2)

    def reset(self) -> None:
        """Forget past failures: the next delay is short again."""
        self._step = self.initial

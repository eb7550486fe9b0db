"""The one backoff policy: exponential, capped, with equal jitter (pure, no I/O).

Delays double from `initial` up to `cap`; each one is drawn from the upper half of the
current step ("equal jitter"), so many watchers restarted by the same outage (or alert
workers retrying the same sink) do not all retry in the same instant, yet none waits less
than half the nominal delay. Used by the informers, the watcher, the store backlog, the
supervised tasks, object registration and alert delivery; here, in the lowest layer, so
that sibling layers (cluster, alerts, store) share it.
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

    def delay_after(self, attempt: int) -> float:
        """The delay after failed attempt `attempt` (1-based), without changing state."""
        step = min(self.cap, self.initial * 2.0 ** min(attempt - 1, 64))
        return step / 2 + self._rng.uniform(0, step / 2)

    def reset(self) -> None:
        """Forget past failures: the next delay is short again."""
        self._step = self.initial

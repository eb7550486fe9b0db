"""One sink's bounded queue of alerts waiting for their request.

Alerts wait here through the group window and while the sink is over its rate limit. A
request takes the oldest alert's cluster and up to `max_batch` of that cluster's alerts,
in arrival order; the other clusters keep their place. An update of a firing alert that is
still waiting is merged into it (one alert, the latest values) rather than queued twice.
When `capacity` alerts wait, the oldest is dropped to make room; `put` says so, and the
worker counts it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from kubedrift.alerts.events import Alert, AlertEvent, AlertKey, AlertStatus


@dataclass(slots=True)
class Pending:
    """An alert and when it arrived (on the worker's monotonic clock)."""

    alert: Alert
    arrived: float


class PendingQueue:
    """Alerts in arrival order, at most `capacity` of them."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a queue needs a capacity >= 1")
        self.capacity = capacity
        self._items: deque[Pending] = deque()
        self._firing: dict[AlertKey, Pending] = {}

    def __len__(self) -> int:
        return len(self._items)

    def put(self, alert: Alert, now: float) -> int:
        """Queue `alert`; returns how many alerts were dropped to make room (0 or 1)."""
        if alert.event is AlertEvent.CHANGED and self._merge(alert):
            return 0
        dropped = 0
        if len(self._items) >= self.capacity:
            self._forget(self._items.popleft())
            dropped = 1
        item = Pending(alert, now)
        self._items.append(item)
        if alert.status is AlertStatus.FIRING:
            self._firing[alert.key] = item
        return dropped

    def oldest_arrival(self) -> float | None:
        """When the oldest waiting alert arrived, or None if none waits."""
        return self._items[0].arrived if self._items else None

    def keys(self) -> set[AlertKey]:
        """The keys of the waiting firing alerts (a re-send skips them)."""
        return set(self._firing)

    def take(self, max_batch: int) -> tuple[str, list[Alert]]:
        """The oldest alert's cluster and up to `max_batch` of its alerts, removed."""
        cluster = self._items[0].alert.cluster
        taken: list[Alert] = []
        kept: deque[Pending] = deque()
        for item in self._items:
            if len(taken) < max_batch and item.alert.cluster == cluster:
                taken.append(item.alert)
                self._forget(item)
            else:
                kept.append(item)
        self._items = kept
        return cluster, taken

    def clear(self) -> int:
        """Drop everything; returns how many alerts were waiting."""
        count = len(self._items)
        self._items.clear()
        self._firing.clear()
        return count

    def _merge(self, update: Alert) -> bool:
        item = self._firing.get(update.key)
        if item is None:
            return False
        # A waiting `new` stays new (with the latest values); a waiting change keeps the
        # values from before the first change.
        item.alert = replace(item.alert, stored=update.stored)
        return True

    def _forget(self, item: Pending) -> None:
        if self._firing.get(item.alert.key) is item:
            del self._firing[item.alert.key]

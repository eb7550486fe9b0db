"""A small time-bounded memo: values the pages show around the data, read at most every few
seconds (the cluster selector, the filter menus' values).

Those are aggregates over the whole store, and every page shows them: reading them on each
request would cost more than the page's own query (bench/bench_api.py). A menu that lags
the store by `ttl` seconds is harmless; the findings themselves are always read fresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

MENU_TTL = 15.0


class Recent:
    """`get(key, load)`: the value `load()` gave for `key` less than `ttl` seconds ago."""

    def __init__(self, ttl: float = MENU_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._values: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The remembered value, or a fresh one (remembered from now on)."""
        now = self._clock()
        kept = self._values.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]  # type: ignore[no-any-return]
        value = load()
        if len(self._values) > 256:  # one entry per cluster and kind: a bound, not an LRU
            self._values.clear()
        self._values[key] = (now + self._ttl, value)
        return value

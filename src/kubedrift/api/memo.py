"""Answers kept per store revision: the same request on an unchanged store reads nothing again.

`/api/v1/stats`, `/api/v1/timeline` and the overview's figures add up every episode of a
period (100,000 findings: hundreds of milliseconds under load, bench/bench_api.py). What
they read changes only when the store is written, so `RevisionMemo.get(key, load)` keeps
`load()`'s value until `FindingBrowser.revision()` (newest episode, newest value change,
latest scan: three index lookups) moves, then forgets every value at once. The values kept
are the store's own (grouped rows, day counts), never figures aged by the clock: callers
key by what the value depends on (the UTC day of an overview) or finish the figures per
request (`StatsGroups.stats(since, now)`), so an answer is exactly a fresh one's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from kubedrift.store.browse import FindingBrowser

T = TypeVar("T")

MAX_KEPT = 256
"""Values kept per revision (clusters × filters): a bound, not an LRU."""


class RevisionMemo:
    """`get(key, load)`: `load()`'s value for `key`, kept while the store is unchanged."""

    def __init__(self, browser: FindingBrowser) -> None:
        self._browser = browser
        self._lock = threading.Lock()
        self._revision: tuple[Any, ...] | None = None
        self._values: dict[Hashable, Any] = {}

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The kept value, or `load()`'s (kept from now on, for this revision)."""
        revision = self._browser.revision()
        with self._lock:
            if revision != self._revision:
                self._values.clear()
                self._revision = revision
            if key in self._values:
                return self._values[key]  # type: ignore[no-any-return]
        value = load()  # outside the lock: a slow read must not hold up kept answers
        with self._lock:
            if self._revision == revision:  # a value read during a write is newer: harmless
                if len(self._values) >= MAX_KEPT:
                    self._values.clear()
                self._values[key] = value
        return value

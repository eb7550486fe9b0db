"""A 10,000-finding scan, then a steady-state rescan with 1% changed and 1% gone.

The time bound is loose (2 noisy cores); it catches a quadratic step, not a slow disk.
Measured throughput is in the store's report, not asserted.
"""

from __future__ import annotations

import time

from kubedrift.store import HistoryFilter, SqlStore

from .builders import at, many

COUNT = 10_000
BOUND_SECONDS = 60.0


def test_ten_thousand_findings(sql_url: str) -> None:
    first = many(COUNT)
    second = many(COUNT)
    for i in range(0, COUNT, 100):
        second[i] = many(i + 1, live=3)[i]  # 1% change value
    del second[50::100]  # 1% disappear

    with SqlStore.open(sql_url) as store:
        started = time.perf_counter()
        delta = store.record_scan("big", first, at=at(0))
        assert len(delta.new) == COUNT
        delta = store.record_scan("big", second, at=at(5))
        elapsed = time.perf_counter() - started

        assert (len(delta.new), len(delta.changed), len(delta.resolved)) == (0, 100, 100)
        assert delta.unchanged == COUNT - 200
        assert len(store.open_findings(HistoryFilter(cluster="big"))) == COUNT - 100
        assert store.stats(HistoryFilter(namespace="ns-7"), now=at(10)).episodes == COUNT // 50
    assert elapsed < BOUND_SECONDS

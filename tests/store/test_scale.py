"""A 10,000-finding scan, then a steady-state rescan with 1% changed and 1% gone.

No wall-clock bound here (issue 17.5: timings on shared cores flake); the write throughput is
measured by bench/bench_api.py, which builds a 100,000-finding store.
"""

from __future__ import annotations

from kubedrift.store import HistoryFilter, SqlStore

from .builders import at, many

COUNT = 10_000


def test_ten_thousand_findings(sql_url: str) -> None:
    first = many(COUNT)
    second = many(COUNT)
    for i in range(0, COUNT, 100):
        second[i] = many(i + 1, live=3)[i]  # 1% change value
    del second[50::100]  # 1% disappear

    with SqlStore.open(sql_url) as store:
        delta = store.record_scan("big", first, at=at(0))
        assert len(delta.new) == COUNT
        delta = store.record_scan("big", second, at=at(5))

        assert (len(delta.new), len(delta.changed), len(delta.resolved)) == (0, 100, 100)
        assert delta.unchanged == COUNT - 200
        assert len(store.open_findings(HistoryFilter(cluster="big"))) == COUNT - 100
        assert store.stats(HistoryFilter(namespace="ns-7"), now=at(10)).episodes == COUNT // 50

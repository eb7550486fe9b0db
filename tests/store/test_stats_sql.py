"""`Store.stats` in SQL (stats_sql.py) gives exactly what `timeline_stats` gives row by row.

A generated timeline (random presence over 40 scans, times with microseconds, reopened
findings, several clusters, namespaces, kinds, pools and severities) on SQLite and on a
real PostgreSQL; every filter the API passes is compared figure by figure.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest

from kubedrift.model import Severity
from kubedrift.store import HistoryFilter, SqlStore
from kubedrift.store.engine import reading
from kubedrift.store.reads import spans
from kubedrift.store.stats import DurationSummary, TimelineStats, timeline_stats
from kubedrift.store.stats_sql import sql_stats, weighted_summary
from store.builders import at, finding, node_finding

NOW = at(60 * 24 * 3)


def _findings(rng: random.Random) -> list:  # type: ignore[type-arg]
    objects = [
        finding(f"app-{i}", namespace=f"ns-{i % 4}", severity=list(Severity)[i % 5])
        for i in range(24)
    ]
    objects += [finding(f"cm-{i}", kind="ConfigMap", namespace="ml") for i in range(6)]
    nodes = [node_finding(f"gpu-{i}", f"pool-{i % 3}") for i in range(9)]
    return [f for f in objects + nodes if rng.random() < 0.7]


@pytest.fixture
def generated(sql_url: str) -> Iterator[SqlStore]:
    rng = random.Random(15)
    with SqlStore.open(sql_url) as store:
        minutes = 0.0
        for _ in range(40):
            minutes += rng.uniform(5, 120) + rng.randrange(1_000_000) / 60e6  # microseconds
            cluster = rng.choice(("prod-a", "prod-b"))
            store.record_scan(cluster, _findings(rng), at=at(minutes))
        yield store


FILTERS = [
    HistoryFilter(),
    HistoryFilter(cluster="prod-a"),
    HistoryFilter(namespace="ns-1"),
    HistoryFilter(namespace=""),
    HistoryFilter(kind="ConfigMap"),
    HistoryFilter(pool="pool-2"),
    HistoryFilter(min_severity=Severity.HIGH),
    HistoryFilter(since=at(600)),
    HistoryFilter(until=at(900)),
    HistoryFilter(cluster="prod-b", since=at(300), until=at(2000)),
    HistoryFilter(open_only=True),
    HistoryFilter(cluster="nowhere"),
]


def _by_rows(store: SqlStore, filters: HistoryFilter) -> TimelineStats:
    """The computation `/api/v1/stats` made before: every episode through Python."""
    with reading(store._engine) as connection:
        return timeline_stats(list(spans(connection, filters)), NOW)


def test_sql_stats_equal_the_row_by_row_stats(generated: SqlStore) -> None:
    with reading(generated._engine) as connection:
        for filters in FILTERS:
            assert sql_stats(connection, filters, NOW) == _by_rows(generated, filters), filters


def test_the_generated_timeline_exercises_every_figure(generated: SqlStore) -> None:
    """Not a vacuous comparison: open and resolved, reopened, even and odd counts."""
    whole = generated.stats(now=NOW)
    assert whole.resolved > 20
    assert whole.open > 10
    assert whole.reopened > 5
    assert whole.time_to_resolve.median is not None
    assert whole.time_to_resolve.median % timedelta(seconds=1)  # microseconds survive
    counts = {generated.stats(f, now=NOW).open % 2 for f in FILTERS[:7]}
    assert counts == {0, 1}


def test_an_empty_store_has_empty_stats(sql_url: str) -> None:
    with SqlStore.open(sql_url) as store:
        assert store.stats(now=NOW) == timeline_stats([], NOW)


def test_weighted_summary_is_duration_summary_of_the_expanded_list() -> None:
    rng = random.Random(7)
    for _ in range(200):
        pairs = [
            (timedelta(microseconds=rng.randrange(10**12)), rng.randrange(4))
            for _ in range(rng.randrange(6))
        ]
        expanded = [d for d, n in pairs for _ in range(n)]
        assert weighted_summary(pairs) == DurationSummary.of(expanded), pairs


def test_groups_read_from_an_earlier_since_give_the_stats_of_any_later_one(
    generated: SqlStore,
) -> None:
    """What `/api/v1/stats` keeps per store revision (groups read from the hour before its
    `since`), finished per request with the exact `since` and `now`, is `timeline_stats`."""
    earlier = HistoryFilter(cluster="prod-a", since=at(540))
    groups = generated.stats_groups(earlier)
    for minutes in (540, 540.5, 541.25, 600, 1200, 5000):
        since = at(minutes)
        for now in (NOW, NOW + timedelta(hours=1, microseconds=3)):
            exact = HistoryFilter(cluster="prod-a", since=since)
            with reading(generated._engine) as connection:
                by_rows = timeline_stats(list(spans(connection, exact)), now)
            assert groups.stats(since, now) == by_rows, (minutes, now)
    with pytest.raises(ValueError, match="later"):
        groups.stats(at(539), NOW)

"""Filters and statistics over the timeline, the same on every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kubedrift.model import Severity
from kubedrift.store import HistoryFilter, Store, StoredFinding

from .builders import at, finding, node_finding

TRAINER = finding("trainer", namespace="ml", severity=Severity.HIGH)
WEB = finding("web", namespace="shop", severity=Severity.LOW)
SETTINGS = finding(
    "settings", kind="ConfigMap", namespace="ml", path="/data/x", severity=Severity.INFO
)
GPU7 = node_finding("gpu-7", "h100")
GPU9 = node_finding("gpu-9", "a100")


@pytest.fixture
def timeline(store: Store) -> Store:
    """Two clusters; in prod-a, WEB resolves at minute 10 and GPU9 at minute 30."""
    store.record_scan("prod-a", [TRAINER, WEB, SETTINGS, GPU7, GPU9], at=at(0))
    store.record_scan("prod-a", [TRAINER, SETTINGS, GPU7, GPU9], at=at(10))
    store.record_scan("prod-a", [TRAINER, SETTINGS, GPU7], at=at(30))
    store.record_scan("prod-b", [TRAINER], at=at(40))
    return store


def names(episodes: list[StoredFinding]) -> list[str]:
    """Object names; those of clusters other than prod-a prefixed with the cluster."""
    return [
        e.finding.object.name if e.cluster == "prod-a" else f"{e.cluster}/{e.finding.object.name}"
        for e in episodes
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (HistoryFilter(), ["trainer", "web", "settings", "gpu-7", "gpu-9", "prod-b/trainer"]),
        (HistoryFilter(cluster="prod-a"), ["trainer", "web", "settings", "gpu-7", "gpu-9"]),
        (HistoryFilter(cluster="prod-b"), ["prod-b/trainer"]),
        (HistoryFilter(namespace="ml"), ["trainer", "settings", "prod-b/trainer"]),
        (HistoryFilter(namespace=""), ["gpu-7", "gpu-9"]),
        (HistoryFilter(kind="ConfigMap"), ["settings"]),
        (HistoryFilter(kind="Node", pool="h100"), ["gpu-7"]),
        (HistoryFilter(pool="a100"), ["gpu-9"]),
        (
            HistoryFilter(min_severity=Severity.HIGH),
            ["trainer", "gpu-7", "gpu-9", "prod-b/trainer"],
        ),
        (HistoryFilter(min_severity=Severity.LOW, cluster="prod-a", namespace="shop"), ["web"]),
        (HistoryFilter(open_only=True, cluster="prod-a"), ["trainer", "settings", "gpu-7"]),
        (HistoryFilter(since=at(15)), ["trainer", "settings", "gpu-7", "gpu-9", "prod-b/trainer"]),
        (HistoryFilter(since=at(31)), ["trainer", "settings", "gpu-7", "prod-b/trainer"]),
        (HistoryFilter(until=at(39)), ["trainer", "web", "settings", "gpu-7", "gpu-9"]),
        (
            HistoryFilter(since=at(10), until=at(10)),
            ["trainer", "web", "settings", "gpu-7", "gpu-9"],
        ),
    ],
)
def test_history_filters(timeline: Store, filters: HistoryFilter, expected: list[str]) -> None:
    assert names(timeline.history(filters)) == expected


def test_open_findings_ignore_the_open_only_flag(timeline: Store) -> None:
    found = timeline.open_findings(HistoryFilter(cluster="prod-a", open_only=False))
    assert names(found) == ["trainer", "settings", "gpu-7"]


def test_history_is_oldest_first_across_episodes(store: Store) -> None:
    store.record_scan("c", [finding("a")], at=at(0))
    store.record_scan("c", [finding("b")], at=at(1))
    store.record_scan("c", [finding("a"), finding("b")], at=at(2))
    assert [(e.finding.object.name, e.episode) for e in store.history()] == [
        ("a", 1),
        ("b", 1),
        ("a", 2),
    ]


def test_stats_time_to_resolve(timeline: Store) -> None:
    stats = timeline.stats(HistoryFilter(cluster="prod-a"), now=at(60))

    assert (stats.episodes, stats.open, stats.resolved, stats.reopened) == (5, 3, 2, 0)
    ttr = stats.time_to_resolve
    assert (ttr.count, ttr.mean, ttr.median, ttr.longest) == (
        2,
        timedelta(minutes=20),
        timedelta(minutes=20),
        timedelta(minutes=30),
    )
    ages = stats.open_age
    assert (ages.mean, ages.median, ages.longest) == (timedelta(minutes=60),) * 3
    assert stats.open_by_severity == {
        Severity.CRITICAL: 0,
        Severity.HIGH: 2,
        Severity.MEDIUM: 0,
        Severity.LOW: 0,
        Severity.INFO: 1,
    }


def test_stats_measure_each_episode_on_its_own(store: Store) -> None:
    store.record_scan("c", [finding()], at=at(0))
    store.record_scan("c", [], at=at(5))  # first episode: 5 min
    store.record_scan("c", [finding()], at=at(100))
    store.record_scan("c", [], at=at(106))  # second episode: 6 min
    store.record_scan("c", [finding()], at=at(200))
    store.record_scan("c", [], at=at(213))  # third episode: 13 min

    stats = store.stats(now=at(300))
    assert (stats.episodes, stats.resolved, stats.reopened, stats.open) == (3, 3, 2, 0)
    assert stats.time_to_resolve.mean == timedelta(minutes=8)
    assert stats.time_to_resolve.median == timedelta(minutes=6)
    assert stats.open_age.mean is None


def test_stats_follow_the_filter(timeline: Store) -> None:
    stats = timeline.stats(HistoryFilter(kind="Node"), now=at(60))
    assert (stats.episodes, stats.open, stats.resolved) == (2, 1, 1)
    assert stats.time_to_resolve.mean == timedelta(minutes=30)


def test_stats_of_nothing(store: Store) -> None:
    stats = store.stats(now=at(0))
    assert (stats.episodes, stats.open, stats.resolved) == (0, 0, 0)
    assert stats.time_to_resolve.mean is None
    assert set(stats.open_by_severity.values()) == {0}

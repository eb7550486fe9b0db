"""The dashboard's and API's queries (store/browse.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from kubedrift.model import Impact, Severity
from kubedrift.store import SqlStore
from kubedrift.store.browse import MAX_LIMIT, FindingQuery, Status
from store.builders import at, finding, node_finding


@pytest.fixture
def filled(sql_url: str) -> Iterator[SqlStore]:
    """Two clusters: objects in two namespaces, GPU nodes in two pools, one resolved."""
    with SqlStore.open(sql_url) as store:
        a = [
            finding("trainer", namespace="ml", severity=Severity.HIGH),
            finding("web", namespace="shop", path="/spec/template/spec/containers/name=web/image"),
            finding(
                "pytorch-job",
                namespace="ml",
                kind="ConfigMap",
                severity=Severity.CRITICAL,
                rule="field-changed",
                impact=Impact(16, 40.5, ("PyTorchJob/ml/llm",)),
            ),
            node_finding("gpu-1", "a100", live="550.54.15"),
            node_finding("gpu-2", "a100", live="550.54.15"),
            node_finding("gpu-9", "h100", live="550.54.15"),
        ]
        store.record_scan("prod-a", a, at=at(0))
        store.record_scan("prod-a", a[1:], at=at(90))  # trainer resolved after 90 min
        store.record_scan(
            "prod-b", [finding(f"app-{i}", namespace="batch") for i in range(7)], at=at(5)
        )
        yield store


def _names(store: SqlStore, query: FindingQuery) -> list[str]:
    return [e.finding.object.name for e in store.browse().page(query).items]


def test_each_filter_narrows_the_page(filled: SqlStore) -> None:
    assert set(_names(filled, FindingQuery(cluster="prod-b"))) == {f"app-{i}" for i in range(7)}
    assert set(_names(filled, FindingQuery(namespace="shop"))) == {"web"}
    assert set(_names(filled, FindingQuery(kind="ConfigMap"))) == {"pytorch-job"}
    assert set(_names(filled, FindingQuery(pool="a100"))) == {"gpu-1", "gpu-2"}
    assert set(_names(filled, FindingQuery(category="node"))) == {"gpu-1", "gpu-2", "gpu-9"}
    assert set(_names(filled, FindingQuery(rule="field-changed"))) == {"pytorch-job"}
    high_up = FindingQuery(severities=frozenset({Severity.CRITICAL, Severity.HIGH}))
    assert set(_names(filled, high_up)) == {"pytorch-job", "gpu-1", "gpu-2", "gpu-9"}


def test_status_selects_open_resolved_or_both(filled: SqlStore) -> None:
    assert "trainer" not in _names(filled, FindingQuery(cluster="prod-a"))
    assert _names(filled, FindingQuery(status=Status.RESOLVED)) == ["trainer"]
    assert len(_names(filled, FindingQuery(status=Status.ALL, limit=100))) == 13


def test_free_text_matches_name_path_and_message_case_insensitively(filled: SqlStore) -> None:
    assert _names(filled, FindingQuery(text="PYTORCH")) == ["pytorch-job"]
    assert _names(filled, FindingQuery(text="name=web/image")) == ["web"]
    assert set(_names(filled, FindingQuery(text="driver-version"))) == {"gpu-1", "gpu-2", "gpu-9"}


def test_like_wildcards_in_the_search_are_literal(filled: SqlStore) -> None:
    assert _names(filled, FindingQuery(text="%")) == []
    assert _names(filled, FindingQuery(text="app_")) == []


def test_cursor_pages_cover_every_match_once_in_a_stable_order(filled: SqlStore) -> None:
    seen: list[int] = []
    query = FindingQuery(status=Status.ALL, limit=4)
    while True:
        page = filled.browse().page(query)
        assert page.total == 13
        seen.extend(e.id for e in page.items)
        if page.next_cursor is None:
            break
        query = FindingQuery(status=Status.ALL, limit=4, after=page.next_cursor)
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 13


def test_a_new_finding_does_not_shift_the_next_page(filled: SqlStore) -> None:
    first = filled.browse().page(FindingQuery(cluster="prod-b", limit=3))
    filled.record_scan(
        "prod-b", [finding(f"app-{i}", namespace="batch") for i in range(8)], at=at(200)
    )
    second = filled.browse().page(FindingQuery(cluster="prod-b", limit=3, after=first.next_cursor))
    assert {e.id for e in first.items}.isdisjoint(e.id for e in second.items)
    assert all(e.id < min(x.id for x in first.items) for e in second.items)


def test_the_page_size_is_bounded() -> None:
    with pytest.raises(ValueError, match="limit"):
        FindingQuery(limit=MAX_LIMIT + 1)
    with pytest.raises(ValueError, match="limit"):
        FindingQuery(limit=0)


def test_overview_counts_open_drift_gpus_and_time_to_resolve(filled: SqlStore) -> None:
    overview = filled.browse().overview("prod-a", at(120), days=3)
    assert overview.open_by_severity[Severity.CRITICAL] == 1
    assert overview.open_by_severity[Severity.HIGH] == 3
    assert overview.open == 5
    assert overview.open_by_category == {"node": 3, "object": 2}
    assert overview.gpus_at_risk == 16
    assert overview.gpu_hours_at_risk == 40.5
    assert overview.resolved_in_window == 1
    assert overview.mttr_seconds == pytest.approx(90 * 60, abs=1)
    today = overview.days[-1]
    assert (today.day, today.opened, today.resolved) == (at(0).date(), 6, 1)
    assert [d.day for d in overview.days] == [at(0).date() - timedelta(days=n) for n in (2, 1, 0)]


def test_fleet_counts_drifting_nodes_per_pool_and_fact(filled: SqlStore) -> None:
    cells = filled.browse().fleet(None)
    fact = "nvidia.com/cuda.driver-version.full"
    assert [(c.pool, c.fact, c.nodes) for c in cells] == [("a100", fact, 2), ("h100", fact, 1)]
    nodes = filled.browse().fleet_nodes(None, "a100", fact)
    assert [e.finding.object.name for e in nodes] == ["gpu-1", "gpu-2"]


def test_clusters_and_the_episodes_of_one_finding(filled: SqlStore) -> None:
    summary = {c.name: c.open for c in filled.browse().clusters()}
    assert summary == {"prod-a": 5, "prod-b": 7}
    trainer = filled.browse().page(FindingQuery(status=Status.RESOLVED)).items[0]
    filled.record_scan("prod-a", [finding("trainer", namespace="ml")], at=at(300))
    episodes = filled.browse().episodes_of_finding(trainer.id)
    assert [(e.episode, e.is_open) for e in episodes] == [(1, False), (2, True)]


def test_status_suppressed_lists_the_open_findings_a_suppression_covers(sql_url: str) -> None:
    """Issue 15.2/15.3: the status filter includes `suppressed` (shown, never dropped)."""
    import dataclasses
    from datetime import date

    from kubedrift.api.documents import episode_json
    from kubedrift.model.suppression import Suppression

    quiet = Suppression("load test INC-42", date(2026, 12, 31), by="alice", name="web")
    with SqlStore.open(sql_url) as store:
        web = dataclasses.replace(finding("web", namespace="shop"), suppression=quiet)
        store.record_scan("prod", [web, finding("trainer", namespace="ml")], at=at(0))
        assert _names(store, FindingQuery(status=Status.SUPPRESSED)) == ["web"]
        assert set(_names(store, FindingQuery(status=Status.OPEN))) == {"web", "trainer"}
        (page_item,) = store.browse().page(FindingQuery(status=Status.SUPPRESSED)).items
        assert episode_json(page_item, at(1))["status"] == "suppressed"

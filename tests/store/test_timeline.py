"""The timeline's behaviour, the same on the fake, SQLite and PostgreSQL: episodes, history,
resolution within a scope, and what each scan reports back."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from kubedrift.model import MISSING, Category, Impact, ObjectRef, Severity
from kubedrift.store import ScanScope, Store, ValueChange

from .builders import at, finding, node_finding


def test_a_new_finding_opens_an_episode(store: Store) -> None:
    delta = store.record_scan("prod-a", [finding()], at=at(0))

    [new] = delta.new
    assert (new.cluster, new.episode, new.first_seen, new.last_seen) == ("prod-a", 1, at(0), at(0))
    assert new.resolved_at is None
    assert new.is_open
    assert new.finding == finding()
    assert (delta.changed, delta.resolved, delta.unchanged) == ((), (), 0)
    assert store.open_findings() == [new]
    assert store.changes(new.id) == [ValueChange(at(0), 4, 2, "kubectl-edit", "4f1c2e0")]


def test_seen_again_unchanged_moves_last_seen_only(store: Store) -> None:
    store.record_scan("prod-a", [finding()], at=at(0))
    delta = store.record_scan("prod-a", [finding()], at=at(5))

    assert delta.is_empty
    assert delta.unchanged == 1
    [episode] = store.open_findings()
    assert (episode.first_seen, episode.last_seen) == (at(0), at(5))
    assert len(store.changes(episode.id)) == 1


def test_a_changed_live_value_is_recorded_in_history(store: Store) -> None:
    store.record_scan("prod-a", [finding(live=2)], at=at(0))
    delta = store.record_scan("prod-a", [finding(live=3, manager="hpa")], at=at(5))

    [changed] = delta.changed
    assert changed.before == ValueChange(at(0), 4, 2, "kubectl-edit", "4f1c2e0")
    assert changed.finding.finding.live == 3
    assert (changed.finding.first_seen, changed.finding.last_seen) == (at(0), at(5))
    assert changed.finding.episode == 1
    assert store.changes(changed.finding.id) == [
        ValueChange(at(0), 4, 2, "kubectl-edit", "4f1c2e0"),
        ValueChange(at(5), 4, 3, "hpa", "4f1c2e0"),
    ]


def test_metadata_without_a_value_change_is_refreshed_not_historied(store: Store) -> None:
    store.record_scan("prod-a", [finding(severity=Severity.LOW)], at=at(0))
    delta = store.record_scan(
        "prod-a", [finding(severity=Severity.HIGH, revision="9a8b7c6")], at=at(5)
    )

    assert delta.is_empty
    [episode] = store.open_findings()
    assert episode.finding.severity is Severity.HIGH
    assert episode.finding.revision == "9a8b7c6"
    assert len(store.changes(episode.id)) == 1


def test_an_absent_finding_is_resolved(store: Store) -> None:
    store.record_scan("prod-a", [finding()], at=at(0))
    store.record_scan("prod-a", [finding()], at=at(5))
    delta = store.record_scan("prod-a", [], at=at(10))

    [resolved] = delta.resolved
    assert (resolved.first_seen, resolved.last_seen, resolved.resolved_at) == (at(0), at(5), at(10))
    assert not resolved.is_open
    assert resolved.duration(at(99)) == timedelta(minutes=10)
    assert store.open_findings() == []
    assert store.history() == [resolved]


def test_a_finding_that_comes_back_opens_a_new_episode(store: Store) -> None:
    store.record_scan("prod-a", [finding(live=2)], at=at(0))
    store.record_scan("prod-a", [], at=at(10))
    delta = store.record_scan("prod-a", [finding(live=1)], at=at(20))

    [reopened] = delta.new
    assert (reopened.episode, reopened.first_seen) == (2, at(20))
    first, second = store.history()
    assert (first.episode, first.resolved_at) == (1, at(10))
    assert second == reopened
    assert first.id != second.id
    assert store.changes(second.id) == [ValueChange(at(20), 4, 1, "kubectl-edit", "4f1c2e0")]
    assert len(store.changes(first.id)) == 1
    store.record_scan("prod-a", [], at=at(30))
    assert store.record_scan("prod-a", [finding()], at=at(40)).new[0].episode == 3


def test_scope_limits_what_resolves(store: Store) -> None:
    deployment = finding("trainer", namespace="ml")
    other_namespace = finding("web", namespace="shop")
    node = node_finding("gpu-7", "h100")
    store.record_scan("prod-a", [deployment, other_namespace, node], at=at(0))

    delta = store.record_scan(
        "prod-a",
        [],
        at=at(5),
        scope=ScanScope(kinds=frozenset({"Deployment"}), namespaces=frozenset({"ml"})),
    )

    assert [r.finding for r in delta.resolved] == [deployment]
    assert {e.finding for e in store.open_findings()} == {other_namespace, node}


def test_a_namespace_scope_does_not_cover_cluster_scoped_objects(store: Store) -> None:
    store.record_scan("prod-a", [node_finding("gpu-7", "h100"), finding()], at=at(0))
    delta = store.record_scan("prod-a", [], at=at(5), scope=ScanScope(namespaces=frozenset({"ml"})))
    assert [r.finding.object.kind for r in delta.resolved] == ["Deployment"]

    delta = store.record_scan("prod-a", [], at=at(6), scope=ScanScope(namespaces=frozenset({""})))
    assert [r.finding.object.kind for r in delta.resolved] == ["Node"]


def test_a_category_scope_resolves_only_that_category(store: Store) -> None:
    """The watcher's node analysis must not resolve object findings on the same kind."""
    node_fact = node_finding("gpu-7", "h100")
    node_object = finding("gpu-7", kind="Node", path="/metadata/labels/team")
    node_object = dataclasses.replace(node_object, category=Category.OBJECT)
    store.record_scan("prod-a", [node_fact, node_object], at=at(0))

    delta = store.record_scan(
        "prod-a", [], at=at(5), scope=ScanScope(categories=frozenset({"node"}))
    )

    assert [r.finding for r in delta.resolved] == [node_fact]
    assert [e.finding for e in store.open_findings()] == [node_object]


def test_an_event_among_many_open_findings_sees_its_own_episode(store: Store) -> None:
    """record_event reads only the object's open episodes; it must still find them."""
    others = [finding(f"web-{i}", namespace="shop") for i in range(100)]
    mine = finding("trainer", live=3)
    store.record_scan("prod-a", [*others, mine], at=at(0))

    delta = store.record_event("prod-a", mine.object, [finding("trainer", live=5)], at=at(1))

    assert (len(delta.new), len(delta.changed), len(delta.resolved)) == (0, 1, 0)
    assert len(store.open_findings()) == 101


def test_findings_outside_the_scope_are_still_recorded(store: Store) -> None:
    scope = ScanScope(kinds=frozenset({"Node"}))
    delta = store.record_scan("prod-a", [finding()], at=at(0), scope=scope)
    assert [n.finding for n in delta.new] == [finding()]


def test_an_event_updates_one_object_and_resolves_its_other_findings(store: Store) -> None:
    replicas = finding(path="/spec/replicas")
    image = finding(path="/spec/template/spec/containers/name=main/image", desired="a", live="b")
    elsewhere = finding("web", namespace="shop")
    store.record_scan("prod-a", [replicas, image, elsewhere], at=at(0))

    delta = store.record_event("prod-a", replicas.object, [replicas], at=at(1))

    assert [r.finding for r in delta.resolved] == [image]
    assert delta.unchanged == 1
    assert {e.finding for e in store.open_findings()} == {replicas, elsewhere}


def test_an_event_rejects_findings_about_other_objects(store: Store) -> None:
    with pytest.raises(ValueError, match="Deployment/shop/web"):
        store.record_event("prod-a", finding().object, [finding("web", namespace="shop")], at=at(0))


def test_an_event_about_a_deleted_object_resolves_all_its_findings(store: Store) -> None:
    store.record_scan("prod-a", [finding(), finding(path="/spec/paused")], at=at(0))
    delta = store.record_event(
        "prod-a", ObjectRef("apps/v1", "Deployment", "ml", "trainer"), [], at=at(1)
    )
    assert len(delta.resolved) == 2


def test_clusters_have_separate_timelines(store: Store) -> None:
    store.record_scan("prod-a", [finding()], at=at(0))
    delta = store.record_scan("prod-b", [finding()], at=at(1))
    assert len(delta.new) == 1

    delta = store.record_scan("prod-b", [], at=at(2))
    assert [r.cluster for r in delta.resolved] == ["prod-b"]
    assert [e.cluster for e in store.open_findings()] == ["prod-a"]


def test_missing_and_null_values_stay_distinct(store: Store) -> None:
    absent = finding("absent", desired=MISSING, live={"a": [1, 2.5, None, True]})
    null = finding("null", desired=None, live="")
    store.record_scan("prod-a", [absent, null], at=at(0))

    stored = {e.finding.object.name: e.finding for e in store.open_findings()}
    assert stored["absent"].desired is MISSING
    assert stored["absent"].live == {"a": [1, 2.5, None, True]}
    assert stored["null"].desired is None
    assert stored["null"].live == ""

    delta = store.record_scan("prod-a", [finding("null", desired=MISSING, live="")], at=at(5))
    assert [c.before.desired for c in delta.changed] == [None]
    assert delta.changed[0].finding.finding.desired is MISSING


def test_every_field_of_a_finding_round_trips(store: Store) -> None:
    rich = finding(
        "gpu-7",
        kind="Node",
        impact=Impact(gpus=8, gpu_hours=1234.567, workloads=("ml/PyTorchJob/llama",)),
        pool="h100",
    )
    store.record_scan("prod-a", [rich], at=at(0))
    [episode] = store.open_findings()
    assert episode.finding == rich
    assert episode.pool == "h100"


def test_the_same_identity_twice_in_one_scan_keeps_the_last(store: Store) -> None:
    delta = store.record_scan("prod-a", [finding(live=1), finding(live=7)], at=at(0))
    assert [n.finding.live for n in delta.new] == [7]
    assert len(store.open_findings()) == 1


def test_times_are_stored_in_utc(store: Store) -> None:
    local = datetime(2026, 3, 2, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    store.record_scan("prod-a", [finding()], at=local)
    [episode] = store.open_findings()
    assert episode.first_seen == local
    assert episode.first_seen.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("cluster", "when", "message"),
    [
        ("", at(0), "cluster name"),
        ("prod-a", datetime(2026, 3, 2, 9, 0), "time zone"),  # naive on purpose
    ],
)
def test_a_scan_without_cluster_or_time_zone_is_refused(
    store: Store, cluster: str, when: datetime, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.record_scan(cluster, [finding()], at=when)
    assert store.history() == []

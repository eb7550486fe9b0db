"""The pure parts of delivery: the ledger (filter, dedup), the queue, the token bucket."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kubedrift.alerts import Alert, AlertEvent, alerts_from_delta, fingerprint
from kubedrift.alerts.events import AlertStatus
from kubedrift.alerts.ledger import Ledger, Verdict
from kubedrift.alerts.queue import PendingQueue
from kubedrift.alerts.ratelimit import TokenBucket
from kubedrift.model import Severity
from store.builders import finding

from .helpers import Timeline


def lifecycle(severity: Severity = Severity.MEDIUM) -> tuple[Alert, Alert, Alert]:
    """New, changed and resolved alerts of one episode, from a real store."""
    t = Timeline()
    (new,) = alerts_from_delta("prod-a", t.scan(finding(severity=severity)))
    (changed,) = alerts_from_delta("prod-a", t.scan(finding(severity=severity, live=3)))
    (resolved,) = alerts_from_delta("prod-a", t.scan())
    return new, changed, resolved


def test_alerts_of_a_delta_in_order() -> None:
    new, changed, resolved = lifecycle()
    # the events a delta holds (suppressions and actions come from elsewhere)
    assert [a.event for a in (new, changed, resolved)] == list(AlertEvent)[:3]
    assert changed.previous is not None
    assert changed.previous.live == 2
    assert new.key == changed.key == resolved.key
    assert resolved.stored.resolved_at is not None


def test_a_suppression_silences_resolves_and_its_expiry_fires_again() -> None:
    from datetime import date

    from kubedrift.model.suppression import Suppression

    held = Suppression("load test", date(2026, 3, 3), "al", kind="Deployment")
    t = Timeline()
    assert alerts_from_delta("c", t.scan(replace(finding(), suppression=held))) == []
    assert alerts_from_delta("c", t.scan(replace(finding(live=7), suppression=held))) == []
    [back] = alerts_from_delta("c", t.scan(finding(live=7)))
    assert (back.event, back.status) == (AlertEvent.SUPPRESSION_EXPIRED, AlertStatus.FIRING)
    assert back.ended == held
    ledger = Ledger(Severity.INFO)
    assert ledger.admit(back) is Verdict.SEND
    [quiet] = alerts_from_delta("c", t.scan(replace(finding(live=7), suppression=held)))
    assert (quiet.event, quiet.status) == (AlertEvent.SUPPRESSED, AlertStatus.RESOLVED)
    assert ledger.admit(quiet) is Verdict.SEND  # the firing alert resolves
    [again] = alerts_from_delta("c", t.scan(finding(live=7)))
    assert ledger.admit(again) is Verdict.SEND  # expired again: fires again, not a duplicate


def test_fingerprint_is_stable_across_episodes_and_values() -> None:
    t = Timeline()
    (first,) = t.scan(finding()).new
    t.scan()
    (second,) = t.scan(finding(live=9)).new
    assert second.episode == 2
    assert fingerprint(first.finding) == fingerprint(second.finding)
    assert fingerprint(first.finding) != fingerprint(finding(path="/spec/paused"))
    assert len(fingerprint(first.finding)) == 16


def test_ledger_fires_once_updates_quietly_and_resolves_once() -> None:
    new, changed, resolved = lifecycle()
    ledger = Ledger(Severity.LOW)
    verdicts = [ledger.admit(a) for a in (new, new, changed, resolved, resolved, new)]
    assert verdicts == [
        Verdict.SEND,
        Verdict.DUPLICATE,
        Verdict.QUIET,
        Verdict.SEND,
        Verdict.DUPLICATE,
        Verdict.DUPLICATE,  # a replayed firing of a resolved episode
    ]


def test_ledger_keeps_the_latest_values_for_resends() -> None:
    new, changed, _ = lifecycle()
    ledger = Ledger(Severity.LOW)
    ledger.admit(new)
    ledger.admit(changed)
    (held,) = ledger.open_alerts()
    assert held.event is AlertEvent.NEW
    assert held.finding.live == 3


def test_ledger_announces_changes_when_asked() -> None:
    new, changed, _ = lifecycle()
    ledger = Ledger(Severity.LOW, notify_changes=True)
    assert [ledger.admit(a) for a in (changed, new, changed)] == [
        Verdict.QUIET,  # never fired here: nothing to update
        Verdict.SEND,
        Verdict.SEND,
    ]


def test_severity_filter_applies_to_the_firing_and_its_resolution() -> None:
    new, changed, resolved = lifecycle(Severity.MEDIUM)
    ledger = Ledger(Severity.HIGH, notify_changes=True)
    assert [ledger.admit(a) for a in (new, changed, resolved)] == [
        Verdict.FILTERED,
        Verdict.QUIET,
        Verdict.FILTERED,
    ]
    assert len(ledger) == 0


def test_restored_alerts_resolve_without_firing_again() -> None:
    new, _, resolved = lifecycle()
    ledger = Ledger(Severity.LOW)
    assert ledger.restore(new)
    assert ledger.admit(new) is Verdict.DUPLICATE
    assert ledger.admit(resolved) is Verdict.SEND
    assert not Ledger(Severity.CRITICAL).restore(new)


def test_resolved_keys_are_remembered_within_bounds() -> None:
    ledger = Ledger(Severity.LOW, remember=2)
    t = Timeline()
    fired = []
    for name in ("a", "b", "c"):
        (a,) = alerts_from_delta("prod-a", t.scan(finding(name)))
        (r,) = alerts_from_delta("prod-a", t.scan())
        ledger.admit(a)
        ledger.admit(r)
        fired.append(a)
    assert ledger.admit(fired[2]) is Verdict.DUPLICATE
    assert ledger.admit(fired[0]) is Verdict.SEND  # forgotten: memory stays bounded


def many_alerts(count: int, cluster: str = "prod-a") -> list[Alert]:
    t = Timeline(cluster)
    return alerts_from_delta(cluster, t.scan(*(finding(f"app-{i}") for i in range(count))))


def test_queue_overflow_drops_the_oldest() -> None:
    queue = PendingQueue(3)
    alerts = many_alerts(5)
    dropped = sum(queue.put(a, now=float(i)) for i, a in enumerate(alerts))
    assert dropped == 2
    assert queue.oldest_arrival() == 2.0
    assert queue.take(10) == ("prod-a", alerts[2:])
    assert len(queue) == 0
    assert queue.oldest_arrival() is None


def test_queue_takes_one_cluster_at_a_time_in_order() -> None:
    a, b = many_alerts(3, "a"), many_alerts(2, "b")
    queue = PendingQueue(100)
    for i, alert in enumerate([a[0], b[0], a[1], b[1], a[2]]):
        queue.put(alert, now=float(i))
    assert queue.take(2) == ("a", a[:2])
    assert queue.take(10) == ("b", b)
    assert queue.take(10) == ("a", a[2:])


def test_queue_merges_an_update_into_a_waiting_firing() -> None:
    new, changed, resolved = lifecycle()
    queue = PendingQueue(10)
    queue.put(new, 0.0)
    queue.put(changed, 1.0)
    assert len(queue) == 1
    queue.put(resolved, 2.0)
    assert queue.keys() == {new.key}
    _, taken = queue.take(10)
    assert [a.event for a in taken] == [AlertEvent.NEW, AlertEvent.RESOLVED]
    assert taken[0].finding.live == 3
    assert queue.keys() == set()


def test_queue_clear_counts() -> None:
    queue = PendingQueue(10)
    for alert in many_alerts(4):
        queue.put(alert, 0.0)
    assert queue.clear() == 4
    assert len(queue) == 0


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_bursts_then_paces() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate_per_minute=60, burst=2, clock=clock)
    assert [bucket.take(), bucket.take()] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(1.0)
    clock.now += 0.25
    assert bucket.take() == pytest.approx(0.75)
    clock.now += 0.75
    assert bucket.take() == 0.0
    clock.now += 3600
    assert bucket.tokens == 2.0  # never more than the burst


def test_token_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="token bucket"):
        TokenBucket(0, 1)

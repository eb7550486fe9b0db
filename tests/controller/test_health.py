"""HealthState: heartbeat freshness (liveness) and initial-sync progress (readiness)."""

from __future__ import annotations

import pytest

from kubedrift.controller.health import HealthState, Probe


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_live_at_start_within_the_grace_period(clock: FakeClock) -> None:
    health = HealthState(stale_after=10, clock=clock)
    clock.now += 10
    assert health.liveness() == Probe(ok=True)


def test_no_heartbeat_since_start_is_stale(clock: FakeClock) -> None:
    health = HealthState(stale_after=10, clock=clock)
    clock.now += 10.5
    probe = health.liveness()
    assert not probe.ok
    assert probe.reason == "watch loop heartbeat stale: none in 10.5s since start (limit 10s)"


def test_a_heartbeat_keeps_it_live_until_it_ages(clock: FakeClock) -> None:
    health = HealthState(stale_after=10, clock=clock)
    clock.now += 8
    health.heartbeat()
    clock.now += 9
    assert health.liveness().ok
    assert not health.liveness(now=clock.now + 2).ok
    clock.now += 20
    assert health.liveness().reason == "watch loop heartbeat stale: last 29.0s ago (limit 10s)"
    health.heartbeat()
    assert health.liveness().ok


def test_not_ready_until_declared(clock: FakeClock) -> None:
    health = HealthState(clock=clock)
    assert health.readiness() == Probe(ok=False, reason="initial sync not complete")
    health.set_ready(True)
    assert health.readiness() == Probe(ok=True)
    health.set_ready(False)
    assert not health.readiness().ok


def test_readiness_names_what_is_still_syncing(clock: FakeClock) -> None:
    health = HealthState(clock=clock)
    health.set_syncing(["Pod", "Node", "Deployment"])
    health.set_ready(True)
    health.synced("Node")
    assert health.syncing == {"Pod", "Deployment"}
    assert health.readiness().reason == "initial sync in progress: Deployment, Pod"
    health.synced("Pod")
    health.synced("Deployment")
    health.synced("Deployment")  # twice is harmless
    assert health.readiness().ok


def test_leadership_is_reported(clock: FakeClock) -> None:
    health = HealthState(clock=clock)
    assert not health.leader
    health.set_leader(True)
    assert health.leader


def test_probe_json() -> None:
    assert Probe(ok=True).to_json(leader=True) == {"status": "ok", "leader": True}
    assert Probe(ok=False, reason="x").to_json(leader=False) == {
        "status": "failing",
        "leader": False,
        "reason": "x",
    }


def test_stale_after_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        HealthState(stale_after=0)


def test_trouble_makes_readiness_fail_only_after_the_grace_period() -> None:
    clock = FakeClock()
    health = HealthState(unready_after=5.0, clock=clock)
    health.set_ready(True)
    health.set_trouble("store", "cannot write the timeline store: disk full", since=clock.now)
    assert health.readiness().ok  # a blip does not flap the probe
    clock.now += 6
    probe = health.readiness()
    assert not probe.ok
    assert probe.reason == "cannot write the timeline store: disk full (for 6s)"
    health.set_trouble("store", None, since=clock.now)
    assert health.readiness().ok


def test_notes_travel_with_both_probes() -> None:
    health = HealthState()
    health.set_ready(True)
    health.set_notes(["workload kinds not served (CRD not installed), skipped: PyTorchJob"])
    body = health.readiness().to_json(leader=True)
    assert body["status"] == "ok"
    assert body["notes"] == ["workload kinds not served (CRD not installed), skipped: PyTorchJob"]

"""The dispatcher over a mock transport: grouping, dedup, filter, rate limit, overflow,
re-sends, restore, shutdown, and one sink's trouble never reaching another.

Every dispatcher here runs in virtual time (`helpers.virtual_dispatcher`, a `VirtualClock`
for its clock and sleep): the pauses between submissions, the group window, the token
bucket, backoff and the shutdown grace are exact virtual seconds, so no assertion depends
on how fast the machine is (issue 17.5), and the file runs in well under a second of waits.
"""

from __future__ import annotations

import random
from dataclasses import replace

import httpx2
import pytest

from kubedrift.alerts import AlertDispatcher, AlertPolicy, Sink, alerts_from_delta, sink_from_url
from kubedrift.alerts.worker import SinkWorker
from kubedrift.model import Severity
from store.builders import T0, finding
from support.aio import VirtualClock, run

from .helpers import (
    AM_URL,
    FAST,
    HOOK_URL,
    SLACK_URL,
    Recorder,
    Timeline,
    alerts_in,
    virtual_dispatcher,
)

HOOK = sink_from_url("webhook", HOOK_URL)


async def dispatch(
    recorder: Recorder,
    policy: AlertPolicy,
    *steps: object,
    sinks: list[Sink] | None = None,
    clock: VirtualClock | None = None,
) -> AlertDispatcher:
    """Run a dispatcher over `recorder` in virtual time: each step is a (cluster, delta) to
    submit or a pause (virtual seconds)."""
    clock = clock or VirtualClock()
    async with virtual_dispatcher(sinks or [HOOK], policy, recorder.transport(), clock) as d:
        for step in steps:
            if isinstance(step, float):
                await clock.sleep(step)
            else:
                d.submit(*step)  # type: ignore[misc]
    return d


def test_alerts_arriving_together_leave_in_one_request_per_cluster() -> None:
    a, b = Timeline("a"), Timeline("b")
    recorder = Recorder()
    d = run(
        dispatch(
            recorder,
            replace(FAST, group_wait=0.4),
            ("a", a.scan(finding("x"))),
            ("b", b.scan(finding("x"))),
            ("a", a.scan(finding("x"), finding("y"))),
            0.1,
            ("a", a.scan(finding("x"), finding("y"), finding("z"))),
        )
    )
    clusters = sorted((body["cluster"], len(body["alerts"])) for body in recorder.bodies)
    assert clusters == [("a", 3), ("b", 1)]
    assert d.stats().sinks[0].requests == 2


def test_alerts_after_the_window_go_in_a_new_request() -> None:
    t = Timeline()
    recorder = Recorder()
    run(dispatch(recorder, FAST, ("prod-a", t.scan(finding("x"))), 0.2, ("prod-a", t.scan())))
    assert [body["status"] for body in recorder.bodies] == ["firing", "resolved"]


def test_a_finding_fires_once_and_resolves_once() -> None:
    t = Timeline()
    fired, resolved = t.scan(finding()), t.scan()
    recorder = Recorder()
    d = run(
        dispatch(
            recorder,
            FAST,
            ("prod-a", fired),
            ("prod-a", fired),
            0.1,
            ("prod-a", fired),
            ("prod-a", resolved),
            ("prod-a", resolved),
        )
    )
    assert [a["event"] for a in alerts_in(recorder.bodies)] == ["new", "resolved"]
    stats = d.stats().sinks[0]
    assert (stats.sent, stats.deduplicated) == (2, 3)


def test_value_changes_update_quietly_by_default() -> None:
    t = Timeline()
    recorder = Recorder()
    steps = [("prod-a", t.scan(finding(live=2))), 0.1, ("prod-a", t.scan(finding(live=3)))]
    run(dispatch(recorder, FAST, *steps))
    assert [a["event"] for a in alerts_in(recorder.bodies)] == ["new"]


def test_value_changes_are_announced_when_asked() -> None:
    t = Timeline()
    recorder = Recorder()
    steps = [("prod-a", t.scan(finding(live=2))), 0.1, ("prod-a", t.scan(finding(live=3)))]
    run(dispatch(recorder, replace(FAST, notify_changes=True), *steps))
    changed = alerts_in(recorder.bodies)[1]
    assert changed["event"] == "changed"
    assert changed["status"] == "firing"
    assert (changed["previous"]["live"], changed["finding"]["live"]) == (2, 3)


def test_a_waiting_alert_carries_its_latest_values() -> None:
    t = Timeline()
    recorder = Recorder()
    steps = [("prod-a", t.scan(finding(live=2))), ("prod-a", t.scan(finding(live=3)))]
    run(dispatch(recorder, replace(FAST, notify_changes=True), *steps))
    (alert,) = alerts_in(recorder.bodies)
    assert (alert["event"], alert["finding"]["live"]) == ("new", 3)


def test_each_sink_filters_by_its_own_minimum_severity() -> None:
    t = Timeline()
    medium, high = finding("m"), finding("h", severity=Severity.HIGH)
    picky = sink_from_url("webhook", "https://picky.example/hook", Severity.HIGH)
    recorder = Recorder()
    steps = [("prod-a", t.scan(medium, high)), 0.1, ("prod-a", t.scan())]
    d = run(dispatch(recorder, FAST, *steps, sinks=[HOOK, picky]))
    by_host: dict[str, list[str]] = {}
    for request, body in zip(recorder.requests, recorder.bodies, strict=True):
        names = [f"{a['status']}:{a['finding']['object']['name']}" for a in body["alerts"]]
        by_host.setdefault(request.url.host, []).extend(names)
    assert sorted(by_host["picky.example"]) == ["firing:h", "resolved:h"]
    assert len(by_host["hooks.example.com"]) == 4
    assert d.stats().sink("webhook:https://picky.example").filtered == 2


def test_over_the_rate_limit_alerts_wait_and_join_the_next_request() -> None:
    t = Timeline()
    recorder = Recorder()
    policy = replace(FAST, group_wait=0.0, rate_per_minute=300, burst=1)  # 1 per 0.2 s
    found = []
    steps: list[object] = []
    for i in range(5):
        found.append(finding(f"app-{i}"))
        steps += [("prod-a", t.scan(*found)), 0.02]
    clock = VirtualClock()
    recorder.clock = clock
    d = run(dispatch(recorder, policy, *steps, clock=clock))
    assert [len(body["alerts"]) for body in recorder.bodies] == [1, 4]
    # the first took the one token at once; the second waited for the next, 0.2 s later
    assert recorder.times == pytest.approx([0.0, 0.2])
    assert (d.stats().total("sent"), d.stats().total("dropped")) == (5, 0)


def test_queue_overflow_drops_the_oldest_and_counts_them() -> None:
    t = Timeline()
    recorder = Recorder()
    clock = VirtualClock()

    async def go() -> AlertDispatcher:
        async with clock.running():
            policy = replace(FAST, queue_size=3)
            d = AlertDispatcher(
                [HOOK], policy, transport=recorder.transport(), clock=clock, sleep=clock.sleep
            )
            d.submit("prod-a", t.scan(*(finding(f"app-{i}") for i in range(5))))
            await d.aclose()
        return d

    d = run(go())
    names = [a["finding"]["object"]["name"] for a in alerts_in(recorder.bodies)]
    assert names == ["app-2", "app-3", "app-4"]
    stats = d.stats().sinks[0]
    assert (stats.sent, stats.dropped, stats.pending) == (3, 2, 0)


def test_requests_carry_at_most_max_batch_alerts() -> None:
    t = Timeline()
    recorder = Recorder()
    run(dispatch(recorder, replace(FAST, max_batch=2), ("c", t.scan(*map(finding, "abcde")))))
    assert [len(body["alerts"]) for body in recorder.bodies] == [2, 2, 1]


def test_shutdown_flushes_without_waiting_for_the_group_window() -> None:
    t = Timeline()
    clock = VirtualClock()
    recorder = Recorder(clock=clock)
    steps = ("prod-a", t.scan(finding()))
    run(dispatch(recorder, replace(FAST, group_wait=30), steps, clock=clock))
    assert recorder.times == [0.0]  # sent at the close, not after the 30 s window
    assert len(alerts_in(recorder.bodies)) == 1


def test_shutdown_gives_up_after_its_timeout_and_counts_the_loss() -> None:
    t = Timeline()
    recorder = Recorder([503] * 100)
    policy = replace(FAST, backoff_initial=5, backoff_max=5)
    clock = VirtualClock()

    async def go() -> AlertDispatcher:
        async with clock.running():
            transport = recorder.transport()
            d = AlertDispatcher([HOOK], policy, transport=transport, clock=clock, sleep=clock.sleep)
            await d.start()
            d.submit("prod-a", t.scan(finding("a"), finding("b")))
            await clock.until(lambda: bool(recorder.requests))
            closing = clock.now
            await d.aclose(timeout=0.1)  # the retry is 5 s away: the grace runs out first
            assert clock.now - closing == pytest.approx(0.1)
            assert all(task.done() for task in d._tasks)
        return d

    stats = run(go()).stats().sinks[0]
    assert (stats.sent, stats.dropped, stats.pending) == (0, 2, 0)


def test_a_failing_sink_does_not_hold_up_another() -> None:
    t = Timeline()
    broken = sink_from_url("slack", SLACK_URL)
    answers: dict[str, int] = {"hooks.slack.example": 404}

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(answers.get(request.url.host, 200))

    async def go() -> AlertDispatcher:
        transport = httpx2.MockTransport(handler)
        async with virtual_dispatcher([broken, HOOK], FAST, transport, VirtualClock()) as d:
            d.submit("prod-a", t.scan(finding()))
        return d

    stats = run(go()).stats()
    assert (stats.sinks[0].failed, stats.sinks[0].sent) == (1, 0)
    assert (stats.sinks[1].failed, stats.sinks[1].sent) == (0, 1)
    assert "HTTP 404" in (stats.sinks[0].last_error or "")


def test_alertmanager_alerts_are_resent_while_open() -> None:
    t = Timeline()
    recorder = Recorder()
    am = sink_from_url("alertmanager", AM_URL)
    policy = replace(FAST, resend_interval=0.1, firing_ttl=1)

    clock = VirtualClock()

    async def go() -> AlertDispatcher:
        async with virtual_dispatcher([am], policy, recorder.transport(), clock) as d:
            d.submit("prod-a", t.scan(finding("a"), finding("b")))
            await clock.until(lambda: d.stats().sinks[0].resent >= 4)
            d.submit("prod-a", t.scan(finding("b")))
            await clock.until(lambda: d.stats().sinks[0].sent == 3)
            before = len(recorder.requests)
            await clock.sleep(0.25)
            last = recorder.bodies[before:]
        assert last
        assert all([x["labels"]["name"] for x in body] == ["b"] for body in last)
        return d

    stats = run(go()).stats().sinks[0]
    assert stats.sent == 3  # two firings and a resolution; re-sends are counted apart


def test_restored_findings_are_not_announced_but_resolve() -> None:
    t = Timeline()
    delta = t.scan(finding("a"))
    recorder = Recorder()

    clock = VirtualClock()

    async def go() -> None:
        async with virtual_dispatcher([HOOK], FAST, recorder.transport(), clock) as d:
            d.restore("prod-a", t.store.open_findings())
            d.submit("prod-a", delta)  # replayed after a restart
            await clock.sleep(0.1)
            d.submit("prod-a", t.scan())

    run(go())
    assert [a["event"] for a in alerts_in(recorder.bodies)] == ["resolved"]


def test_submit_after_close_is_an_error() -> None:
    d = AlertDispatcher([HOOK], FAST, transport=Recorder().transport())
    run(d.aclose())
    run(d.aclose())  # idempotent
    with pytest.raises(RuntimeError, match="after aclose"):
        d.submit("prod-a", Timeline().scan(finding()))


def test_sinks_get_unique_names() -> None:
    same = [HOOK, HOOK, sink_from_url("alertmanager", AM_URL)]
    d = AlertDispatcher(same, FAST, transport=Recorder().transport())
    assert [s.name for s in d.stats().sinks] == [
        "webhook:https://hooks.example.com",
        "webhook:https://hooks.example.com#2",
        "alertmanager:http://alertmanager.example:9093",
    ]
    run(d.aclose())


def test_regression_a_planned_resend_never_reopens_a_resolved_alert() -> None:
    """A re-send planned before a resolution arrived used to carry the stale firing copy."""
    t = Timeline()
    am = sink_from_url("alertmanager", AM_URL)
    policy = replace(FAST, group_wait=0, resend_interval=60, firing_ttl=240)
    worker = SinkWorker("am", am, policy, now=lambda: T0, rng=random.Random(0))
    for alert in alerts_from_delta("prod-a", t.scan(finding("a"), finding("b"))):
        worker.offer(alert)
    first = worker._take()
    assert first is not None
    assert len(first.alerts) == 2
    worker._plan_resend(now=0.0)
    for alert in alerts_from_delta("prod-a", t.scan(finding("b"))):
        worker.offer(alert)  # "a" resolves after the re-send was planned
    resolution, resend = worker._take(), worker._take()
    assert resolution is not None
    assert [a.event.value for a in resolution.alerts] == ["resolved"]
    assert resend is not None
    assert resend.resend
    assert [a.finding.object.name for a in resend.alerts] == ["b"]


def test_no_sinks_is_a_dispatcher_that_does_nothing() -> None:
    async def go() -> AlertDispatcher:
        async with AlertDispatcher([], FAST) as d:
            d.submit("prod-a", Timeline().scan(finding()))
        return d

    assert run(go()).stats().sinks == ()


def test_a_worker_that_crashes_is_logged_and_restarted(caplog: pytest.LogCaptureFixture) -> None:
    """No background task may fail unobserved (issue 12.1): a sink's worker that stops on an
    unexpected error (here its transport raising what no HTTP client should) is logged
    with its traceback and started again; later alerts still go out."""
    calls: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug in the transport")
        return httpx2.Response(200)

    t = Timeline()

    clock = VirtualClock()

    async def main() -> AlertDispatcher:
        sink = sink_from_url("webhook", HOOK_URL)
        transport = httpx2.MockTransport(handler)
        async with virtual_dispatcher([sink], FAST, transport, clock) as d:
            d.submit("prod-a", t.scan(finding("first")))
            await clock.until(lambda: d.crashes == 1)
            d.submit("prod-a", t.scan(finding("first"), finding("second")))
            await clock.until(lambda: d.stats().total("sent") >= 1)
        return d

    d = run(main())
    assert d.stats().total("sent") == 1
    [record] = [r for r in caplog.records if "restarting it" in r.getMessage()]
    assert record.exc_info is not None


def test_a_suppressed_finding_stays_quiet_and_its_expiry_fires_after_a_restart() -> None:
    """Regression: restore() held a suppressed open episode as announced, so the
    `suppression-expired` alert after a restart was dropped as a duplicate."""
    from datetime import date

    from kubedrift.model.suppression import Suppression

    held = Suppression("load test", date(2026, 3, 3), "al", kind="Deployment")
    t = Timeline()
    quiet = t.scan(replace(finding("a"), suppression=held))
    recorder = Recorder()

    clock = VirtualClock()

    async def go() -> None:
        async with virtual_dispatcher([HOOK], FAST, recorder.transport(), clock) as d:
            d.submit("prod-a", quiet)
            await clock.sleep(0.1)
        async with virtual_dispatcher([HOOK], FAST, recorder.transport(), clock) as d:
            d.restore("prod-a", t.store.open_findings())  # the restart
            d.submit("prod-a", t.scan(finding("a")))  # the suppression has ended

    run(go())
    [alert] = alerts_in(recorder.bodies)
    assert alert["event"] == "suppression-expired"
    assert alert["status"] == "firing"
    assert alert["suppression_ended"]["reason"] == "load test"
    assert alert["finding"]["status"] == "active"

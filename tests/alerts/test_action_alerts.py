"""Action alerts (self-heal): filtered by severity, never deduplicated, held or re-sent,
delivered through the dispatcher like any alert (mock transport), `event: action`."""

from __future__ import annotations

from datetime import UTC, datetime

from kubedrift.alerts import AlertEvent, action_alert, sink_from_url
from kubedrift.alerts.alertmanager import postable_alert
from kubedrift.alerts.ledger import Ledger, Verdict
from kubedrift.model import Severity
from store.builders import finding
from support.aio import VirtualClock, run

from .helpers import AM_URL, FAST, HOOK_URL, Recorder, alerts_in, virtual_dispatcher

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_action_is_sent_each_time_and_never_held_open() -> None:
    ledger = Ledger(Severity.LOW)
    alert = action_alert("prod-a", finding(rule="heal"), AT)
    assert alert.event is AlertEvent.ACTION
    assert ledger.admit(alert) is Verdict.SEND
    assert ledger.admit(alert) is Verdict.SEND  # a second heal of the same field is news
    assert ledger.open_alerts() == []  # nothing to re-send or resolve
    low = action_alert("prod-a", finding(rule="heal", severity=Severity.INFO), AT)
    assert ledger.admit(low) is Verdict.FILTERED


def test_alertmanager_lets_an_action_expire() -> None:
    alert = action_alert("prod-a", finding(rule="heal"), AT)
    body = postable_alert(alert, now=AT, ttl=300)
    assert body["labels"]["rule"] == "heal"
    assert body["startsAt"] == "2026-03-02T09:00:00Z"
    assert body["endsAt"] == "2026-03-02T09:05:00Z"


def test_the_dispatcher_delivers_announced_actions() -> None:
    recorder = Recorder()
    sinks = [sink_from_url("webhook", HOOK_URL), sink_from_url("alertmanager", AM_URL)]

    clock = VirtualClock()

    async def main() -> None:
        async with virtual_dispatcher(sinks, FAST, recorder.transport(), clock) as d:
            d.announce([action_alert("prod-a", finding(rule="heal"), AT)])
            await clock.until(lambda: len(recorder.bodies) == 2)

    run(main())
    (hook,) = alerts_in([b for b in recorder.bodies if isinstance(b, dict)])
    assert hook["event"] == "action"
    assert hook["status"] == "firing"
    assert hook["finding"]["rule"] == "heal"

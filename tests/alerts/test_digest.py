"""Regression (issue 11.10): the watcher's first sync of an existing cluster sent one alert per
finding (137 alerts in 2 s). Now each sink gets one digest of the start; later changes and
resolutions alert one by one, as before. Over real sockets (webhook and Slack receivers) and
a real Alertmanager."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from kubedrift.alerts import AlertDispatcher, sink_from_url
from kubedrift.alerts.digest import ALERTNAME
from kubedrift.model import Severity
from kubedrift.store import ScanDelta
from store.builders import finding
from support.aio import eventually, run
from support.alertmanager import Alertmanager

from .helpers import FAST, recent_timeline
from .receiver import Receiver

POLICY = replace(FAST, digest_wait=0.3)
SEVERITIES = [Severity.CRITICAL] * 2 + [Severity.HIGH] * 10 + [Severity.MEDIUM] * 25
START = [finding(f"app-{i:03d}", severity=s) for i, s in enumerate(SEVERITIES)]
NODES = [finding(f"gpu-{i}", kind="Node", path="nodeInfo.kernelVersion") for i in range(3)]


async def start_then_change(
    sinks: list[tuple[str, str]], name: str, *, wait_for: Any = None
) -> AlertDispatcher:
    """A start (objects, then the first fleet pass), then one new drift and one fix."""
    t = recent_timeline(name)
    start = t.store.record_scan(name, START, at=t._at)  # the initial object sync
    fleet = t.store.record_scan(name, START + NODES, at=t._at)  # the first fleet pass
    async with AlertDispatcher([sink_from_url(k, u) for k, u in sinks], POLICY) as d:
        d.submit(name, start, summarize=True)
        d.submit(name, fleet, summarize=True)
        if wait_for is not None:
            await eventually(wait_for, timeout=60)  # a real receiver: bounded, not timed
        later = finding("late-edit", severity=Severity.HIGH)
        d.submit(name, t.scan(*START[1:], *NODES, later))  # app-000 fixed, late-edit new
    return d


def digests(requests: list[Any]) -> list[dict[str, Any]]:
    return [r.body for r in requests if r.body.get("event") == "initial-sync"]


def test_a_start_sends_one_digest_per_sink_then_alerts_one_by_one() -> None:
    with Receiver() as hook, Receiver(path="/services/T1/B2/tok") as slack:
        sinks = [("webhook", hook.url), ("slack", slack.url)]
        d = run(start_then_change(sinks, "prod-a", wait_for=lambda: len(hook.requests) >= 1))
    [digest] = digests(hook.requests)
    body = digest["digest"]
    assert body["findings"] == 40
    assert body["by_severity"] == {"critical": 2, "high": 10, "medium": 28, "low": 0, "info": 0}
    assert body["by_category"] == {"object": 37, "node": 3}
    assert body["top"][0].startswith("[CRITICAL] Deployment/ml/app-000")
    assert len(body["top"]) == 5
    assert body["list_command"] == "kubedrift history --open --cluster prod-a"
    assert digest["alerts"] == []
    later = [a for r in hook.requests[1:] for a in r.body["alerts"]]
    assert sorted((a["event"], a["finding"]["object"]["name"]) for a in later) == [
        ("new", "late-edit"),
        ("resolved", "app-000"),
    ]
    assert len(hook.requests) == 2  # the digest, then one request for the later two
    assert (
        slack.requests[0]
        .body["text"]
        .startswith("kubedrift started on prod-a: 40 open drift findings (2 critical, 10 high)")
    )
    assert "kubedrift history --open --cluster prod-a" in slack.requests[0].body["text"]
    assert len(slack.requests) == 2
    stats = d.stats()
    assert stats.total("sent") == 2 + 4  # one digest per sink, then two alerts per sink
    assert stats.total("dropped") == 0


def test_alertmanager_gets_one_digest_alert_not_one_per_finding(
    alertmanager: Alertmanager,
) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"

    def digest_posted() -> bool:
        return bool(alertmanager.alerts(f'cluster="{name}"', f'alertname="{ALERTNAME}"'))

    run(start_then_change([("alertmanager", alertmanager.url)], name, wait_for=digest_posted))
    [digest] = alertmanager.alerts(f'cluster="{name}"', f'alertname="{ALERTNAME}"')
    assert digest["labels"] == {"alertname": ALERTNAME, "cluster": name, "severity": "critical"}
    assert "40 open drift findings" in digest["annotations"]["summary"]
    assert digest["annotations"]["list_command"] == f"kubedrift history --open --cluster {name}"
    drift = alertmanager.alerts(f'cluster="{name}"', 'alertname="KubedriftDrift"')
    assert [a["labels"]["name"] for a in drift] == ["late-edit"]  # only the later change


def test_a_quiet_start_sends_nothing() -> None:
    with Receiver() as hook:
        name = "prod-quiet"
        t = recent_timeline(name)
        empty: ScanDelta = t.scan()

        async def main() -> None:
            async with AlertDispatcher([sink_from_url("webhook", hook.url)], POLICY) as d:
                d.submit(name, empty, summarize=True)

        run(main())
    assert hook.requests == []

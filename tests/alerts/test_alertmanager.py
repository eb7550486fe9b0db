"""Real Alertmanager (Debian's 0.25): alerts fire, resolve and deduplicate as it sees them,
and a Secret finding's alert carries no secret value."""

from __future__ import annotations

import asyncio
import base64
import uuid
from dataclasses import replace
from typing import Any

import httpx2

from kubedrift.alerts import AlertDispatcher, fingerprint, sink_from_url
from kubedrift.diff import diff_object
from kubedrift.model import Finding, Severity
from store.builders import finding
from support.aio import eventually, run
from support.alertmanager import Alertmanager

from .helpers import FAST, recent_timeline

POLICY = replace(FAST, group_wait=0.05)


class Recording(httpx2.AsyncBaseTransport):
    """The real transport, keeping a copy of every request body it sends."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.bodies: list[bytes] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(await request.aread())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def cluster() -> str:
    """A cluster name of its own per test: the Alertmanager is shared by the session."""
    return f"test-{uuid.uuid4().hex[:8]}"


async def submit_all(am: Alertmanager, name: str, *deltas: Any, transport: Any = None) -> Any:
    sink = sink_from_url("alertmanager", am.url)
    async with AlertDispatcher([sink], POLICY, transport=transport) as d:
        for delta in deltas:
            d.submit(name, delta)
    return d


def only(am: Alertmanager, name: str, f: Finding) -> list[dict[str, Any]]:
    return am.alerts(f'cluster="{name}"', f'finding="{fingerprint(f)}"')


def test_a_new_finding_fires_with_its_labels_and_annotations(alertmanager: Alertmanager) -> None:
    name, f = cluster(), finding(severity=Severity.HIGH)
    t = recent_timeline(name)
    run(submit_all(alertmanager, name, t.scan(f)))
    (alert,) = only(alertmanager, name, f)
    assert alert["status"]["state"] == "active"
    assert alert["labels"] == {
        "alertname": "KubedriftDrift",
        "cluster": name,
        "severity": "high",
        "category": "object",
        "group": "apps",
        "kind": "Deployment",
        "namespace": "ml",
        "name": "trainer",
        "path": "/spec/replicas",
        "rule": "value-changed",
        "finding": fingerprint(f),
    }
    annotations = alert["annotations"]
    assert annotations["summary"] == (
        "[HIGH] Deployment/ml/trainer /spec/replicas: 4 → 2 (by kubectl-edit)"
    )
    assert (annotations["desired"], annotations["live"]) == ("4", "2")
    assert annotations["description"] == "/spec/replicas differs"


def test_a_resolution_resolves_the_alert(alertmanager: Alertmanager) -> None:
    name, f, other = cluster(), finding("a"), finding("b")
    t = recent_timeline(name)
    sink = sink_from_url("alertmanager", alertmanager.url)

    async def go() -> list[dict[str, Any]]:
        async with AlertDispatcher([sink], POLICY) as d:
            d.submit(name, t.scan(f, other))
            await eventually(lambda: d.stats().sinks[0].sent == 2, timeout=60)
            firing = await asyncio.to_thread(only, alertmanager, name, f)
            d.submit(name, t.scan(other))
            await eventually(lambda: d.stats().sinks[0].sent == 3, timeout=60)
        return firing

    (firing,) = run(go())
    assert firing["status"]["state"] == "active"
    assert only(alertmanager, name, f) == []  # Alertmanager lists no alert past its endsAt
    (still,) = only(alertmanager, name, other)
    assert still["status"]["state"] == "active"


def test_the_same_finding_submitted_twice_is_one_alert(alertmanager: Alertmanager) -> None:
    name, f = cluster(), finding()
    t = recent_timeline(name)
    delta = t.scan(f)
    recording = Recording()
    d = run(submit_all(alertmanager, name, delta, delta, transport=recording))
    assert len(only(alertmanager, name, f)) == 1
    assert len(recording.bodies) == 1
    stats = d.stats().sinks[0]
    assert (stats.sent, stats.deduplicated, stats.failed) == (1, 1, 0)


PLAINTEXT = "hunter2-training-db-password"


def secret_findings() -> list[Finding]:
    """A Secret whose value changed, compared by the diff layer (which hashes the values)."""

    def secret(value: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "ml"},
            "data": {"password": base64.b64encode(value.encode()).decode()},
        }

    found = diff_object(secret(PLAINTEXT), secret("something-else-entirely"))
    assert found, "the diff layer reports the changed key"
    return found


def test_a_secret_findings_alert_carries_no_secret_value(alertmanager: Alertmanager) -> None:
    name, found = cluster(), secret_findings()
    t = recent_timeline(name)
    recording = Recording()
    run(submit_all(alertmanager, name, t.scan(*found), transport=recording))
    (alert,) = only(alertmanager, name, found[0])
    assert alert["annotations"]["desired"].startswith("sha256:")
    sent = b"".join(recording.bodies).decode()
    shown = sent + str(alertmanager.alerts(f'cluster="{name}"'))
    for form in (PLAINTEXT, base64.b64encode(PLAINTEXT.encode()).decode()):
        assert form not in shown

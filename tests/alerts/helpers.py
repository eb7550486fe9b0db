"""Deltas, policies and transports for the alert tests: realistic, and fast to run.

Deltas come from a real `MemoryStore` (a scan with a finding, then one without it), not
from hand-built records; `Recorder` is the `httpx2.MockTransport` handler that scripts a
sink's answers and keeps what it was sent. `virtual_dispatcher` runs a dispatcher on a
`VirtualClock`, so no test of the delivery schedule depends on how fast the machine is.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx2

from kubedrift.alerts import AlertDispatcher, AlertPolicy, Sink
from kubedrift.model import Finding
from kubedrift.store import MemoryStore, ScanDelta
from store.builders import T0
from support.aio import VirtualClock

T = TypeVar("T")

FAST = AlertPolicy(
    group_wait=0.05,
    rate_per_minute=60_000,
    burst=100,
    backoff_initial=0.01,
    backoff_max=0.04,
    resend_interval=0,
    timeout=30.0,  # real sockets (test_http, Alertmanager): a loaded machine is no failure
    trust_env=False,
)
SLACK_URL = "https://hooks.slack.example/services/T000/B000/XXXXsecretTOKENxxxx"
HOOK_URL = "https://hooks.example.com/kubedrift/9f8e7d6c-token"
AM_URL = "http://alertmanager.example:9093/api/v2/alerts"


class Timeline:
    """One cluster's findings recorded scan by scan in a MemoryStore, one minute apart."""

    def __init__(self, cluster: str = "prod-a", start: datetime = T0, step: float = 60) -> None:
        self.cluster = cluster
        self.store = MemoryStore()
        self._at = start
        self._step = timedelta(seconds=step)

    def scan(self, *findings: Finding) -> ScanDelta:
        """Record a full scan that saw exactly `findings`."""
        self._at += self._step
        return self.store.record_scan(self.cluster, list(findings), at=self._at)


def recent_timeline(cluster: str) -> Timeline:
    """A timeline whose scans lie in the recent past (Alertmanager compares with its clock)."""
    return Timeline(cluster, start=datetime.now(UTC) - timedelta(minutes=10), step=1)


Answer = httpx2.Response | Exception | int


class Recorder:
    """A MockTransport handler: answers from a script (then 200), keeps every request, and
    with a `clock` the time each one came (`times`)."""

    def __init__(self, answers: Iterable[Answer] = (), clock: VirtualClock | None = None) -> None:
        self.answers = list(answers)
        self.requests: list[httpx2.Request] = []
        self.clock = clock
        self.times: list[float] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if self.clock is not None:
            self.times.append(self.clock())
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, int):
            return httpx2.Response(answer)
        return answer

    @property
    def bodies(self) -> list[Any]:
        """The JSON bodies received, in order."""
        return [json.loads(r.content) for r in self.requests]

    def transport(self) -> httpx2.MockTransport:
        """A transport that sends to this recorder."""
        return httpx2.MockTransport(self)


@asynccontextmanager
async def virtual_dispatcher(
    sinks: Sequence[Sink],
    policy: AlertPolicy,
    transport: httpx2.AsyncBaseTransport,
    clock: VirtualClock,
) -> AsyncIterator[AlertDispatcher]:
    """A started dispatcher whose every wait (group window, token, backoff, shutdown grace)
    runs on `clock`: virtual seconds, exact whatever the machine's load."""
    async with clock.running():
        dispatcher = AlertDispatcher(
            sinks, policy, transport=transport, clock=clock, sleep=clock.sleep
        )
        async with dispatcher as d:
            yield d


def alerts_in(bodies: list[Any]) -> list[dict[str, Any]]:
    """Every alert of every webhook body."""
    return [a for body in bodies for a in body["alerts"]]

"""Real I/O: webhook and Slack payloads over a real socket to a local HTTP receiver."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from kubedrift.alerts import SCHEMA, AlertDispatcher, AlertPolicy, sink_from_url
from kubedrift.model import Severity
from store.builders import finding
from support.aio import run

from .helpers import FAST, Timeline
from .receiver import Receiver

POLICY = replace(FAST, group_wait=0.1)


async def deliver(
    url_kinds: list[tuple[str, str]], *deltas: object, policy: AlertPolicy = POLICY
) -> AlertDispatcher:
    sinks = [sink_from_url(kind, url) for kind, url in url_kinds]
    async with AlertDispatcher(sinks, policy) as d:
        for delta in deltas:
            d.submit("prod-a", delta)  # type: ignore[arg-type]
    return d


def test_webhook_over_a_real_socket() -> None:
    t = Timeline()
    with Receiver() as receiver:
        run(deliver([("webhook", receiver.url)], t.scan(finding(severity=Severity.HIGH))))
    (request,) = receiver.requests
    assert (request.method, request.path) == ("POST", "/hook/s3cr3t-token")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "kubedrift-alerts/1"
    assert request.body["schema"] == SCHEMA
    (alert,) = request.body["alerts"]
    assert alert["finding"]["object"]["name"] == "trainer"
    assert alert["finding"]["severity"] == "high"


def test_slack_over_a_real_socket() -> None:
    t = Timeline()
    with Receiver(path="/services/T1/B2/tok") as receiver:
        run(deliver([("slack", receiver.url)], t.scan(finding("a"), finding("b"))))
    (request,) = receiver.requests
    assert set(request.body) == {"text", "blocks"}
    assert "2 drift findings firing in prod-a" in request.body["text"]
    assert "`Deployment/ml/a`" in request.body["text"]


def test_503_twice_then_200_is_retried_over_the_socket() -> None:
    t = Timeline()
    with Receiver([503, 503]) as receiver:
        d = run(deliver([("webhook", receiver.url)], t.scan(finding())))
    assert len(receiver.requests) == 3
    assert receiver.requests[0].body == receiver.requests[2].body
    stats = d.stats().sinks[0]
    assert (stats.sent, stats.retried, stats.failed) == (1, 2, 0)


def test_both_sinks_over_real_sockets_get_one_request_each() -> None:
    t = Timeline()
    with Receiver() as hook, Receiver(path="/services/x") as slack:
        run(deliver([("webhook", hook.url), ("slack", slack.url)], t.scan(finding()), t.scan()))
    assert [r.body["status"] for r in hook.requests] == ["firing"]  # one request for both
    assert [a["status"] for a in hook.requests[0].body["alerts"]] == ["firing", "resolved"]
    assert len(slack.requests) == 1


def test_an_unreachable_sink_fails_after_its_attempts_naming_only_the_origin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    t = Timeline()
    with Receiver(path="/secret/path/token") as receiver:
        url = receiver.url  # the port is closed once the receiver stops
    d = run(deliver([("webhook", url)], t.scan(finding()), policy=replace(POLICY, max_attempts=2)))
    stats = d.stats().sinks[0]
    assert (stats.failed, stats.retried) == (1, 1)
    assert "ConnectError" in (stats.last_error or "")
    assert "/secret/path" not in caplog.text + (stats.last_error or "")

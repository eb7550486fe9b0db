"""One request to one sink: retries with backoff and jitter, Retry-After, what is final,
and URLs kept out of every error and log line."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx2
import pytest

from kubedrift.alerts import AlertDispatcher, AlertError, AlertPolicy, sink_from_url
from kubedrift.alerts.delivery import Outcome, deliver, retry_after
from kubedrift.model.backoff import Backoff
from store.builders import finding
from support.aio import VirtualClock, run

from .helpers import FAST, SLACK_URL, Recorder, Timeline, virtual_dispatcher

SINK = sink_from_url("slack", SLACK_URL)
SECRET_PARTS = ("XXXXsecret", "/services/T000", "B000")


async def post(recorder: Recorder, policy: AlertPolicy = FAST) -> tuple[Outcome, list[float]]:
    """Deliver one body through `recorder`, recording the sleeps instead of sleeping."""
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    async with httpx2.AsyncClient(transport=recorder.transport()) as client:
        outcome = await deliver(
            client, SINK, {"text": "x"}, policy, rng=random.Random(7), sleep=sleep
        )
    return outcome, slept


def connect_error() -> httpx2.ConnectError:
    return httpx2.ConnectError(f"cannot reach {SLACK_URL}")


def test_5xx_and_connection_errors_are_retried_with_growing_delays() -> None:
    recorder = Recorder([503, connect_error(), httpx2.ReadTimeout("slow"), 502, 200])
    policy = AlertPolicy(backoff_initial=1, backoff_max=100, max_attempts=5)
    outcome, slept = run(post(recorder, policy))
    assert outcome == Outcome(attempts=5)
    assert outcome.delivered
    for n, delay in enumerate(slept, start=1):
        assert 2 ** (n - 1) / 2 <= delay <= 2 ** (n - 1)


def test_attempts_are_bounded() -> None:
    recorder = Recorder([500] * 10)
    outcome, slept = run(post(recorder, AlertPolicy(max_attempts=3)))
    assert len(recorder.requests) == 3
    assert len(slept) == 2
    assert isinstance(outcome.error, AlertError)
    assert "gave up after 3 attempts" in str(outcome.error)
    assert "HTTP 500" in str(outcome.error)


def test_429_honours_retry_after_in_seconds() -> None:
    recorder = Recorder([httpx2.Response(429, headers={"Retry-After": "7"}), 200])
    outcome, slept = run(post(recorder))
    assert outcome.delivered
    assert slept == [7.0]


def test_retry_after_is_capped() -> None:
    recorder = Recorder([httpx2.Response(503, headers={"Retry-After": "86400"}), 200])
    _, slept = run(post(recorder, AlertPolicy(retry_after_max=30)))
    assert slept == [30.0]


def test_retry_after_parsing() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert retry_after("120") == 120.0
    assert retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0
    assert retry_after("soon") is None
    assert retry_after(None) is None


@pytest.mark.parametrize("status", [400, 403, 404, 410, 301])
def test_other_answers_fail_at_once_and_are_logged_once(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder([httpx2.Response(status, text="no_service"), 200])
    outcome, slept = run(post(recorder))
    assert len(recorder.requests) == 1
    assert slept == []
    assert f"HTTP {status}" in str(outcome.error)
    assert "not retried" in str(outcome.error)
    assert "(no_service)" in str(outcome.error)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1


def test_errors_and_logs_name_only_the_origin(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder([connect_error(), httpx2.Response(404, text=f"bad {SLACK_URL}")])
    outcome, _ = run(post(recorder))
    message = str(outcome.error)
    assert message.startswith("https://hooks.slack.example: slack sink answered HTTP 404")
    for part in SECRET_PARTS:
        assert part not in message
        assert part not in caplog.text
    assert outcome.error is not None
    assert outcome.error.where == "https://hooks.slack.example"


def test_httpx_request_log_shows_only_the_origin(caplog: pytest.LogCaptureFixture) -> None:
    """httpx2 logs every request's URL at INFO; the dispatcher cuts it to the origin."""
    caplog.set_level(logging.DEBUG)
    recorder = Recorder([404, 503, 200])
    t = Timeline()

    async def go() -> AlertDispatcher:
        async with virtual_dispatcher([SINK], FAST, recorder.transport(), VirtualClock()) as d:
            d.submit("prod-a", t.scan(finding("a")))
            d.submit("prod-a", t.scan(finding("a"), finding("b")))
        return d

    dispatcher = run(go())
    assert "HTTP Request: POST https://hooks.slack.example" in caplog.text
    for part in SECRET_PARTS:
        assert part not in caplog.text
        assert part not in repr(dispatcher.stats())
    assert "hooks.slack.example" in (dispatcher.stats().sinks[0].last_error or "")


def test_backoff_is_capped_and_jittered() -> None:
    rng = random.Random(1)
    delays = [Backoff(0.5, 4.0, rng).delay_after(n) for n in range(1, 10)]
    assert all(d <= 4.0 for d in delays)
    assert all(d >= 2.0 for d in delays[3:])
    assert len(set(delays)) == len(delays)  # jitter: no two the same

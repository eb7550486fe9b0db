"""Posting one request body to one sink: retries, backoff with jitter, and what is final.

    2xx                            delivered
    connection error, timeout,
    429, 5xx                       retried after a delay, up to `max_attempts` in all
    anything else (4xx, 3xx)       failed for good at once, logged once

The delay before attempt n+1 is drawn from the upper half of `backoff_initial · 2^(n-1)`
(capped at `backoff_max`), so sinks that failed together do not retry in step; a 429's or
503's `Retry-After` (seconds or an HTTP date) lengthens it, up to `retry_after_max`.

Request bodies are never logged, and neither is a sink's URL: messages name only its
scheme://host, and httpx2's exceptions are reduced to their type and scrubbed message.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx2

from kubedrift.alerts.errors import AlertError, protect_in_logs, scrub
from kubedrift.alerts.policy import AlertPolicy
from kubedrift.alerts.sinks import Sink
from kubedrift.alerts.timing import Sleep
from kubedrift.model.backoff import Backoff

log = logging.getLogger("kubedrift.alerts")

_RETRYABLE_ERRORS = (
    httpx2.TimeoutException,
    httpx2.NetworkError,
    httpx2.RemoteProtocolError,
    httpx2.ProxyError,
)
_REASON_LIMIT = 80


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a request ended: `error` is None when it was delivered."""

    attempts: int
    error: AlertError | None = None

    @property
    def delivered(self) -> bool:
        """True when the sink accepted the request."""
        return self.error is None


@dataclass(frozen=True, slots=True)
class _Try:
    """One attempt: delivered, or a failure that may be retried (after `retry_after`)."""

    reason: str | None = None
    retryable: bool = False
    retry_after: float | None = None


async def deliver(
    client: httpx2.AsyncClient,
    sink: Sink,
    body: Any,
    policy: AlertPolicy,
    *,
    rng: random.Random,
    sleep: Sleep = asyncio.sleep,
) -> Outcome:
    """POST `body` as JSON to `sink`, retrying what may succeed later."""
    protect_in_logs(sink.url)
    for attempt in range(1, policy.max_attempts + 1):
        result = await _attempt(client, sink, body)
        if result.reason is None:
            return Outcome(attempt)
        if not result.retryable or attempt == policy.max_attempts:
            return Outcome(attempt, _failure(sink, result, attempt))
        delay = Backoff(policy.backoff_initial, policy.backoff_max, rng).delay_after(attempt)
        if result.retry_after is not None:
            delay = max(delay, min(result.retry_after, policy.retry_after_max))
        log.info(
            "alert delivery to %s %s: attempt %d of %d in %.2fs",
            sink.target,
            result.reason,
            attempt + 1,
            policy.max_attempts,
            delay,
        )
        await sleep(delay)
    raise AssertionError("unreachable: max_attempts >= 1")


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def _attempt(client: httpx2.AsyncClient, sink: Sink, body: Any) -> _Try:
    try:
        response = await client.post(sink.url, json=body)
    except _RETRYABLE_ERRORS as exc:
        return _Try(_exception_reason(exc, sink), retryable=True)
    except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
        return _Try(_exception_reason(exc, sink))
    return _classify(response, sink)


def _classify(response: httpx2.Response, sink: Sink) -> _Try:
    status = response.status_code
    if 200 <= status < 300:
        return _Try()
    reason = f"answered HTTP {status} {response.reason_phrase}".rstrip()
    detail = " ".join(response.text.split())[:_REASON_LIMIT]
    if detail:
        reason += f" ({scrub(detail, sink.url)})"
    if status == 429 or status >= 500:
        wait = retry_after(response.headers.get("Retry-After"))
        return _Try(reason, retryable=True, retry_after=wait)
    return _Try(reason)


def _exception_reason(exc: Exception, sink: Sink) -> str:
    message = scrub(" ".join(str(exc).split()), sink.url)
    return f"failed: {type(exc).__name__}" + (f": {message}" if message else "")


def _failure(sink: Sink, result: _Try, attempts: int) -> AlertError:
    tried = "not retried" if not result.retryable else f"gave up after {attempts} attempts"
    error = AlertError(f"{sink.kind.value} sink {result.reason}; {tried}", where=sink.target)
    log.warning("alert delivery failed: %s", error)
    return error

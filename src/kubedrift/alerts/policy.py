"""`AlertPolicy`: every behaviour switch of alert delivery, with its default and why.

One frozen object, passed explicitly to the dispatcher; each sink applies it on its own
(its own queue, token bucket and retry budget), so a slow Slack never holds up Alertmanager.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """How alerts are grouped, rate-limited, retried and re-sent; times are in seconds.

    Grouping: an alert waits up to `group_wait` for others of the same cluster to join its
    request; a request carries at most `max_batch` alerts, and a Slack message lists at most
    `slack_max_lines` of them ("+k more" for the rest).

    Rate limit: a token bucket per sink, `rate_per_minute` requests a minute with bursts of
    `burst`. Over the limit, alerts wait in the sink's queue (and join the next, larger
    request); only when `queue_size` alerts are waiting is the oldest dropped (and counted).

    Retries: connection errors, timeouts, 429 and 5xx are retried up to `max_attempts`
    attempts in all, after exponential backoff with jitter from `backoff_initial` to
    `backoff_max`; a `Retry-After` header is honoured up to `retry_after_max`. Any other
    non-2xx answer (4xx, and 3xx: redirects are not followed, so a body never goes to
    another host) fails the request at once. `timeout` bounds each attempt.

    Changes: a change of desired or live value updates an open alert (Alertmanager re-sends
    carry the new values); it is also announced as an alert of its own only when
    `notify_changes` is set.

    Alertmanager: open alerts are re-sent every `resend_interval` (60 s, like Prometheus'
    `--rules.alert.resend-delay`; 0 turns re-sending off), each with `endsAt` `firing_ttl`
    ahead (4 minutes, Prometheus' 4 × resend rule): if kubedrift stops, its alerts expire
    on their own instead of hanging on until Alertmanager's `resolve_timeout`.
    `generator_url`, when set, becomes each alert's `generatorURL` and the Slack link.

    Start: the new findings of the watcher's initial sync go out as one digest per sink
    (`alerts.digest`), not one alert each; the digest waits `digest_wait` for the rest of
    the start (the first node and workload pass) to join it.

    `trust_env` lets httpx2 read proxy settings (`HTTPS_PROXY`, `NO_PROXY`) from the
    environment, as egress to Slack often needs.
    """

    group_wait: float = 2.0
    max_batch: int = 100
    slack_max_lines: int = 10
    rate_per_minute: float = 30.0
    burst: int = 5
    queue_size: int = 10_000
    max_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    timeout: float = 10.0
    notify_changes: bool = False
    resend_interval: float = 60.0
    firing_ttl: float = 240.0
    generator_url: str = ""
    trust_env: bool = True
    digest_wait: float = 10.0

    def __post_init__(self) -> None:
        positive = {
            "max_batch": self.max_batch,
            "slack_max_lines": self.slack_max_lines,
            "rate_per_minute": self.rate_per_minute,
            "burst": self.burst,
            "queue_size": self.queue_size,
            "max_attempts": self.max_attempts,
            "backoff_initial": self.backoff_initial,
            "timeout": self.timeout,
            "firing_ttl": self.firing_ttl,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"AlertPolicy.{name} must be positive, not {value}")
        waits = (self.group_wait, self.resend_interval, self.retry_after_max, self.digest_wait)
        if min(waits) < 0:
            raise ValueError(
                "AlertPolicy: group_wait, resend_interval, retry_after_max, digest_wait >= 0"
            )
        if self.backoff_max < self.backoff_initial:
            raise ValueError("AlertPolicy.backoff_max must be >= backoff_initial")
        if self.resend_interval and self.firing_ttl <= self.resend_interval:
            raise ValueError("AlertPolicy.firing_ttl must exceed resend_interval")

    @property
    def resends(self) -> bool:
        """True when open alerts are re-sent to Alertmanager periodically."""
        return self.resend_interval > 0

"""Alerts on drift: a new finding, its resolution (and optionally a change of its value),
sent to a JSON webhook, a Slack-compatible webhook and Alertmanager.

    sinks = sinks_from_options(slack=[url], alertmanagers=["http://am:9093"],
                               min_severity="high")
    async with AlertDispatcher(sinks, AlertPolicy(group_wait=2.0)) as alerts:
        alerts.submit("prod-a", store.record_event("prod-a", ref, findings, at=now))
        alerts.stats().total("dropped")

Per sink, alerts are severity-filtered, deduplicated per finding episode, grouped (one
request per cluster per group window), rate-limited by a token bucket (over the limit they
wait and join the next request), and retried with backoff and jitter on connection errors,
timeouts, 429 (`Retry-After` honoured) and 5xx. Nothing is dropped unless a sink's bounded
queue overflows (oldest first, counted). Webhook URLs hold credentials: only their
scheme://host appears in logs, errors, reprs and stats.

Modules, one responsibility each:

    dispatcher    AlertDispatcher: submit, start/aclose, one worker task per sink
    worker        one sink's loop: group window, token, request, Alertmanager re-sends
    ledger        the severity filter and deduplication, per sink
    queue         the bounded queue of waiting alerts, batches by cluster
    ratelimit     TokenBucket
    delivery      one POST with retries, backoff and Retry-After
    events        Alert, AlertEvent, AlertStatus, fingerprints, alerts of a ScanDelta
    webhook       the `kubedrift-alert/v1` JSON body
    slack         the Slack message body
    alertmanager  the Alertmanager v2 body: labels, annotations, startsAt/endsAt
    summary       the one-line text of an alert
    sinks         Sink, SinkKind, URL checks and the CLI's sink specs
    policy        AlertPolicy: every switch, with its default
    stats         SinkStats and AlertStats, the frozen counters
    errors        AlertError and URL redaction

    KubedriftError
    └── AlertError   a sink refused or could not be reached; `where` is scheme://host
"""

from kubedrift.alerts.dispatcher import AlertDispatcher
from kubedrift.alerts.errors import AlertError, redact_url
from kubedrift.alerts.events import (
    Alert,
    AlertEvent,
    AlertStatus,
    action_alert,
    alerts_from_delta,
    fingerprint,
)
from kubedrift.alerts.policy import AlertPolicy
from kubedrift.alerts.sinks import (
    Sink,
    SinkKind,
    parse_severity,
    parse_sink_spec,
    sink_from_url,
    sinks_from_options,
)
from kubedrift.alerts.stats import AlertStats, SinkStats
from kubedrift.alerts.webhook import SCHEMA

__all__ = [
    "SCHEMA",
    "Alert",
    "AlertDispatcher",
    "AlertError",
    "AlertEvent",
    "AlertPolicy",
    "AlertStats",
    "AlertStatus",
    "Sink",
    "SinkKind",
    "SinkStats",
    "action_alert",
    "alerts_from_delta",
    "fingerprint",
    "parse_severity",
    "parse_sink_spec",
    "redact_url",
    "sink_from_url",
    "sinks_from_options",
]

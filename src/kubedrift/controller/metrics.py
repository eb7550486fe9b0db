"""The controller's Prometheus metrics, in a registry of their own.

`ControllerMetrics` owns a private `CollectorRegistry` (never the process-global one), so two
controllers or two tests never share a series. The watch loop calls its methods; `/metrics`
serves `render()`. Every metric it exports:

- `kubedrift_open_findings{category,severity}` (gauge): open findings now. Every known
  category × severity pair is present, 0 when none, so no series lingers at an old value.
- `kubedrift_detection_latency_seconds{kind}` (histogram, 5 ms … 30 s): from a watch
  event's arrival to its findings being recorded.
- `kubedrift_watch_restarts_total{kind,reason}` (counter): watches re-established;
  `reason` is `expired` (410 Gone: the watch's resourceVersion was compacted, a relist
  followed) or `error` (the apiserver failed or could not be reached). A stream the
  server ends at its timeout is renewed without counting.
- `kubedrift_last_sync_timestamp_seconds{kind}` (gauge): Unix time of the last complete
  list (initial sync or relist) of a kind.
- `kubedrift_desired_revision_info{revision,source}` (gauge, always 1): the desired-state
  revision in force; only the current one is present (`revision=""` when unversioned).
  `source` never shows credentials a Git URL carries (`gitsafe.redact`).
- `kubedrift_events_processed_total{kind}` (counter): watch events handled.
- `kubedrift_tracked_objects{kind}` (gauge): live objects held in the controller's cache.
- `kubedrift_store_write_duration_seconds` (histogram, 1 ms … 5 s): time to record one
  batch of findings in the timeline store.
- `kubedrift_alerts_total{sink,outcome}` (counter): alerts handed to a sink; `outcome`
  e.g. `sent`, `failed`, `dropped`.
- `kubedrift_leader` (gauge): 1 while this replica holds the leader lease, else 0.
- `kubedrift_store_errors_total` (counter): failed attempts to read or write the timeline
  store (each retry counts).
- `kubedrift_degraded{reason}` (gauge): 1 while the controller is in trouble, else 0;
  `reason` is `store` (cannot write the timeline), `cluster` (cannot reach the apiserver) or
  `task` (a background task failed and is being restarted).
- `kubedrift_desired_stale` (gauge): 1 while the last attempt to read desired state failed
  and an older revision stays in force (a broken commit pushed), else 0.
- `kubedrift_skipped_kinds{kind,reason}` (gauge, 1): AI workload kinds the watcher does not
  look at, `reason` `not-served` (CRD not installed) or `forbidden` (RBAC).

Labels carry small, bounded vocabularies (kinds, severities, sink names), never object names.
The `_created` series prometheus_client adds to counters and histograms are left out: in the
text format they are separate gauges nobody queries, and the library's switch is global.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from kubedrift.desired.gitsafe import redact
from kubedrift.model import Category, Severity

# A watch event is usually handled in milliseconds; a relist of a large cluster can take tens
# of seconds, and anything beyond 30 s is simply "too slow".
DETECTION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STORE_WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

CATEGORIES = tuple(c.value for c in Category)
SEVERITIES = tuple(s.value for s in Severity)
DEGRADED_REASONS = ("store", "cluster", "task")


class ControllerMetrics:
    """The controller's metrics and the registry that holds them; see the module docstring."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._exposed = _WithoutCreated(self.registry)
        self._open_keys: set[tuple[str, str]] = set()
        self._open_findings = self._gauge(
            "open_findings", "Open findings by category and severity.", "category", "severity"
        )
        self._latency = Histogram(
            "kubedrift_detection_latency_seconds",
            "Time from a watch event's arrival to its findings being recorded.",
            ["kind"],
            buckets=DETECTION_BUCKETS,
            registry=self.registry,
        )
        self._restarts = self._counter(
            "watch_restarts", "Watches re-established, by kind and reason.", "kind", "reason"
        )
        self._last_sync = self._gauge(
            "last_sync_timestamp_seconds", "Unix time of the last complete list of a kind.", "kind"
        )
        self._revision = self._gauge(
            "desired_revision_info", "The desired-state revision in force.", "revision", "source"
        )
        self._events = self._counter("events_processed", "Watch events handled.", "kind")
        self._tracked = self._gauge("tracked_objects", "Live objects held in the cache.", "kind")
        self._store_write = Histogram(
            "kubedrift_store_write_duration_seconds",
            "Time to record one batch of findings in the timeline store.",
            buckets=STORE_WRITE_BUCKETS,
            registry=self.registry,
        )
        self._alerts = self._counter(
            "alerts", "Alerts handed to a sink, by outcome.", "sink", "outcome"
        )
        self._leader = self._gauge("leader", "1 while this replica holds the leader lease.")
        self._store_errors = self._counter(
            "store_errors", "Failed attempts to read or write the timeline store."
        )
        self._degraded = self._gauge(
            "degraded", "1 while the controller is in trouble, by reason.", "reason"
        )
        self._desired_stale = self._gauge(
            "desired_stale", "1 while desired state could not be re-read and an older one holds."
        )
        self._skipped = self._gauge(
            "skipped_kinds", "Workload kinds not looked at, and why.", "kind", "reason"
        )
        self.set_open_findings({})
        self._leader.set(0)
        self._store_errors.inc(0)
        self._desired_stale.set(0)
        for reason in DEGRADED_REASONS:
            self._degraded.labels(reason=reason).set(0)

    # -- what the watch loop reports -------------------------------------------------------

    def set_open_findings(self, counts: Mapping[tuple[str, str], int]) -> None:
        """Replace the open-findings picture: `counts[(category, severity)]`, the rest 0.

        Every known category × severity is exported (0 when absent from `counts`); a pair of
        an unknown category that was set before and is absent now is removed, not left stale.
        """
        picture = {(c, s): 0 for c in CATEGORIES for s in SEVERITIES}
        for key, value in counts.items():
            if value < 0:
                raise ValueError(f"negative count {value} for open findings {key}")
            picture[key] = value
        for gone in self._open_keys - picture.keys():
            self._open_findings.remove(*gone)
        for (category, severity), value in picture.items():
            self._open_findings.labels(category=category, severity=severity).set(value)
        self._open_keys = set(picture)

    def observe_detection_latency(self, seconds: float, kind: str) -> None:
        """One event of `kind` went from arrival to recorded findings in `seconds`."""
        self._latency.labels(kind=kind).observe(seconds)

    def watch_restarted(self, kind: str, reason: str) -> None:
        """The watch of `kind` was re-established because of `reason`."""
        self._restarts.labels(kind=kind, reason=reason).inc()

    def synced(self, kind: str, at: float) -> None:
        """A complete list of `kind` finished at Unix time `at`."""
        self._last_sync.labels(kind=kind).set(at)

    def set_revision(self, revision: str | None, source: str) -> None:
        """Desired state is now `revision` of `source` (None: unversioned, e.g. a plain folder)."""
        self._revision.clear()
        self._revision.labels(revision=revision or "", source=redact(source)).set(1)

    def events_processed(self, kind: str, n: int = 1) -> None:
        """`n` more watch events of `kind` were handled."""
        self._events.labels(kind=kind).inc(n)

    def tracked_objects(self, kind: str, n: int) -> None:
        """The cache now holds `n` live objects of `kind`."""
        self._tracked.labels(kind=kind).set(n)

    def observe_store_write(self, seconds: float) -> None:
        """One batch of findings took `seconds` to record in the timeline store."""
        self._store_write.observe(seconds)

    def alert_outcome(self, sink: str, outcome: str, n: int = 1) -> None:
        """`n` alerts handed to `sink` ended with `outcome` (`sent`, `failed`, `dropped`, …)."""
        self._alerts.labels(sink=sink, outcome=outcome).inc(n)

    def set_leader(self, leading: bool) -> None:
        """Whether this replica holds the leader lease now."""
        self._leader.set(1 if leading else 0)

    def store_error(self) -> None:
        """One more failed attempt to read or write the store."""
        self._store_errors.inc()

    def set_degraded(self, reason: str, degraded: bool) -> None:
        """Whether the controller is in trouble for `reason` (see `DEGRADED_REASONS`)."""
        self._degraded.labels(reason=reason).set(1 if degraded else 0)

    def set_desired_stale(self, stale: bool) -> None:
        """Whether the last read of desired state failed (an older revision holds)."""
        self._desired_stale.set(1 if stale else 0)

    def set_skipped_kinds(self, skipped: Iterable[tuple[str, str]]) -> None:
        """The workload kinds not looked at now, as (kind, reason); the rest are removed."""
        self._skipped.clear()
        for kind, reason in skipped:
            self._skipped.labels(kind=kind, reason=reason).set(1)

    # -- exposition ------------------------------------------------------------------------

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition of the registry, and its content type."""
        return generate_latest(self._exposed), CONTENT_TYPE_PLAIN_0_0_4

    # -- construction helpers --------------------------------------------------------------

    def _gauge(self, name: str, doc: str, *labels: str) -> Gauge:
        return Gauge(f"kubedrift_{name}", doc, labels, registry=self.registry)

    def _counter(self, name: str, doc: str, *labels: str) -> Counter:
        # prometheus_client appends `_total` to a counter's samples itself.
        return Counter(f"kubedrift_{name}", doc, labels, registry=self.registry)


class _WithoutCreated(Collector):
    """A view of a registry without the `_created` samples."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        for metric in self._registry.collect():  # fresh Metric objects on every collect
            metric.samples = [s for s in metric.samples if not s.name.endswith("_created")]
            yield metric

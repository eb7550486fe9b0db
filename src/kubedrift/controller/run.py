"""`kubedrift watch` end to end: store, alerts, metrics, HTTP, leader election, shutdown.

    await run_controller(ControllerOptions(watch=WatchOptions(...), store="timeline.db"))

runs until cancelled (the CLI cancels it on SIGTERM or SIGINT). What it wires together:

- the timeline store (`SqlStore`: a SQLite file, or PostgreSQL by URL), opened and migrated
  before anything else, so a bad URL fails fast with one line;
- the `Recorder`, whose listeners move the metrics and hand every delta to the
  `AlertDispatcher` (open findings from an earlier run are restored into the dispatcher's
  ledger first, so a restart does not re-announce them);
- self-heal (`controller.heal`, with `--heal`): the trackers show it every diff, it
  writes (or in a dry run only records) reverts, paced, and never makes `/readyz` fail;
- drift prediction (`controller.predict`, with `--predict`): a forecast from the store every
  hour or so, its gauges on `/metrics`, and the fleet's "likely to drift" notices;
- the HTTP surface (`/metrics`, `/healthz`, `/readyz`, `POST /hooks/git`);
- leadership: with `leader_elect`, the watcher runs only while this replica holds the
  Lease, so two replicas never alert twice; it stands by otherwise (ready, not leading),
  and a lost Lease stops the watcher and makes it a candidate again;
- a heartbeat that keeps `/healthz` fresh and copies the watcher's and the alert sinks'
  counters to metrics (`kubedrift_events_processed_total`, `kubedrift_alerts_total`), and
  the workload kinds skipped to `/readyz` notes, a metric and a log line;
- trouble, said out loud (`controller.trouble`): a store write that fails (retried by the
  watcher, nothing lost), a cluster the probe cannot reach (`GET /version` every
  `PROBE_INTERVAL`), a background task restarted after an error — each logged (rate-limited),
  shown by `kubedrift_degraded{reason}` and, once it lasts longer than `unready_after`, by
  `/readyz` answering 503 with the reason. Each clears itself when the trouble ends.

Shutdown, in order: the watcher stops (the Lease is released), the alerts waiting are sent
(for up to `alert_flush_timeout`), the last store write finishes, the store is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from kubedrift.alerts import AlertDispatcher, AlertPolicy, Sink
from kubedrift.cluster.connection import Connection
from kubedrift.cluster.lease import LeaderElector, LeadershipLost
from kubedrift.controller.desired import DesiredState
from kubedrift.controller.fleet import Forecast
from kubedrift.controller.heal import ActionLog, Healer, HealOptions, HealSinks
from kubedrift.controller.health import HealthState
from kubedrift.controller.http import ServerReady, build_app, build_hook_app, serve
from kubedrift.controller.metrics import ControllerMetrics
from kubedrift.controller.predict import PredictOptions, RiskForecaster
from kubedrift.controller.predict_metrics import PredictionMetrics
from kubedrift.controller.recorder import Recorded, Recorder
from kubedrift.controller.trouble import Trouble, supervised
from kubedrift.controller.watcher import Watcher, WatchOptions
from kubedrift.engine.clock import Clock, utc_now
from kubedrift.model import ClusterError, Finding
from kubedrift.model.backoff import Backoff
from kubedrift.model.suppression import active_suppression
from kubedrift.predict.risk import RiskTable
from kubedrift.store import HistoryFilter, SqlStore, Store, StoreError

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)

HEARTBEAT = 2.0
"""Seconds between heartbeats (and metric refreshes)."""
PROBE_INTERVAL = 2.0
"""Seconds between two checks that the apiserver answers."""
PROBE_TIMEOUT = 5.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LeaderOptions:
    """Leader election on `namespace/name`, as `identity` (the pod's name in a cluster)."""

    namespace: str
    name: str = "kubedrift-controller"
    identity: str = ""
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0


@dataclass(frozen=True, slots=True)
class ControllerOptions:
    """Everything `kubedrift watch` was told; see the CLI for each option's meaning."""

    watch: WatchOptions
    store: str
    listen: tuple[str, int] | None = ("127.0.0.1", 8080)
    """Where `/metrics`, `/healthz` and `/readyz` are served; None: nowhere."""
    webhook_listen: tuple[str, int] | None = ("127.0.0.1", 8081)
    """Where `POST /hooks/git` is served (its own port); None: the hook is off."""
    sinks: tuple[Sink, ...] = ()
    alert_policy: AlertPolicy = field(default_factory=AlertPolicy)
    alert_flush_timeout: float = 10.0
    leader: LeaderOptions | None = None
    webhook_secret: str | None = None
    unready_after: float = 5.0
    """Seconds a trouble (store, cluster) may last before `/readyz` fails."""
    allow_unsigned_hooks: bool = False
    suppression_interval: float = 60.0
    """Seconds between two reads of the store's suppressions (and checks for expiry)."""
    clock: Clock = utc_now
    """Where suppression expiry and record times are read (frozen in tests)."""
    heal: HealOptions | None = None
    """Self-heal (`--heal`); None: the controller only watches."""
    predict: PredictOptions | None = None
    """Drift prediction from the store (`--predict`): gauges and notices; None: off."""
    dashboard: Callable[[Store], FastAPI] | None = None
    """The read-only dashboard and API over the store, mounted at `/` of `listen` beside
    the probes; built by the CLI (`kubedrift.api` is a sibling layer of this one)."""


class Controller:
    """One running controller; `run()` until cancelled."""

    def __init__(self, options: ControllerOptions, store: Store) -> None:
        if options.predict is not None:  # forecasts feed the fleet's "likely to drift" notices
            options = _with_notices(options, self._forecast)
        self.options = options
        self.store = store
        self.metrics = ControllerMetrics()
        self.health = HealthState(unready_after=options.unready_after)
        self.alerts = AlertDispatcher(options.sinks, options.alert_policy)
        self.store_trouble = _StoreTrouble(
            self.metrics, "store", "cannot write the timeline store", self._on_trouble
        )
        self.cluster_trouble = Trouble("cluster", "cannot reach the apiserver", self._on_trouble)
        self.task_trouble = Trouble("task", "a background task failed", self._on_trouble)
        self.recorder = Recorder(
            store,
            options.watch.cluster,
            [self._on_recorded],
            watch=self.store_trouble,
            clock=options.clock,
        )
        self.healer = self._healer(options, store)
        self.forecaster = (
            RiskForecaster(
                store,
                options.watch.cluster,
                options.predict,
                PredictionMetrics(self.metrics.registry),
                self.health,
            )
            if options.predict is not None
            else None
        )
        if self.forecaster is not None:
            self.forecaster.listeners.append(self._forecast_made)
        self.watcher: Watcher | None = None
        self._notes: tuple[str, ...] = ()
        self._starting: set[str] = set()
        self.bound = asyncio.Event()
        """Set once the observability server listens (`port` then holds the bound port)."""
        self.port: int | None = None
        self.hook_bound = asyncio.Event()
        """Set once the Git hook server listens (`hook_port` then holds the bound port)."""
        self.hook_port: int | None = None

    def _healer(self, options: ControllerOptions, store: Store) -> Healer | None:
        """Self-heal with `--heal`; actions are recorded on the store's thread, where the
        store has an actions table (the SQL stores; the in-memory one has none)."""
        if options.heal is None:
            return None
        actions = store if isinstance(store, ActionLog) else None
        sinks = HealSinks(
            record=(lambda rows: self.recorder.read(lambda: actions.record_actions(rows)))
            if actions is not None
            else None,
            alert=self.alerts.announce,
            count=self.metrics.heal_action,
        )
        watch = options.watch
        heal = options.heal
        if heal.skip is None:  # never heal a suppressed finding (Git's or the store's)
            heal = dataclasses.replace(heal, skip=self._suppressed)
        return Healer(heal, cluster=watch.cluster, target=watch.target, sinks=sinks)

    def _forecast(self) -> RiskTable | None:
        """The latest drift forecast (None: none made yet)."""
        return self.forecaster.table if self.forecaster is not None else None

    def _forecast_made(self, table: RiskTable) -> None:
        """A new forecast: the fleet's notices are made again with the new risks."""
        watcher = self.watcher
        if watcher is not None and watcher.fleet is not None:
            watcher.fleet.poke()

    def _suppressed(self, finding: Finding) -> str | None:
        """Why `finding` must not be healed: the suppression covering it now, if any."""
        found = active_suppression(finding, self.recorder.suppressions(), self.options.clock())
        if found is None:
            return None
        return f"suppressed until {found.until.isoformat()}: {found.reason}"

    async def run(self) -> None:
        """Serve, lead (or stand by), watch; clean up in order when cancelled."""
        await self.alerts.start()
        try:
            async with asyncio.TaskGroup() as group:
                if self.options.listen is not None:
                    group.create_task(self._serve_observability(), name="http")
                if (hooks := self._hook_app()) is not None:
                    group.create_task(self._serve_hooks(hooks), name="git hook http")
                group.create_task(self._heartbeat(), name="heartbeat")
                group.create_task(
                    supervised("cluster probe", self._probe_cluster, self.task_trouble),
                    name="cluster probe",
                )
                group.create_task(self._lead_or_watch(), name="watch")
                if self.forecaster is not None:  # its own trouble: a note, never unready
                    forecasts = self.forecaster
                    group.create_task(
                        supervised("drift prediction", forecasts.run, forecasts.trouble),
                        name="drift prediction",
                    )
                if self.healer is not None:
                    # Its own trouble: a heal failure is logged and counted, never unready.
                    heal = supervised("self-heal", self.healer.run, self.healer.trouble)
                    group.create_task(heal, name="self-heal")
        finally:
            await self.alerts.aclose(self.options.alert_flush_timeout)
            self.recorder.close()

    async def _lead_or_watch(self) -> None:
        leader = self.options.leader
        if leader is None:
            self._set_leader(True)
            await self._watch()
            return
        # A follower is ready (it serves and stands by), but only once its first election
        # attempt had its time: a replica that is about to lead must not look ready first.
        asyncio.get_running_loop().call_later(leader.retry_period, self._ready_as_follower)
        async with Connection(self.options.watch.target) as conn:
            elector = LeaderElector(
                conn,
                namespace=leader.namespace,
                name=leader.name,
                identity=leader.identity,
                lease_duration=leader.lease_duration,
                renew_deadline=leader.renew_deadline,
                retry_period=leader.retry_period,
                on_change=self._set_leader,
            )
            while True:
                try:
                    await elector.lead(self._watch)
                    return
                except LeadershipLost as err:
                    log.warning("leadership lost, standing by: %s", err)
                    self.health.set_ready(True)

    async def _watch(self) -> None:
        """Watch as the leader. What the store holds is read now, not at start: a standby
        taking over must know what the old leader announced, so it neither repeats those
        alerts nor drops their resolutions."""
        self.health.set_ready(False)
        self._starting = {"initial", "fleet"}
        await self._until_read(self.recorder.start)
        cluster = self.options.watch.cluster
        stored = await self._until_read(
            lambda: self.recorder.read(lambda: self.store.open_findings(HistoryFilter(cluster)))
        )
        self.alerts.restore(cluster, stored)
        await self._until_read(self.recorder.refresh_suppressions)
        self.metrics.set_open_findings(self.recorder.counts())
        self.watcher = Watcher(
            self.options.watch,
            self.recorder,
            on_desired=self._on_desired,
            on_synced=lambda: self.health.set_ready(True),
            secret_hash_key=await self._until_read(
                lambda: self.recorder.read(self.store.secret_hash_key)
            ),
            task_trouble=self.task_trouble,
            on_desired_stale=self.metrics.set_desired_stale,
            heal=self.healer.observe if self.healer is not None else None,
        )
        expiry = asyncio.create_task(
            supervised("suppressions", self._refresh_suppressions, self.task_trouble),
            name="suppressions",
        )
        try:
            await self.watcher.run()
        finally:
            if self.healer is not None:  # not leading any more: the next leader heals
                self.healer.forget_pending()
            expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await expiry

    async def _refresh_suppressions(self) -> None:
        """Every `suppression_interval`: the store's suppressions read again, and the open
        findings whose suppression started, was deleted or expired re-recorded (alerting
        "suppression expired"). A store outage is the recorder's to report; this waits."""
        while True:
            await asyncio.sleep(self.options.suppression_interval)
            with contextlib.suppress(StoreError):
                await self.recorder.refresh_suppressions()

    async def _until_read(self, read: Callable[[], Awaitable[T]]) -> T:
        """A read of the store at takeover, retried while the store is away (the recorder
        reports each failure)."""
        backoff = Backoff(0.5, 10.0)
        while True:
            try:
                return await read()
            except StoreError:
                await asyncio.sleep(backoff.next_delay())

    async def _probe_cluster(self) -> None:
        """Ask the apiserver for `/version` every `PROBE_INTERVAL`: is the cluster in sight?"""
        async with Connection(self.options.watch.target) as conn:
            while True:
                try:
                    await asyncio.wait_for(conn.get_json("/version"), PROBE_TIMEOUT)
                except ClusterError as err:
                    self.cluster_trouble.failed(str(err))
                except TimeoutError:
                    self.cluster_trouble.failed(f"no answer to GET /version in {PROBE_TIMEOUT:g}s")
                else:
                    self.cluster_trouble.recovered()
                await asyncio.sleep(PROBE_INTERVAL)

    def _on_trouble(self, name: str, reason: str | None, since: float) -> None:
        self.health.set_trouble(name, reason, since)
        self.metrics.set_degraded(name, reason is not None)

    def _ready_as_follower(self) -> None:
        if not self.health.leader:
            self.health.set_ready(True)

    def _set_leader(self, leading: bool) -> None:
        self.health.set_leader(leading)
        self.metrics.set_leader(leading)
        log.info("this replica %s", "leads" if leading else "does not lead")

    def _on_desired(self, state: DesiredState) -> None:
        if self.healer is not None:
            self.healer.use_config(state.heal)
        self.metrics.set_revision(state.revision or state.version, ",".join(state.sources))
        self.health.set_syncing(t.resource.plural for t in state.kinds.values())

    def _on_recorded(self, recorded: Recorded) -> None:
        # The first object sync and the first fleet pass after taking over are the start:
        # their new findings go out as one digest per sink, not as an alert storm.
        summarize = recorded.source in self._starting
        self._starting.discard(recorded.source)
        self.metrics.set_open_findings(self.recorder.counts())
        self.metrics.observe_store_write(self.recorder.last_write_seconds)
        if not recorded.delta.is_empty:
            for received in recorded.received:
                latency = max(0.0, recorded.committed - received)
                self.metrics.observe_detection_latency(latency, recorded.source)
            self.alerts.submit(self.options.watch.cluster, recorded.delta, summarize=summarize)

    async def _serve_observability(self) -> None:
        assert self.options.listen is not None
        host, port = self.options.listen
        app = build_app(self.metrics, self.health)
        if self.options.dashboard is not None:  # after the probes: their routes match first
            app.mount("/", self.options.dashboard(self.store))
        await self._serve(app, host, port, self._observability_up)

    def _observability_up(self, host: str, port: int) -> None:
        self.port = port
        self.bound.set()
        log.info("serving /metrics, /healthz and /readyz on %s:%d", host, port)

    def _hooks_up(self, host: str, port: int) -> None:
        self.hook_port = port
        self.hook_bound.set()
        log.info("serving the Git webhook POST /hooks/git on %s:%d", host, port)

    def _hook_app(self) -> FastAPI | None:
        """The Git hook's app when the hook is on and has an address, else None (logged)."""
        options = self.options
        app = build_hook_app(
            self._git_hook,
            options.webhook_secret,
            allow_unsigned_hooks=options.allow_unsigned_hooks,
        )
        if app is None:
            log.info("Git webhook off: no secret (--webhook-insecure-no-secret accepts any)")
        elif options.webhook_listen is None:
            log.info("Git webhook off: --webhook-listen is empty")
            return None
        return app

    async def _serve_hooks(self, app: FastAPI) -> None:
        assert self.options.webhook_listen is not None
        host, port = self.options.webhook_listen
        await self._serve(app, host, port, self._hooks_up)

    async def _serve(
        self, app: FastAPI, host: str, port: int, on_bound: Callable[[str, int], None]
    ) -> None:
        """Serve `app` until cancelled; `on_bound(host, port)` once it listens."""
        ready = ServerReady()
        server = asyncio.create_task(serve(app, host, port, ready_event=ready))
        listening = asyncio.create_task(ready.wait())
        try:
            await asyncio.wait({server, listening}, return_when="FIRST_COMPLETED")
            if ready.is_set():
                on_bound(host, ready.port)
            await server
        finally:
            listening.cancel()
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server

    async def _git_hook(self) -> None:
        if self.watcher is not None:
            self.watcher.reload()

    async def _heartbeat(self) -> None:
        reported: Reported = weakref.WeakKeyDictionary()
        events: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
        alerts: dict[tuple[str, str], int] = {}
        while True:
            self.health.heartbeat()
            self._copy_counters(reported, events)
            self._copy_alert_counts(alerts)
            await asyncio.sleep(HEARTBEAT)

    def _copy_counters(
        self, reported: Reported, events: weakref.WeakKeyDictionary[object, int]
    ) -> None:
        watcher = self.watcher
        if watcher is None:
            return
        for tracker in watcher.trackers:
            kind = tracker.name
            self.metrics.tracked_objects(kind, len(tracker.kind.objects))
            self._restarts(tracker, kind, tracker.stats.sync_restarts(), reported)
            _count_new(tracker, tracker.stats.events, events, kind, self.metrics)
            if tracker.stats.synced_at is not None:
                self.metrics.synced(kind, tracker.stats.synced_at)
                self.health.synced(kind)
        fleet = watcher.fleet
        if fleet is not None and fleet.informer is not None:
            self.metrics.tracked_objects("nodes", len(fleet))
            self._restarts(fleet, "nodes", fleet.informer.restart_reasons, reported)
            _count_new(fleet, fleet.events, events, "nodes", self.metrics)
            if fleet.synced.is_set():
                self.metrics.synced("nodes", time.time())
            self._skipped(fleet.notes, fleet.skipped)

    def _skipped(self, notes: tuple[str, ...], skipped: tuple[tuple[str, str], ...]) -> None:
        """Workload kinds the watcher cannot look at: a log line when it changes, a metric,
        and a note on `/readyz` and `/healthz`."""
        if notes == self._notes:
            return
        self._notes = notes
        for note in notes:
            log.warning("%s", note)
        self.health.set_notes(notes)
        self.metrics.set_skipped_kinds(skipped)

    def _copy_alert_counts(self, reported: dict[tuple[str, str], int]) -> None:
        for sink in self.alerts.stats().sinks:
            for outcome in ALERT_OUTCOMES:
                now = int(getattr(sink, outcome))
                new = now - reported.get((sink.name, outcome), 0)
                if new > 0:
                    self.metrics.alert_outcome(sink.name, outcome, new)
                reported[(sink.name, outcome)] = now

    def _restarts(
        self, owner: object, kind: str, reasons: Mapping[str, int], reported: Reported
    ) -> None:
        """Count the restarts since the last heartbeat, by reason; `owner` (a tracker) keys
        what was reported, so a new tracker after a reload or a change of leader counts
        from zero again."""
        seen = reported.setdefault(owner, {})
        for reason, count in reasons.items():
            for _ in range(count - seen.get(reason, 0)):
                self.metrics.watch_restarted(kind, reason)
            seen[reason] = max(count, seen.get(reason, 0))


Reported = weakref.WeakKeyDictionary[object, dict[str, int]]
"""Restarts already counted in the metrics, per tracker and reason."""

ALERT_OUTCOMES = ("sent", "resent", "failed", "dropped", "filtered", "deduplicated")
"""The `outcome` label values of `kubedrift_alerts_total` (the sinks' own counters)."""


def _count_new(
    owner: object,
    count: int,
    reported: weakref.WeakKeyDictionary[object, int],
    kind: str,
    metrics: ControllerMetrics,
) -> None:
    """Add what `owner` (a tracker, alive for one generation) counted since last time."""
    new = count - reported.get(owner, 0)
    if new > 0:
        metrics.events_processed(kind, new)
    reported[owner] = count


class _StoreTrouble(Trouble):
    """The store's trouble, which also counts each failed attempt in the metrics."""

    def __init__(self, metrics: ControllerMetrics, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._metrics = metrics

    def failed(self, reason: str) -> None:
        """One more failed attempt: counted, then handled as any trouble."""
        self._metrics.store_error()
        super().failed(reason)


def _with_notices(options: ControllerOptions, risk: Forecast) -> ControllerOptions:
    fleet = dataclasses.replace(options.watch.fleet, notices=risk)
    return dataclasses.replace(options, watch=dataclasses.replace(options.watch, fleet=fleet))


async def run_controller(options: ControllerOptions) -> None:
    """Open the store, run a `Controller` until cancelled, close the store."""
    store = await asyncio.to_thread(SqlStore.open, options.store)
    try:
        await Controller(options, store).run()
    finally:
        with contextlib.suppress(Exception):
            store.close()

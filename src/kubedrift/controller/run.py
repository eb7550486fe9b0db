"""`kubedrift watch` end to end: store, alerts, metrics, HTTP, leader election, shutdown.

    await run_controller(ControllerOptions(watch=WatchOptions(...), store="timeline.db"))

runs until cancelled (the CLI cancels it on SIGTERM or SIGINT). What it wires together:

- the timeline store (`SqlStore`: a SQLite file, or PostgreSQL by URL), opened and migrated
  before anything else, so a bad URL fails fast with one line;
- the `Recorder`, whose listeners move the metrics and hand every delta to the
  `AlertDispatcher` (open findings from an earlier run are restored into the dispatcher's
  ledger first, so a restart does not re-announce them);
- the HTTP surface (`/metrics`, `/healthz`, `/readyz`, `POST /hooks/git`);
- leadership: with `leader_elect`, the watcher runs only while this replica holds the
  Lease, so two replicas never alert twice; it stands by otherwise (ready, not leading),
  and a lost Lease stops the watcher and makes it a candidate again;
- a heartbeat that keeps `/healthz` fresh and copies the watcher's counters to metrics.

Shutdown, in order: the watcher stops (the Lease is released), the alerts waiting are sent
(for up to `alert_flush_timeout`), the last store write finishes, the store is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from kubedrift.alerts import AlertDispatcher, AlertPolicy, Sink
from kubedrift.cluster.connection import Connection
from kubedrift.cluster.lease import LeaderElector, LeadershipLost
from kubedrift.controller.desired import DesiredState
from kubedrift.controller.health import HealthState
from kubedrift.controller.http import ServerReady, build_app, serve
from kubedrift.controller.metrics import ControllerMetrics
from kubedrift.controller.recorder import Recorded, Recorder
from kubedrift.controller.watcher import Watcher, WatchOptions
from kubedrift.store import HistoryFilter, SqlStore, Store

log = logging.getLogger(__name__)

HEARTBEAT = 2.0
"""Seconds between heartbeats (and metric refreshes)."""


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
    sinks: tuple[Sink, ...] = ()
    alert_policy: AlertPolicy = field(default_factory=AlertPolicy)
    alert_flush_timeout: float = 10.0
    leader: LeaderOptions | None = None
    webhook_secret: str | None = None
    allow_unsigned_hooks: bool = False


class Controller:
    """One running controller; `run()` until cancelled."""

    def __init__(self, options: ControllerOptions, store: Store) -> None:
        self.options = options
        self.store = store
        self.metrics = ControllerMetrics()
        self.health = HealthState()
        self.alerts = AlertDispatcher(options.sinks, options.alert_policy)
        self.recorder = Recorder(store, options.watch.cluster, [self._on_recorded])
        self.watcher: Watcher | None = None
        self.bound = asyncio.Event()
        """Set once the HTTP server listens (`port` then holds the bound port)."""
        self.port: int | None = None

    async def run(self) -> None:
        """Serve, lead (or stand by), watch; clean up in order when cancelled."""
        await self.alerts.start()
        try:
            async with asyncio.TaskGroup() as group:
                if self.options.listen is not None:
                    group.create_task(self._serve(*self.options.listen), name="http")
                group.create_task(self._heartbeat(), name="heartbeat")
                group.create_task(self._lead_or_watch(), name="watch")
        finally:
            await self.alerts.aclose(self.options.alert_flush_timeout)
            self.recorder.close()

    async def _lead_or_watch(self) -> None:
        leader = self.options.leader
        if leader is None:
            self._set_leader(True)
            await self._watch()
            return
        self.health.set_ready(True)  # a follower is ready: it serves and stands by
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
        await self.recorder.start()
        cluster = self.options.watch.cluster
        self.alerts.restore(
            cluster, await asyncio.to_thread(self.store.open_findings, HistoryFilter(cluster))
        )
        self.metrics.set_open_findings(self.recorder.counts())
        self.watcher = Watcher(
            self.options.watch,
            self.recorder,
            on_desired=self._on_desired,
            on_synced=lambda: self.health.set_ready(True),
        )
        await self.watcher.run()

    def _set_leader(self, leading: bool) -> None:
        self.health.set_leader(leading)
        self.metrics.set_leader(leading)
        log.info("this replica %s", "leads" if leading else "does not lead")

    def _on_desired(self, state: DesiredState) -> None:
        self.metrics.set_revision(state.revision or state.version, ",".join(state.sources))
        self.health.set_syncing(t.resource.plural for t in state.kinds.values())

    def _on_recorded(self, recorded: Recorded) -> None:
        self.metrics.set_open_findings(self.recorder.counts())
        self.metrics.observe_store_write(self.recorder.last_write_seconds)
        if not recorded.delta.is_empty:
            for received in recorded.received:
                latency = max(0.0, recorded.committed - received)
                self.metrics.observe_detection_latency(latency, recorded.source)
            self.alerts.submit(self.options.watch.cluster, recorded.delta)

    async def _serve(self, host: str, port: int) -> None:
        app = build_app(
            self.metrics,
            self.health,
            self._git_hook,
            self.options.webhook_secret,
            allow_unsigned_hooks=self.options.allow_unsigned_hooks,
        )
        ready = ServerReady()
        server = asyncio.create_task(serve(app, host, port, ready_event=ready))
        try:
            await asyncio.wait(
                {server, asyncio.create_task(ready.wait())}, return_when="FIRST_COMPLETED"
            )
            if ready.is_set():
                self.port = ready.port
                self.bound.set()
                log.info(
                    "serving /metrics, /healthz, /readyz and /hooks/git on %s:%d", host, ready.port
                )
            await server
        finally:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server

    async def _git_hook(self) -> None:
        if self.watcher is not None:
            self.watcher.reload()

    async def _heartbeat(self) -> None:
        reported: dict[str, int] = {}
        while True:
            self.health.heartbeat()
            self._copy_counters(reported)
            await asyncio.sleep(HEARTBEAT)

    def _copy_counters(self, reported: dict[str, int]) -> None:
        watcher = self.watcher
        if watcher is None:
            return
        for tracker in watcher.trackers:
            kind = tracker.name
            self.metrics.tracked_objects(kind, len(tracker.kind.objects))
            self._restarts(kind, tracker.stats.sync_restarts(), reported)
            if tracker.stats.synced_at is not None:
                self.metrics.synced(kind, tracker.stats.synced_at)
                self.health.synced(kind)
        fleet = watcher.fleet
        if fleet is not None and fleet.informer is not None:
            self.metrics.tracked_objects("nodes", len(fleet))
            self._restarts("nodes", fleet.informer.restarts, reported)
            if fleet.synced.is_set():
                self.metrics.synced("nodes", time.time())

    def _restarts(self, kind: str, restarts: int, reported: dict[str, int]) -> None:
        for _ in range(restarts - reported.get(kind, 0)):
            self.metrics.watch_restarted(kind, "error")
        reported[kind] = max(restarts, reported.get(kind, 0))


async def run_controller(options: ControllerOptions) -> None:
    """Open the store, run a `Controller` until cancelled, close the store."""
    store = await asyncio.to_thread(SqlStore.open, options.store)
    try:
        await Controller(options, store).run()
    finally:
        with contextlib.suppress(Exception):
            store.close()

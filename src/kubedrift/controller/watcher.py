"""The continuous watcher: desired state against the live cluster, as changes happen.

One `Watcher` per cluster. It loads desired state, discovers the kinds it names, and runs a
*generation*: an `ObjectTracker` per desired kind and, for the whole run, one
`FleetTracker` for nodes and AI workloads. Object changes flow through one queue to one
consumer, so writes to the timeline keep the order the apiserver gave:

- until every tracker has read its initial list, the findings are collected and then
  recorded as one scan covering every object finding, which also resolves what an earlier
  run or revision left open;
- after that, each burst of changes (whatever is queued, up to `BATCH`) is one write
  scoped to the objects it is about.

Desired state is re-read every `desired_interval` and whenever `reload()` is called (the
Git webhook); a new `version` (commit, or digest of the content) starts a new generation,
which re-lists and re-diffs everything against the new revision. A bad revision (an
`InputError`) keeps the running generation and is logged: a typo pushed to Git must not
blind the watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kubedrift.cluster.backoff import Backoff
from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.discovery import ApiResource, Discovery
from kubedrift.cluster.informer import InformerOptions
from kubedrift.cluster.reader import may_list
from kubedrift.controller import desired as desired_state
from kubedrift.controller.autoscalers import AutoscalerWatch
from kubedrift.controller.desired import DesiredKind, DesiredState, GroupKind, PairingKey
from kubedrift.controller.fleet import (
    DEFAULT_FLEET_OPTIONS,
    FleetOptions,
    FleetPass,
    FleetTracker,
)
from kubedrift.controller.loader import DesiredLoader
from kubedrift.controller.objects import ObjectEvent, ObjectTracker, informer_scopes
from kubedrift.controller.recorder import Recorder
from kubedrift.diff.trusted import autoscaled_targets
from kubedrift.engine.access import not_readable_finding
from kubedrift.engine.live import SCALABLE_KINDS, list_autoscalers
from kubedrift.engine.scan import unserved_finding
from kubedrift.model import ClusterError, InputError, ObjectRef

log = logging.getLogger(__name__)

_INFORMER_OPTIONS = InformerOptions()
BATCH = 256
"""Most object events recorded in one write."""


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """What `kubedrift watch` watches and how; defaults suit a production cluster."""

    desired: tuple[str, ...] = ()
    config: Path | None = None
    target: ClusterTarget = field(default_factory=ClusterTarget)
    cluster: str = "default"
    namespace: str | None = None
    desired_interval: float = 60.0
    check_nodes: bool = True
    fleet: FleetOptions = DEFAULT_FLEET_OPTIONS
    informer: InformerOptions = _INFORMER_OPTIONS


class _Synced:
    """Marker queued after the last initial event of a generation."""


Item = ObjectEvent | _Synced
Hook = Callable[[DesiredState], None]


class Watcher:
    """Runs until cancelled; `reload()` re-reads desired state now."""

    def __init__(
        self,
        options: WatchOptions,
        recorder: Recorder,
        *,
        on_desired: Hook | None = None,
        on_synced: Callable[[], None] | None = None,
    ) -> None:
        self.options = options
        self.recorder = recorder
        self.on_desired = on_desired
        self.on_synced = on_synced
        self.state: DesiredState | None = None
        self.trackers: list[ObjectTracker] = []
        self.fleet: FleetTracker | None = None
        self.generations = 0
        self.initial_recorded = asyncio.Event()
        self._reload = asyncio.Event()
        self._last_fingerprint: str | None = None
        self._loader = DesiredLoader(in_process=True)

    def reload(self) -> None:
        """Re-read desired state as soon as possible (the Git webhook calls this)."""
        self._reload.set()

    async def run(self) -> None:
        """Load desired state (errors here are fatal: nothing to watch) and watch."""
        with DesiredLoader(in_process=not self.options.desired) as self._loader:
            await self._run()

    async def _run(self) -> None:
        self._last_fingerprint = await asyncio.to_thread(self._fingerprint)
        state = await self._loader.load(self.options.desired, self.options.config)
        async with Connection(self.options.target) as conn, asyncio.TaskGroup() as group:
            if self.options.check_nodes:
                self.fleet = FleetTracker(
                    conn,
                    self._fleet_pass,
                    profiles=state.profiles,
                    options=self.options.fleet,
                    informer_options=self.options.informer,
                )
                group.create_task(self.fleet.run(), name="fleet")
            group.create_task(self._generations(conn, state), name="generations")
            del state  # _generations owns it now, and lets it go once resolved

    def _default_namespace(self, conn: Connection) -> str:
        """Where desired objects that name no namespace live, as `kubectl apply` decides."""
        return self.options.namespace or conn.config.namespace or "default"

    async def _generations(self, conn: Connection, state: DesiredState) -> None:
        default_ns = self._default_namespace(conn)
        fatal = True  # at start an unreachable cluster is an error; later it is waited out
        while True:
            resolved, plan = await self._prepare(conn, state, default_ns, fatal=fatal)
            fatal = False
            del state  # the parsed objects: only their encodings in `resolved` stay
            self._adopt(resolved)
            generation = asyncio.create_task(self._generation(conn, resolved, plan))
            try:
                state = await self._next_state(resolved)
            finally:
                generation.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await generation
            log.info("desired state changed to %s: re-reading the cluster", state.version)

    def _adopt(self, state: DesiredState) -> None:
        self.state = state
        self.generations += 1
        if self.fleet is not None and self.fleet.profiles != state.profiles:
            self.fleet.profiles = state.profiles
            self.fleet.poke()
        if self.on_desired is not None:
            self.on_desired(state)

    async def _next_state(self, current: DesiredState) -> DesiredState:
        """Wait for a reload or the poll interval; return the first state that differs."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reload.wait(), self.options.desired_interval)
            forced = self._reload.is_set()
            self._reload.clear()
            fingerprint = await asyncio.to_thread(self._fingerprint)
            if not forced and fingerprint is not None and fingerprint == self._last_fingerprint:
                continue
            self._last_fingerprint = fingerprint
            try:
                state = await self._loader.load(self.options.desired, self.options.config)
            except InputError as err:
                log.error("desired state not reloaded, keeping %s: %s", current.version, err)
                continue
            if state.version != current.version:
                return state

    def _fingerprint(self) -> str | None:
        try:
            return desired_state.source_fingerprint(self.options.desired, self.options.config)
        except InputError as err:  # the remote unreachable: read it in full, which says why
            log.warning("cannot check desired sources cheaply: %s", err)
            return None

    async def _prepare(
        self, conn: Connection, state: DesiredState, default_ns: str, *, fatal: bool
    ) -> tuple[DesiredState, _Plan]:
        """Discovery, autoscalers and permissions for a revision, retried unless `fatal`."""
        backoff = Backoff(1.0, 30.0)
        while True:
            try:
                resolved = await self._resolve(conn, state, default_ns)
                plan = _Plan(
                    await self._autoscaled(conn, resolved), await _forbidden(conn, resolved)
                )
                return resolved, plan
            except ClusterError as err:
                if fatal:
                    raise
                log.warning("cannot read the cluster for the new revision, retrying: %s", err)
                await asyncio.sleep(backoff.next_delay())

    async def _resolve(
        self, conn: Connection, state: DesiredState, default_ns: str
    ) -> DesiredState:
        discovery = Discovery(conn)
        resources: dict[GroupKind, ApiResource | None] = {}
        for api_version, kind in sorted(desired_state.group_kinds(state)):
            resources[(api_version.rpartition("/")[0], kind)] = await discovery.resource_for(
                api_version, kind
            )
        return desired_state.resolve(state, resources, default_ns)

    async def _generation(self, conn: Connection, state: DesiredState, plan: _Plan) -> None:
        queue: asyncio.Queue[Item] = asyncio.Queue()
        self.trackers = [
            ObjectTracker(
                conn,
                kind,
                state.options,
                queue.put,
                autoscaled=plan.autoscaled,
                informer_options=self.options.informer,
            )
            for gk, kind in sorted(state.kinds.items())
            if gk not in plan.forbidden
        ]
        async with asyncio.TaskGroup() as group:
            for tracker in self.trackers:
                group.create_task(tracker.run(), name=f"objects {tracker.name}")
            if _scalable(state):
                autoscalers = AutoscalerWatch(
                    conn,
                    state.autoscaled,
                    self._retarget,
                    default_namespace=self._default_namespace(conn),
                    informer_options=self.options.informer,
                )
                group.create_task(autoscalers.run(plan.autoscaled), name="autoscalers")
            group.create_task(self._mark_synced(queue))
            group.create_task(self._consume(queue, state, plan))

    async def _autoscaled(
        self, conn: Connection, state: DesiredState
    ) -> frozenset[tuple[str, str, str]]:
        """Targets of HPAs and ScaledObjects in desired and (listed once) in the cluster."""
        if not _scalable(state):
            return state.autoscaled
        live = await list_autoscalers(conn, Discovery(conn))
        return state.autoscaled | autoscaled_targets(live, self._default_namespace(conn))

    async def _retarget(self, autoscaled: frozenset[tuple[str, str, str]]) -> None:
        for tracker in self.trackers:
            if tracker.kind.resource.kind in SCALABLE_KINDS:
                try:
                    await tracker.retarget(autoscaled)
                except ClusterError as err:  # the apiserver away: the next change corrects it
                    log.warning("re-diff after an autoscaler change failed: %s", err)

    async def _mark_synced(self, queue: asyncio.Queue[Item]) -> None:
        for tracker in self.trackers:
            await tracker.synced.wait()
        await queue.put(_Synced())

    async def _consume(self, queue: asyncio.Queue[Item], state: DesiredState, plan: _Plan) -> None:
        pending: dict[PairingKey, ObjectEvent] = {}
        while True:
            item = await queue.get()
            if isinstance(item, _Synced):
                break
            pending[item.ref.pairing_key()] = item
        await self._record_initial(list(pending.values()), state, plan)
        pending.clear()
        while True:
            batch = [await queue.get()]
            while len(batch) < BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            events = [e for e in batch if isinstance(e, ObjectEvent)]
            await self._record_events(events)

    async def _record_initial(
        self, events: list[ObjectEvent], state: DesiredState, plan: _Plan
    ) -> None:
        findings = [f for e in events for f in e.findings]
        findings += [unserved_finding(ref, state.revision) for ref in state.unserved]
        findings += [
            not_readable_finding(ref, state.kinds[gk].resource.plural, state.revision)
            for gk in sorted(plan.forbidden)
            for ref in _refs(state.kinds[gk])
        ]
        received = tuple(e.received for e in events) or (time.monotonic(),)
        await self.recorder.record_objects(findings, None, source="initial", received=received)
        _freeze_long_lived()
        self.initial_recorded.set()
        if self.on_synced is not None:
            self.on_synced()

    async def _record_events(self, events: list[ObjectEvent]) -> None:
        latest: dict[PairingKey, ObjectEvent] = {}
        for event in events:  # a burst about one object: its last state is the one to keep
            latest[event.ref.pairing_key()] = event
        kinds = sorted({e.ref.kind for e in latest.values()})
        await self.recorder.record_objects(
            [f for e in latest.values() for f in e.findings],
            [e.ref for e in latest.values()],
            source="objects:" + ",".join(kinds),
            received=tuple(e.received for e in events),
        )

    async def _fleet_pass(self, fleet_pass: FleetPass) -> None:
        await self.recorder.record_fleet(fleet_pass.findings, received=fleet_pass.triggered)


def _scalable(state: DesiredState) -> bool:
    """Whether desired names a kind an HPA can own the replicas of."""
    return any(kind in SCALABLE_KINDS for _, kind in state.kinds)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a generation needs besides desired state: autoscaled targets, unreadable kinds."""

    autoscaled: frozenset[tuple[str, str, str]]
    forbidden: frozenset[GroupKind]


async def _forbidden(conn: Connection, state: DesiredState) -> frozenset[GroupKind]:
    """Desired kinds RBAC does not let us list where their trackers would watch them."""
    out = set()
    for gk, kind in state.kinds.items():
        for namespace in informer_scopes(kind):
            if not await may_list(conn, kind.resource, namespace):
                out.add(gk)
                break
    return frozenset(out)


def _refs(kind: DesiredKind) -> list[ObjectRef]:
    version = kind.resource.api_version
    return [ObjectRef(version, k, ns or None, name) for _, k, ns, name in kind.objects]


def _freeze_long_lived() -> None:
    """Move what the initial sync built (informer tables, desired objects, projections) out
    of the collector's reach: full collections would otherwise walk it all on every
    generation-2 run and stall the loop (0.6 s per 20k cached objects, DESIGN.md)."""
    gc.collect()
    gc.freeze()

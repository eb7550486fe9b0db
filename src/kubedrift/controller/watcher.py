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
`InputError`) keeps the running generation and is logged (and `on_desired_stale` says so
until a read succeeds again): a typo pushed to Git must not blind the watcher.

Nothing is lost while the store is down (issue 12.1). A failed write is retried with
backoff, and meanwhile the consumer keeps draining the queue into a table of the latest
event per desired object: what it holds is bounded by the desired objects, not by the
outage's length, and the latest state of an object is all its findings depend on. A fleet
pass that failed to record is analysed again before each retry. A generation (or the
fleet) that stops on an unexpected error is logged, marked as trouble and started again,
re-listing and re-diffing everything (`trouble.supervised`): no task fails unobserved.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import functools
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.discovery import ApiResource, Discovery
from kubedrift.cluster.informer import InformerOptions
from kubedrift.cluster.pager import page_size_from_env
from kubedrift.cluster.reader import may_list
from kubedrift.controller import desired as desired_state
from kubedrift.controller.autoscalers import AutoscalerWatch
from kubedrift.controller.backlog import RETRY_CAP, RETRY_INITIAL, drain, keep_latest, until_stored
from kubedrift.controller.desired import DesiredKind, DesiredState, GroupKind, PairingKey
from kubedrift.controller.fleet import (
    DEFAULT_FLEET_OPTIONS,
    FleetOptions,
    FleetPass,
    FleetTracker,
)
from kubedrift.controller.loader import DesiredLoader
from kubedrift.controller.objects import HealHook, ObjectEvent, ObjectTracker, informer_scopes
from kubedrift.controller.recorder import Recorder
from kubedrift.controller.trouble import Trouble, supervised
from kubedrift.diff.trusted import autoscaled_targets
from kubedrift.engine.access import not_readable_finding
from kubedrift.engine.live import SCALABLE_KINDS, list_autoscalers
from kubedrift.engine.scan import unserved_finding
from kubedrift.model import ClusterError, Finding, InputError, ObjectRef
from kubedrift.model.backoff import Backoff
from kubedrift.model.gcpause import freeze_long_lived
from kubedrift.store import StoreError

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
        secret_hash_key: bytes | None = None,
        task_trouble: Trouble | None = None,
        on_desired_stale: Callable[[bool], None] | None = None,
        heal: HealHook | None = None,
    ) -> None:
        self.options = options
        self.heal = heal
        """Self-heal's hook, given to every object tracker (None: no `--heal`)."""
        self.task_trouble = task_trouble or Trouble("task", "watcher task failed", _ignore)
        self.on_desired_stale = on_desired_stale
        self.secret_hash_key = secret_hash_key
        """The store's key for Secret value hashes (None: the per-process one)."""
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
        page_size_from_env()  # a bad KUBEDRIFT_LIST_PAGE_SIZE stops the start, not each informer
        self._last_fingerprint = await asyncio.to_thread(self._fingerprint)
        state = await self._load()
        async with Connection(self.options.target) as conn, asyncio.TaskGroup() as group:
            if self.options.check_nodes:
                self.fleet = FleetTracker(
                    conn,
                    self._fleet_pass,
                    profiles=state.profiles,
                    options=self.options.fleet,
                    informer_options=self.options.informer,
                )
                fleet = self.fleet
                group.create_task(
                    supervised("fleet tracker", fleet.run, self.task_trouble), name="fleet"
                )
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
            generation = asyncio.create_task(
                supervised(
                    f"watch generation {self.generations}",
                    functools.partial(self._generation, conn, resolved, plan),
                    self.task_trouble,
                )
            )
            try:
                state = await self._next_state(resolved, generation)
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
        if self.fleet is not None:
            self.fleet.use_controls(state.rules, state.fact_ignores)
        self.recorder.config_suppressions = state.suppressions
        if self.on_desired is not None:
            self.on_desired(state)

    async def _next_state(
        self, current: DesiredState, generation: asyncio.Task[None]
    ) -> DesiredState:
        """Wait for a reload or the poll interval; return the first state that differs.

        `generation` is supervised and never ends on its own; should it, its result (an
        error) is raised here rather than left unobserved in the task."""
        while True:
            reload = asyncio.ensure_future(self._reload.wait())
            try:
                await asyncio.wait(
                    {reload, generation},
                    timeout=self.options.desired_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                reload.cancel()
            if generation.done():
                generation.result()
                raise RuntimeError("a watch generation ended")  # pragma: no cover
            forced = self._reload.is_set()
            self._reload.clear()
            fingerprint = await asyncio.to_thread(self._fingerprint)
            if not forced and fingerprint is not None and fingerprint == self._last_fingerprint:
                continue
            self._last_fingerprint = fingerprint
            try:
                state = await self._load()
            except InputError as err:
                log.error("desired state not reloaded, keeping %s: %s", current.version, err)
                self._desired_stale(True)
                continue
            self._desired_stale(False)
            if state.version != current.version:
                return state

    def _desired_stale(self, stale: bool) -> None:
        if self.on_desired_stale is not None:
            self.on_desired_stale(stale)

    async def _load(self) -> DesiredState:
        """Desired state, hashing Secret values under the store's key: the same hash at
        every restart, so a restart is not taken for a change of every Secret."""
        state = await self._loader.load(self.options.desired, self.options.config)
        if self.secret_hash_key is None:
            return state
        options = dataclasses.replace(state.options, secret_hash_key=self.secret_hash_key)
        return dataclasses.replace(state, options=options)

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
                rules=state.rules.merged(self.options.fleet.rules),
                heal=self.heal,
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
        initial = _Initial()
        while not isinstance(item := await queue.get(), _Synced):
            initial.take(item)
        later: dict[PairingKey, ObjectEvent] = {}
        record = functools.partial(
            self._record_initial, initial.findings(), initial.received(), state, plan
        )
        del initial
        await until_stored(record, queue, later)
        del record  # the initial findings
        while True:
            while not later:
                keep_latest(later, await queue.get())
            drain(queue, later)
            batch = dict(list(later.items())[:BATCH])
            write = functools.partial(self._record_events, list(batch.values()))
            await until_stored(write, queue, later)
            for key, event in batch.items():
                if later.get(key) is event:  # a newer event of the object stays, to record
                    del later[key]

    async def _record_initial(
        self,
        found: list[Finding],
        received: tuple[float, ...],
        state: DesiredState,
        plan: _Plan,
    ) -> None:
        findings = list(found)
        findings += [unserved_finding(ref, state.revision) for ref in state.unserved]
        findings += [
            not_readable_finding(ref, state.kinds[gk].resource.plural, state.revision)
            for gk in sorted(plan.forbidden)
            for ref in _refs(state.kinds[gk])
        ]
        received = received or (time.monotonic(),)
        await self.recorder.record_objects(findings, None, source="initial", received=received)
        _freeze_long_lived()
        self.initial_recorded.set()
        if self.on_synced is not None:
            self.on_synced()

    async def _record_events(self, events: list[ObjectEvent]) -> None:
        """One write of the latest event of each object (`events` has one per object)."""
        kinds = sorted({e.ref.kind for e in events})
        await self.recorder.record_objects(
            [f for e in events for f in e.findings],
            [e.ref for e in events],
            source="objects:" + ",".join(kinds),
            received=tuple(e.received for e in events),
        )

    async def _fleet_pass(self, fleet_pass: FleetPass) -> None:
        """Record a pass; while the store fails, retry with a fresh analysis each time."""
        backoff = Backoff(RETRY_INITIAL, RETRY_CAP)
        while True:
            try:
                await self.recorder.record_fleet(fleet_pass.findings, received=fleet_pass.triggered)
                return
            except StoreError:
                await asyncio.sleep(backoff.next_delay())
                if self.fleet is not None:
                    fleet_pass = self.fleet.analyse(fleet_pass.triggered)


class _Initial:
    """The initial sync's events, as `backlog.keep_latest` would keep them, but compact.

    Per object only what its record needs: the findings of its latest event (objects
    without any, nearly all of them, keep none) and the earliest arrival. An `ObjectEvent`
    per desired object held until the sync ends (its ref's strings, decoded afresh from
    the desired object, its key and its record) was ~0.45 KB each, allocated between the
    informers' and desired state's long-lived entries; freed after the sync, it left the
    allocator's arenas pinned by those entries, ~0.8 KB of RSS per object at 50,000
    (`bench/bench_watch.py`, `sys._debugmallocstats`). Keys are made of the interned
    strings desired state's own keys hold (`desired._key`), so holding one adds a tuple.
    """

    __slots__ = ("_arrived", "_found")

    def __init__(self) -> None:
        self._arrived: dict[PairingKey, float] = {}
        self._found: dict[PairingKey, tuple[Finding, ...]] = {}

    def take(self, event: object) -> None:
        """One event: its object's latest findings, its earliest arrival kept."""
        if not isinstance(event, ObjectEvent):
            return
        group, kind, namespace, name = event.ref.pairing_key()
        key = (sys.intern(group), sys.intern(kind), sys.intern(namespace), sys.intern(name))
        earlier = self._arrived.get(key)
        if earlier is None or event.received < earlier:
            self._arrived[key] = event.received
        if event.findings:
            self._found[key] = event.findings
        else:
            self._found.pop(key, None)

    def findings(self) -> list[Finding]:
        """Every finding of the objects' latest events, in the order objects arrived."""
        found = self._found
        return [f for key in self._arrived for f in found.get(key, ())]

    def received(self) -> tuple[float, ...]:
        """Each object's earliest arrival, in the order objects arrived."""
        return tuple(self._arrived.values())


def _ignore(name: str, reason: str | None, since: float) -> None:
    """A trouble listener for a watcher run without a controller (tests, benchmarks)."""


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
    generation-2 run and stall the loop (0.6 s per 20k cached objects, docs/DESIGN.md). Then
    hand the heap the sync no longer needs back to the system."""
    freeze_long_lived()
    trim_heap()


def trim_heap() -> bool:
    """Return free heap memory to the system (glibc's `malloc_trim(0)`); False elsewhere.

    The initial sync frees far more than it keeps — list pages, decoded events, the
    desired revision as it crossed from the loader process — but glibc keeps freed chunks
    below its mmap threshold in the process (malloc(3), M_TRIM_THRESHOLD: only the top of
    the heap is released on free). Without this the watcher's RSS stays at its sync peak for
    as long as it runs; with it, RSS is what the watcher holds (`bench/bench_watch.py`).
    """
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library the interpreter runs on (its own symbols: no search, no subprocess)."""
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None

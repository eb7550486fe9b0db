"""Node and AI-workload drift, continuously: watched nodes, analysis passes, one at a time.

Nodes are list+watched with `node_fingerprint`, so heartbeats and condition timestamps do
not wake anything; each node is kept as a *projection* holding only what node analysis reads
(labels, kubedrift's annotations, taints, capacity, allocatable, nodeInfo, condition types) —
a few KB, not the 20–30 KB of a whole Node. A change marks the fleet dirty; after a short
quiet period (`debounce`, bounded by `max_delay` under constant churn) one *pass* runs node
analysis over every projection — peers are pool-wide, so one node's change can move its
pool's majority — and AI workload analysis over the workload objects, which a
`WorkloadTracker` list+watches as projections too. A workload change (pods come and go all
the time in a busy cluster) triggers a pass at most every `workload_min_interval`; a node
change at once. A pass also runs every `workload_interval` when nothing changed, which
keeps time-based rules (stale GFD labels, backup age, GPU-hours) current. Each pass is
reported whole (`FleetPass`), to be recorded with a node+workload scope so it resolves
what it no longer sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubedrift.analysis import nodes as node_analysis
from kubedrift.analysis.facts import (
    AGENT_CONFIGMAP_SELECTOR,
    attach_published_facts,
    node_facts,
    published_facts,
)
from kubedrift.analysis.options import FactIgnore
from kubedrift.analysis.profiles import NodeProfile
from kubedrift.analysis.rollout import rollout_notices
from kubedrift.analysis.rollout_workloads import workload_notices
from kubedrift.analysis.user_controls import RuleSwitches
from kubedrift.analysis.workloads import analyze_workloads
from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import Discovery
from kubedrift.cluster.informer import (
    ApiSource,
    ChangeType,
    Informer,
    InformerOptions,
    node_fingerprint,
)
from kubedrift.controller.workloads import WorkloadTracker
from kubedrift.model import AGENT_NAMESPACE, Finding, PoolSummary
from kubedrift.model.gcpause import gc_paused
from kubedrift.model.kube import Node, as_node
from kubedrift.predict.risk import RiskTable

KEPT_ANNOTATION_PREFIX = "kubedrift.io/"
Forecast = Callable[[], RiskTable | None]
"""The latest drift forecast of this cluster (None: none made yet)."""


_NODE_OPTIONS = node_analysis.NodeOptions()
_INFORMER_OPTIONS = InformerOptions()


@dataclass(frozen=True, slots=True)
class FleetOptions:
    """How often the fleet is re-analysed; the defaults suit a production cluster."""

    debounce: float = 0.2
    max_delay: float = 2.0
    workload_interval: float = 60.0
    workload_min_interval: float = 5.0
    check_workloads: bool = True
    agent_namespace: str = AGENT_NAMESPACE
    """Where the node agents publish their facts ConfigMaps (watched with the nodes)."""
    node_options: node_analysis.NodeOptions = _NODE_OPTIONS
    rules: RuleSwitches = field(default_factory=RuleSwitches)
    notices: Forecast | None = None
    """"Likely to drift" notices — nodes still to go in a pool's upgrade wave
    (`analysis.rollout`), Deployments and StatefulSets rolling out that drifted before
    (`analysis.rollout_workloads`) — with the predicted risks of this forecast; None: no
    notices (`watch --predict` turns them on)."""


@dataclass(frozen=True, slots=True)
class FleetPass:
    """One analysis of the whole fleet: every node and workload finding it found."""

    findings: tuple[Finding, ...]
    pools: tuple[PoolSummary, ...]
    nodes: int
    workloads: int
    triggered: float
    """`time.monotonic()` of the oldest node change this pass answers (or the timer)."""


Report = Callable[[FleetPass], Awaitable[None]]
DEFAULT_FLEET_OPTIONS = FleetOptions()


def project_node(node: Mapping[str, Any]) -> Node:
    """What node analysis reads of a Node, and nothing else."""
    meta = node.get("metadata") or {}
    spec = node.get("spec") or {}
    status = node.get("status") or {}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items()
        if k.startswith(KEPT_ANNOTATION_PREFIX)
    }  # fmt: skip
    conditions = [
        {"type": c.get("type"), "status": c.get("status")} for c in status.get("conditions") or ()
    ]
    return as_node(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": meta.get("name"),
                "labels": dict(meta.get("labels") or {}),
                "annotations": annotations,
                "creationTimestamp": meta.get("creationTimestamp"),
            },
            "spec": {k: spec[k] for k in ("taints", "unschedulable", "providerID") if k in spec},
            "status": {
                "capacity": status.get("capacity") or {},
                "allocatable": status.get("allocatable") or {},
                "nodeInfo": status.get("nodeInfo") or {},
                "conditions": conditions,
            },
        }
    )


class FleetTracker:
    """Watches nodes, re-lists workloads, and reports a `FleetPass` after each change."""

    def __init__(
        self,
        conn: Connection,
        report: Report,
        *,
        profiles: Sequence[NodeProfile] = (),
        options: FleetOptions = DEFAULT_FLEET_OPTIONS,
        informer_options: InformerOptions = _INFORMER_OPTIONS,
    ) -> None:
        self.report = report
        self.profiles = tuple(profiles)
        self.options = options
        self._base = options
        """The command line's options; desired state's KubedriftConfigs add to them."""
        self.synced = asyncio.Event()
        self.informer: Informer | None = None
        self.passes = 0
        self.events = 0
        """Node watch events handled."""
        self._conn = conn
        self._informer_options = informer_options
        self._nodes: dict[str, Node] = {}
        self._published: dict[str, tuple[str, str]] = {}
        """Node name → (facts text, digest) from its agent's ConfigMap."""
        self.facts_informer: Informer | None = None
        self.workloads: WorkloadTracker | None = None
        self._dirty_since: float | None = None
        self._urgent = False
        self._last_pass = 0.0
        self._wake = asyncio.Event()

    def __len__(self) -> int:
        """How many nodes are tracked."""
        return len(self._nodes)

    async def run(self) -> None:
        """Track until cancelled."""
        resource = await Discovery(self._conn).resource_for("v1", "Node")
        if resource is None:  # pragma: no cover - every cluster serves Nodes
            return
        self._nodes, self._published = {}, {}  # a restart lists them all again
        source = ApiSource(self._conn, resource, options=self._informer_options)
        self.informer = Informer(
            source, fingerprint=node_fingerprint, options=self._informer_options
        )
        self.facts_informer = await self._facts_informer()
        if self.options.check_workloads:
            self.workloads = WorkloadTracker(
                self._conn, self._workload_changed, informer_options=self._informer_options
            )
        async with asyncio.TaskGroup() as group:
            group.create_task(self._watch_nodes(self.informer))
            if self.facts_informer is not None:
                group.create_task(self._watch_facts(self.facts_informer))
            if self.workloads is not None:
                group.create_task(self.workloads.run())
            group.create_task(self._timer())
            group.create_task(self._passes())

    async def _watch_nodes(self, informer: Informer) -> None:
        try:
            async for change in informer.changes():
                name = change.key[1]
                self.events += 1
                if change.type is ChangeType.DELETED:
                    self._nodes.pop(name, None)
                else:
                    self._nodes[name] = project_node(change.obj)
                if informer.synced.is_set():
                    self._mark_dirty(urgent=True)
        finally:
            await informer.aclose()

    def use_controls(self, rules: RuleSwitches, ignores: Sequence[FactIgnore]) -> None:
        """Rule switches and node-fact ignores of desired state's KubedriftConfigs.

        The command line's (`--config`, `--disable-rule`) win on a rule both set. A change
        runs a pass soon, so a rule switched off in Git stops being reported at once.
        """
        base = self._base
        node_options = dataclasses.replace(
            base.node_options,
            fact_ignores=tuple(dict.fromkeys((*base.node_options.fact_ignores, *ignores))),
        )
        options = dataclasses.replace(
            base, rules=rules.merged(base.rules), node_options=node_options
        )
        if options != self.options:
            self.options = options
            self.poke()

    async def _facts_informer(self) -> Informer | None:
        """The agent ConfigMaps of the agent namespace (None if ConfigMaps are not served)."""
        resource = await Discovery(self._conn).resource_for("v1", "ConfigMap")
        if resource is None:  # pragma: no cover - every cluster serves ConfigMaps
            return None
        source = ApiSource(
            self._conn,
            resource,
            namespace=self.options.agent_namespace,
            label_selector=AGENT_CONFIGMAP_SELECTOR,
            options=self._informer_options,
        )
        return Informer(source, options=self._informer_options)

    async def _watch_facts(self, informer: Informer) -> None:
        """Keep each node's published facts; a change is a node change (urgent)."""
        namespace = self.options.agent_namespace
        by_configmap: dict[str, str] = {}  # ConfigMap name → node, to forget a deleted one
        try:
            async for change in informer.changes():
                name = change.key[-1]
                old = by_configmap.pop(name, None)
                if old is not None:
                    self._published.pop(old, None)
                if change.type is not ChangeType.DELETED:
                    for node, entry in published_facts([change.obj], namespace).items():
                        self._published[node] = entry
                        by_configmap[name] = node
                if informer.synced.is_set():
                    self._mark_dirty(urgent=True)
        finally:
            await informer.aclose()

    def poke(self) -> None:
        """Run a pass soon (e.g. the node profiles changed with a new desired revision)."""
        self._mark_dirty(urgent=True)

    @property
    def notes(self) -> tuple[str, ...]:
        """What the last pass could not look at (workload kinds skipped)."""
        return self.workloads.notes if self.workloads is not None else ()

    @property
    def skipped(self) -> tuple[tuple[str, str], ...]:
        """(kind, reason) of each workload kind skipped."""
        return self.workloads.skipped if self.workloads is not None else ()

    def _mark_dirty(self, *, urgent: bool) -> None:
        if self._dirty_since is None:
            self._dirty_since = time.monotonic()
        self._urgent = self._urgent or urgent
        self._wake.set()

    def _workload_changed(self) -> None:
        self._mark_dirty(urgent=False)

    async def _timer(self) -> None:
        while True:
            await asyncio.sleep(self.options.workload_interval)
            self._mark_dirty(urgent=False)

    async def _passes(self) -> None:
        assert self.informer is not None
        await self.informer.synced.wait()
        if self.facts_informer is not None:
            await self.facts_informer.synced.wait()
        if self.workloads is not None:
            await self.workloads.synced.wait()
        self._mark_dirty(urgent=True)  # the first pass, even for a cluster with no nodes
        while True:
            await self._wake.wait()
            await self._settle()
            if not self._urgent:  # only workloads changed: at most one pass per interval
                await self._not_before(self._last_pass + self.options.workload_min_interval)
            self._wake.clear()
            triggered, self._dirty_since = self._dirty_since or time.monotonic(), None
            self._urgent = False
            await self.report(self.analyse(triggered))
            self._last_pass = time.monotonic()
            self.passes += 1
            self.synced.set()

    async def _not_before(self, moment: float) -> None:
        """Sleep until `moment`, unless an urgent change arrives first."""
        while not self._urgent and (wait := moment - time.monotonic()) > 0:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _settle(self) -> None:
        """Wait for a quiet `debounce`, but no longer than `max_delay` since the first change."""
        start = self._dirty_since or time.monotonic()
        while True:
            self._wake.clear()
            remaining = self.options.max_delay - (time.monotonic() - start)
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(self.options.debounce, remaining))
                continue
            return

    def _notices(
        self, nodes: Sequence[Node], workloads: Sequence[Mapping[str, Any]]
    ) -> tuple[Finding, ...]:
        """The "likely to drift" notices of waves and rollouts in progress, when asked for."""
        source = self.options.notices
        if source is None:
            return ()
        table = source()
        node_risk = None if table is None else {
            r.entity.name: r.week for r in table.risks if r.entity.is_node
        }  # fmt: skip
        facts = [node_facts(n) for n in nodes]
        notices = rollout_notices(facts, self.options.node_options, node_risk)
        if table is not None:
            history = {
                (e.group, e.kind, e.namespace, e.name): r.week
                for r in table.risks
                if not (e := r.entity).is_node
            }
            notices += workload_notices(workloads, history)
        return tuple(self.options.rules.apply(notices))

    def analyse(self, triggered: float) -> FleetPass:
        """One pass over the projections and the last listed workloads (pure, CPU-bound)."""
        nodes = attach_published_facts(self._nodes.values(), self._published)
        now = datetime.now(UTC)
        with gc_paused():  # the pass allocates many values that live until its end
            analysis = node_analysis.analyze_nodes(
                nodes, profiles=self.profiles, options=self.options.node_options, now=now
            )
            node_findings = tuple(self.options.rules.apply(analysis.findings))
            findings: tuple[Finding, ...] = ()
            workloads = self.workloads.objects() if self.workloads is not None else ()
            if self.options.check_workloads:
                impact = analyze_workloads(
                    workloads,
                    now=now,
                    nodes=nodes,
                    node_findings=node_findings,
                    velero=self.workloads.velero if self.workloads is not None else None,
                )
                node_findings = impact.node_findings
                findings = tuple(self.options.rules.apply(impact.findings))
            notices = self._notices(nodes, workloads)  # after the impact: notices are not drift
        return FleetPass(
            findings=node_findings + findings + notices,
            pools=tuple(analysis.pools),
            nodes=len(nodes),
            workloads=len(workloads),
            triggered=triggered,
        )

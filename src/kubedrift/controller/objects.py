"""Object drift, continuously: one tracker per desired kind, re-diffing only what changed.

A tracker runs informers (list+watch) over the collection of its kind — one per namespace
when desired objects of the kind sit in a few namespaces, else one cluster-wide — and for
each change of an object desired names, diffs that one object against its desired twin
and reports the findings (`Report`). Objects desired does not name are dropped at once:
the informer keeps only their resourceVersion and a fingerprint hash, and the tracker keeps
nothing of any live object, so memory per watched object stays at the informer's few
hundred bytes. Once the initial lists are read, desired objects the cluster does not have
are reported missing; a deleted object is reported missing when its DELETED arrives.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubedrift.analysis.user_controls import RuleSwitches
from kubedrift.cluster.connection import Connection
from kubedrift.cluster.informer import ApiSource, Change, ChangeType, Informer, InformerOptions
from kubedrift.controller.desired import DesiredKind
from kubedrift.diff import DiffOptions
from kubedrift.diff.engine import diff_object
from kubedrift.model import Finding, ObjectRef, ref_of

_INFORMER_OPTIONS = InformerOptions()
MAX_NAMESPACED_INFORMERS = 4
"""Above this many namespaces for one kind, one cluster-wide informer is cheaper."""


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    """The findings of one desired object after a change, and when the change arrived."""

    ref: ObjectRef
    findings: tuple[Finding, ...]
    received: float
    """`time.monotonic()` when the watch event (or list item) was received."""
    initial: bool
    """True while the tracker reads its initial list (before `synced`)."""


Report = Callable[[ObjectEvent], Awaitable[None]]
Rediff = Callable[[dict[str, Any] | None], tuple[Finding, ...]]
"""One desired object's diff against a live state read again (no self-heal in it)."""
HealHook = Callable[
    [dict[str, Any], dict[str, Any] | None, tuple[Finding, ...], Rediff], tuple[Finding, ...]
]
"""Self-heal's look at each diff (`controller.heal.Healer.observe`): findings to add."""


@dataclass
class TrackerStats:
    """What a tracker has done, for metrics."""

    events: int = 0
    diffs: int = 0
    restarts: int = 0
    synced_at: float | None = None
    informers: list[Informer] = field(default_factory=list)

    def sync_restarts(self) -> dict[str, int]:
        """Watch restarts across its informers, by reason (`expired`: 410s, `error`)."""
        reasons: dict[str, int] = {}
        for informer in self.informers:
            for reason, count in informer.restart_reasons.items():
                reasons[reason] = reasons.get(reason, 0) + count
        self.restarts = sum(reasons.values())
        return reasons


def _target(desired: dict[str, Any]) -> tuple[str, str, str]:
    """The object as an autoscaler names its target: (namespace, kind, name)."""
    meta = desired.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(desired.get("kind")), str(meta.get("name")))


def informer_scopes(kind: DesiredKind) -> Sequence[str | None]:
    """The namespaces a tracker watches its kind in (None: cluster-wide).

    Secrets are always watched namespace by namespace, however many: the chart grants
    reading them only per namespace (a Role each, charts/kubedrift `secrets.namespaces`),
    and a cluster-wide Secret watch is exactly the privilege that must not be needed.
    """
    namespaces = kind.namespaces
    resource = kind.resource
    if not resource.namespaced:
        return [None]
    if len(namespaces) <= MAX_NAMESPACED_INFORMERS or _is_secret(resource.group, resource.plural):
        return sorted(namespaces)
    return [None]


def _is_secret(group: str, plural: str) -> bool:
    return group == "" and plural == "secrets"


class ObjectTracker:
    """Watches one desired kind and reports the findings of each changed desired object."""

    def __init__(
        self,
        conn: Connection,
        kind: DesiredKind,
        options: DiffOptions,
        report: Report,
        *,
        autoscaled: frozenset[tuple[str, str, str]] = frozenset(),
        informer_options: InformerOptions = _INFORMER_OPTIONS,
        rules: RuleSwitches | None = None,
        heal: HealHook | None = None,
    ) -> None:
        self.kind = kind
        self.heal = heal
        self.options = options
        self.rules = rules or RuleSwitches()
        """Rule switches (`rules:` of KubedriftConfig, `--disable-rule`), as `scan` applies."""
        self.report = report
        self.autoscaled = autoscaled
        self.synced = asyncio.Event()
        self.stats = TrackerStats()
        self._seen: set[tuple[str, str]] = set()
        """(namespace, name) of the desired objects the initial lists held; the namespace
        is "" for a cluster-scoped kind in both the informer's keys and the pairing keys."""
        self._conn = conn
        self._informer_options = informer_options

    @property
    def name(self) -> str:
        """The kind's plural, e.g. `deployments`."""
        return self.kind.resource.plural

    def informers(self) -> list[Informer]:
        """One informer per namespace, or one cluster-wide."""
        resource = self.kind.resource
        return [
            Informer(
                ApiSource(self._conn, resource, namespace=ns, options=self._informer_options),
                options=self._informer_options,
            )
            for ns in informer_scopes(self.kind)
        ]

    async def run(self) -> None:
        """Track until cancelled."""
        informers = self.informers()
        self.stats.informers = informers
        async with asyncio.TaskGroup() as group:
            group.create_task(self._when_synced(informers))
            for informer in informers:
                group.create_task(self._consume(informer))

    async def _consume(self, informer: Informer) -> None:
        try:
            async for change in informer.changes():
                await self._changed(change, initial=not self.synced.is_set())
        finally:
            await informer.aclose()

    async def _changed(self, change: Change, *, initial: bool) -> None:
        received = time.monotonic()
        self.stats.events += 1
        namespace, name = change.key
        resource = self.kind.resource
        key = (resource.group, resource.kind, namespace if resource.namespaced else "", name)
        desired = self.kind.get(key)
        if desired is None:
            return
        if not self.synced.is_set():
            self._seen.add(change.key)  # the informer's own key object: no tuple more held
        live = None if change.type is ChangeType.DELETED else change.obj
        await self.report(ObjectEvent(ref_of(desired), self.diff(desired, live), received, initial))

    async def retarget(self, autoscaled: frozenset[tuple[str, str, str]]) -> None:
        """Autoscalers changed: re-diff the objects of this kind whose membership changed.

        Their live state is read again (one GET each): the tracker keeps no live objects.
        """
        changed, self.autoscaled = autoscaled ^ self.autoscaled, autoscaled
        resource = self.kind.resource
        for key in self.kind.objects:
            _, kind, namespace, name = key
            desired = self.kind.get(key) if (namespace, kind, name) in changed else None
            if desired is None:  # the key tells: the others are not decoded at all
                continue
            path = resource.path(namespace or None, name)
            live = await self._conn.get_json(path, what=f"{kind}/{namespace}/{name}")
            received = time.monotonic()
            await self.report(
                ObjectEvent(ref_of(desired), self.diff(desired, live), received, False)
            )

    def diff(self, desired: dict[str, Any], live: dict[str, Any] | None) -> tuple[Finding, ...]:
        """The findings of one desired object against its live state (None: absent)."""
        out = self._diff(desired, live)
        if self.heal is None:
            return out
        # Every diff passes here (events, the initial list, re-diffs after autoscaler changes)
        # with the live object it was made from: what self-heal needs to plan a write.
        return out + self.heal(desired, live, out, functools.partial(self._diff, desired))

    def _diff(self, desired: dict[str, Any], live: dict[str, Any] | None) -> tuple[Finding, ...]:
        self.stats.diffs += 1
        scaled = _target(desired) in self.autoscaled
        findings = diff_object(desired, live, self.options, autoscaled=scaled)
        return tuple(self.rules.apply(findings) if self.rules else findings)

    async def _when_synced(self, informers: list[Informer]) -> None:
        for informer in informers:
            await informer.synced.wait()
        received = time.monotonic()
        for key in self.kind.objects:
            desired = self.kind.get(key)
            if (key[2], key[3]) not in self._seen and desired is not None:
                event = ObjectEvent(ref_of(desired), self.diff(desired, None), received, True)
                await self.report(event)
        self.stats.synced_at = time.time()
        self.synced.set()
        self._seen = set()  # only the initial list needed it

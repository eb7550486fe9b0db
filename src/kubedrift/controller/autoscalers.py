"""Autoscalers, continuously: which objects an HPA owns the replicas of, kept current.

An HPA (or KEDA, which works through one) owns its target's `spec.replicas`; the diff must
not call the replica count it sets drift. At the start of a generation the HPAs are listed
once; this watch keeps the set of targets current afterwards, so an HPA created (or
deleted) while the watcher runs does not leave a false `/spec/replicas` finding open (or
hide a real one). Each time the set changes, `on_change` gets the new set; trackers then
re-diff exactly the objects whose membership changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any

import msgspec

from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import Discovery
from kubedrift.cluster.informer import ApiSource, ChangeType, Informer, InformerOptions
from kubedrift.cluster.reader import may_list
from kubedrift.diff.trusted import autoscaled_targets

Target = tuple[str, str, str]
"""namespace, kind, name of an autoscaled object."""

_encoder = msgspec.json.Encoder(order="sorted")


def _fingerprint(obj: Mapping[str, Any]) -> Hashable:
    """Only the target matters: an HPA's status churns with every metric it reads."""
    return _encoder.encode((obj.get("spec") or {}).get("scaleTargetRef"))


class AutoscalerWatch:
    """Watches HPAs cluster-wide; calls `on_change` with the full target set on a change."""

    def __init__(
        self,
        conn: Connection,
        desired_targets: frozenset[Target],
        on_change: Callable[[frozenset[Target]], Awaitable[None]],
        *,
        default_namespace: str,
        informer_options: InformerOptions,
    ) -> None:
        self.desired_targets = desired_targets
        self.on_change = on_change
        self.default_namespace = default_namespace
        self.informer: Informer | None = None
        self._conn = conn
        self._options = informer_options
        self._live: dict[tuple[str, str], Target] = {}
        self._reported: frozenset[Target] | None = None

    def targets(self) -> frozenset[Target]:
        """What desired HPAs and the live ones target right now."""
        return self.desired_targets | frozenset(self._live.values())

    async def run(self, initial: frozenset[Target]) -> None:
        """Watch until cancelled; `initial` is the set the trackers started with."""
        self._reported = initial
        resource = await Discovery(self._conn).resource_for(
            "autoscaling/v1", "HorizontalPodAutoscaler"
        )
        if resource is None or not await may_list(self._conn, resource):
            return
        source = ApiSource(self._conn, resource, options=self._options)
        self.informer = Informer(source, fingerprint=_fingerprint, options=self._options)
        try:
            async for change in self.informer.changes():
                self._apply(change.type, change.key, change.obj)
                if self.informer.synced.is_set():
                    await self._report()
        finally:
            await self.informer.aclose()

    def _apply(self, kind: ChangeType, key: tuple[str, str], obj: Mapping[str, Any]) -> None:
        if kind is ChangeType.DELETED:
            self._live.pop(key, None)
            return
        found = autoscaled_targets([obj], self.default_namespace)
        if found:
            self._live[key] = next(iter(found))
        else:
            self._live.pop(key, None)

    async def _report(self) -> None:
        current = self.targets()
        if current != self._reported:
            self._reported = current
            await self.on_change(current)

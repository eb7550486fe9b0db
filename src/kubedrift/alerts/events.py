"""Alerts as values: what a store's `ScanDelta` means for the people watching a cluster.

A new episode *fires*, a change of its value is an *update* of that alert, its end
*resolves* it. A suppressed finding (`kubedrift.model.suppression`) does not fire or update;
a suppression that starts on a firing alert resolves it (`suppressed`: the drift is
accepted for now), and one that ends fires it again (`suppression-expired`), saying so.

An alert's `key` (cluster, fingerprint, episode) is what deduplication is
keyed on; its `fingerprint` — a short hash of the finding's identity (object, path, rule) —
is the same in every episode and every sink, so a receiver can join them up.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from kubedrift.model import Finding, Severity
from kubedrift.model.suppression import Suppression
from kubedrift.store.records import ScanDelta, StoredFinding, ValueChange

AlertKey = tuple[str, str, int]
"""(cluster, fingerprint, episode): one episode of one finding in one cluster."""


class AlertStatus(enum.Enum):
    """What a receiver is told: the drift is there, or it is gone."""

    FIRING = "firing"
    RESOLVED = "resolved"


class AlertEvent(enum.Enum):
    """Why an alert is sent."""

    NEW = "new"
    CHANGED = "changed"
    RESOLVED = "resolved"
    SUPPRESSED = "suppressed"
    SUPPRESSION_EXPIRED = "suppression-expired"
    ACTION = "action"
    """kubedrift acted on the finding (or, in a dry run, would have): self-heal. Fires once,
    is never held open or re-sent, and has no resolution (Alertmanager lets it expire)."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One event of one finding episode; `previous` holds the values before a change."""

    cluster: str
    event: AlertEvent
    stored: StoredFinding
    previous: ValueChange | None = None
    ended: Suppression | None = None
    """For `suppression-expired`: the suppression that ended."""

    @property
    def status(self) -> AlertStatus:
        """Resolved for a resolution or a suppression, firing otherwise."""
        quiet = self.event in (AlertEvent.RESOLVED, AlertEvent.SUPPRESSED)
        return AlertStatus.RESOLVED if quiet else AlertStatus.FIRING

    @property
    def finding(self) -> Finding:
        """The finding, as last recorded."""
        return self.stored.finding

    @property
    def severity(self) -> Severity:
        """The finding's severity."""
        return self.stored.finding.severity

    @property
    def fingerprint(self) -> str:
        """A short hash of the finding's identity, stable across episodes."""
        return fingerprint(self.stored.finding)

    @property
    def key(self) -> AlertKey:
        """What deduplication is keyed on."""
        return (self.cluster, self.fingerprint, self.stored.episode)


def fingerprint(finding: Finding) -> str:
    """16 hex digits of SHA-256 over the finding's identity (object, path, rule)."""
    raw = json.dumps(finding.identity(), separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def alerts_from_delta(cluster: str, delta: ScanDelta) -> list[Alert]:
    """The alerts of one recorded scan or event: new, then changed, then resolved, then
    suppressions started and ended. A suppressed finding neither fires nor updates."""
    return [
        *(Alert(cluster, AlertEvent.NEW, s) for s in delta.new if _loud(s)),
        *(
            Alert(cluster, AlertEvent.CHANGED, c.finding, c.before)
            for c in delta.changed
            if _loud(c.finding)
        ),
        *(Alert(cluster, AlertEvent.RESOLVED, s) for s in delta.resolved),
        *(Alert(cluster, AlertEvent.SUPPRESSED, s) for s in delta.suppressed),
        *(
            Alert(cluster, AlertEvent.SUPPRESSION_EXPIRED, u.finding, ended=u.ended)
            for u in delta.unsuppressed
        ),
    ]


def _loud(stored: StoredFinding) -> bool:
    return stored.finding.suppression is None


def action_alert(cluster: str, finding: Finding, at: datetime) -> Alert:
    """The alert of one action; `finding` says what was done (rule `heal`)."""
    stored = StoredFinding(0, cluster, 0, at, at, None, None, finding)
    return Alert(cluster, AlertEvent.ACTION, stored)


def firing_and_resolved(alerts: list[Alert]) -> tuple[list[Alert], list[Alert]]:
    """The alerts split by status, each part in its original order."""
    firing = [a for a in alerts if a.status is AlertStatus.FIRING]
    return firing, [a for a in alerts if a.status is AlertStatus.RESOLVED]

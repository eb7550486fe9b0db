"""The generic JSON webhook body, schema `kubedrift-alert/v1` (a stable, documented contract).

One POST per group of alerts of one cluster:

    {
      "schema": "kubedrift-alert/v1",
      "cluster": "prod-a",
      "status": "firing",              # "firing" if any alert fires, else "resolved"
      "sent_at": "2026-03-02T09:00:02Z",
      "alerts": [
        {
          "status": "firing",          # firing | resolved
          "event": "new",              # new | changed | resolved | action (self-heal)
          "fingerprint": "3f9a…",      # 16 hex digits, stable across episodes and sinks
          "id": 17,                    # the store's episode id
          "episode": 1,                # 1 for the first episode of this finding, then 2, …
          "first_seen": "…Z",
          "last_seen": "…Z",
          "resolved_at": null,         # the time of the scan that no longer saw it
          "finding": {…},              # exactly the `kubedrift/v1` finding (Finding.to_json)
          "previous": {…}              # only for "changed": desired, live, manager, revision, at
        }
      ]
    }

New fields may be added to any object; none is removed or changes meaning within v1.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from kubedrift.alerts.events import Alert, AlertEvent, AlertStatus
from kubedrift.model import JSON, MISSING
from kubedrift.model.times import rfc3339
from kubedrift.store.records import ValueChange

SCHEMA = "kubedrift-alert/v1"


def webhook_body(cluster: str, alerts: Sequence[Alert], *, sent_at: datetime) -> dict[str, Any]:
    """The body of one webhook request."""
    firing = any(a.status is AlertStatus.FIRING for a in alerts)
    return {
        "schema": SCHEMA,
        "cluster": cluster,
        "status": (AlertStatus.FIRING if firing else AlertStatus.RESOLVED).value,
        "sent_at": rfc3339(sent_at),
        "alerts": [alert_json(a) for a in alerts],
    }


def alert_json(alert: Alert) -> dict[str, Any]:
    """One alert of the body."""
    stored = alert.stored
    out: dict[str, Any] = {
        "status": alert.status.value,
        "event": alert.event.value,
        "fingerprint": alert.fingerprint,
        "id": stored.id,
        "episode": stored.episode,
        "first_seen": rfc3339(stored.first_seen),
        "last_seen": rfc3339(stored.last_seen),
        "resolved_at": rfc3339(stored.resolved_at) if stored.resolved_at else None,
        "finding": stored.finding.to_json(),
    }
    if alert.event is AlertEvent.CHANGED and alert.previous is not None:
        out["previous"] = _previous(alert.previous)
    if alert.ended is not None:
        out["suppression_ended"] = alert.ended.to_json()
    return out


def _previous(before: ValueChange) -> dict[str, Any]:
    return {
        "desired": _json(before.desired),
        "live": _json(before.live),
        "manager": before.manager,
        "revision": before.revision,
        "at": rfc3339(before.at),
    }


def _json(value: JSON) -> JSON:
    return None if value is MISSING else value

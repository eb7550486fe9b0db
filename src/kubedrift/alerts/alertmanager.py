"""The Alertmanager v2 body: `POST /api/v2/alerts` with a list of postable alerts.

    [{"labels": {...}, "annotations": {...}, "startsAt": "…Z", "endsAt": "…Z",
      "generatorURL": "…"}]

Labels identify a finding and never carry its values, so every re-send and the resolution
of one episode hit the same Alertmanager alert (it deduplicates on the label set):
`alertname="KubedriftDrift"`, `cluster`, `severity`, `category`, `group` (the API group,
when there is one), `kind`, `namespace` (absent for cluster-scoped objects: an empty label
*is* an absent one in Alertmanager), `name`, `path`, `rule`, `pool` (node findings, when
known) and `finding`, the 16-hex-digit fingerprint of the identity.

Annotations carry what a human reads: `summary`, `description` (the finding's message),
`desired`, `live`, `manager`, `revision`, `changed_at`, `first_seen`, `episode`, and GPUs
at risk when known.

`startsAt` is the episode's `first_seen`. A firing alert's `endsAt` lies `ttl` ahead (it is
re-sent before then); a resolution posts the same labels with `endsAt` = `resolved_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from kubedrift.alerts.events import Alert, AlertStatus
from kubedrift.alerts.summary import display_value, summary_line
from kubedrift.model import Finding
from kubedrift.model.times import rfc3339

ALERTNAME = "KubedriftDrift"
ANNOTATION_VALUE_LIMIT = 1024


def alertmanager_body(
    alerts: Sequence[Alert], *, now: datetime, ttl: float, generator_url: str = ""
) -> list[dict[str, Any]]:
    """The body of one `POST /api/v2/alerts`; of two events of one episode, the last counts."""
    latest = {a.key: a for a in alerts}
    return [
        postable_alert(a, now=now, ttl=ttl, generator_url=generator_url) for a in latest.values()
    ]


def postable_alert(
    alert: Alert, *, now: datetime, ttl: float, generator_url: str = ""
) -> dict[str, Any]:
    """One alert as Alertmanager's `postableAlert`."""
    stored = alert.stored
    out: dict[str, Any] = {
        "labels": labels_of(alert.cluster, stored.finding, alert.fingerprint),
        "annotations": annotations_of(alert),
        "startsAt": rfc3339(stored.first_seen),
        "endsAt": rfc3339(_ends_at(alert, now, ttl)),
    }
    if generator_url:
        out["generatorURL"] = generator_url
    return out


def labels_of(cluster: str, finding: Finding, fingerprint: str) -> dict[str, str]:
    """The identity of a finding as Alertmanager labels (empty values left out)."""
    ref = finding.object
    candidates = {
        "alertname": ALERTNAME,
        "cluster": cluster,
        "severity": finding.severity.value,
        "category": finding.category.value,
        "group": ref.group,
        "kind": ref.kind,
        "namespace": ref.namespace or "",
        "name": ref.name,
        "path": finding.path,
        "rule": finding.rule,
        "pool": dict(finding.details).get("pool", ""),
        "finding": fingerprint,
    }
    return {k: v for k, v in candidates.items() if v}


def annotations_of(alert: Alert) -> dict[str, str]:
    """What a human reads in Alertmanager's UI and in its notifications."""
    f = alert.finding
    limit = ANNOTATION_VALUE_LIMIT
    candidates = {
        "summary": summary_line(alert),
        "description": f.message,
        "desired": display_value(f.desired, limit),
        "live": display_value(f.live, limit),
        "manager": f.manager or "",
        "revision": f.revision or "",
        "changed_at": f.changed_at or "",
        "first_seen": rfc3339(alert.stored.first_seen),
        "episode": str(alert.stored.episode),
    }
    if f.impact is not None and f.impact.gpus:
        candidates["gpus"] = str(f.impact.gpus)
        candidates["gpu_hours"] = f"{f.impact.gpu_hours:.2f}"
    return {k: v for k, v in candidates.items() if v}


def _ends_at(alert: Alert, now: datetime, ttl: float) -> datetime:
    resolved_at = alert.stored.resolved_at
    if alert.status is AlertStatus.RESOLVED and resolved_at is not None:
        return resolved_at
    if alert.status is AlertStatus.RESOLVED:  # suppressed while open: it ends now
        return max(now, alert.stored.first_seen)
    # Alertmanager rejects endsAt before startsAt, e.g. when this host's clock lags the store's.
    return max(now, alert.stored.first_seen) + timedelta(seconds=ttl)

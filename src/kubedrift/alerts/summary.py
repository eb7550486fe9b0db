"""Alerts as short text: the one-line summary Slack lists and Alertmanager annotates.

Values are shown as compact JSON, cut to a length a chat line can hold; a side where the
field or object does not exist shows as `(absent)`. Secret values are already keyed
hashes in the finding (the diff layer's doing), so nothing here can reveal one.
"""

from __future__ import annotations

import json

from kubedrift.alerts.events import Alert, AlertEvent, AlertStatus
from kubedrift.model import JSON, MISSING

VALUE_LIMIT = 80


def display_value(value: JSON, limit: int = VALUE_LIMIT) -> str:
    """`value` as compact JSON (a string as itself), at most `limit` characters."""
    if value is MISSING:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_text(alert: Alert, limit: int = VALUE_LIMIT) -> str:
    """`desired → live` of the finding."""
    f = alert.finding
    return f"{display_value(f.desired, limit)} → {display_value(f.live, limit)}"


def summary_line(alert: Alert) -> str:
    """E.g. `[HIGH] Deployment/ml/trainer /spec/replicas: 4 → 2 (by kubectl-edit)`."""
    f = alert.finding
    line = f"[{f.severity.value.upper()}] {f.object} {f.path}: {change_text(alert)}"
    if f.manager:
        line += f" (by {f.manager})"
    if alert.event is AlertEvent.SUPPRESSED and f.suppression is not None:
        return f"{f.suppression.label()}: {line}"
    if alert.ended is not None:
        return f"suppression expired ({alert.ended.label()}): {line}"
    if alert.status is AlertStatus.RESOLVED:
        line = "resolved: " + line
    return line

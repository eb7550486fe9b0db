"""One summary instead of an alert storm: the findings a watcher finds when it starts.

Started on an existing cluster, the watcher's initial sync opens an episode for every drift
already there — 137 alerts in 2 s on a real fleet (issue 11.10) — and a receiver that
pages on each is switched off on day one. `Digest` is what each sink gets instead: one
message per cluster with the counts by severity and by category, the most severe
`TOP` findings, and the command that lists them all. The findings themselves are held as
announced (their resolution is still sent one by one); changes after the start alert
individually as before.

A digest is one request in each sink's format:

- webhook (`kubedrift-alert/v1`): `"event": "initial-sync"` and a `digest` object
  `{"findings", "by_severity", "by_category", "top": [summary lines], "list_command"}`,
  with `"alerts": []`;
- Slack: a header with the count, one line per top finding, the command;
- Alertmanager: one alert `alertname="KubedriftInitialSync"` with `cluster` and the
  highest `severity` present, the counts and top lines as annotations, ending `ttl` after
  it is sent (it is never re-sent: it reports a moment, not a state).
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubedrift.alerts.events import Alert
from kubedrift.alerts.summary import summary_line
from kubedrift.alerts.webhook import SCHEMA
from kubedrift.model import Category, Severity
from kubedrift.model.times import rfc3339

TOP = 5
"""How many findings a digest names."""
ALERTNAME = "KubedriftInitialSync"


@dataclass(frozen=True, slots=True)
class Digest:
    """The findings of one cluster's initial sync, as one sink admits them."""

    cluster: str
    alerts: tuple[Alert, ...]

    def merged(self, more: Sequence[Alert]) -> Digest:
        """This digest with more findings of the same start (e.g. the first fleet pass)."""
        known = {a.key for a in self.alerts}
        return Digest(self.cluster, self.alerts + tuple(a for a in more if a.key not in known))

    @property
    def by_severity(self) -> dict[str, int]:
        """Counts of every severity, most severe first (0 when none)."""
        counts = Counter(a.severity for a in self.alerts)
        ordered = sorted(Severity, key=lambda s: s.rank, reverse=True)
        return {s.value: counts.get(s, 0) for s in ordered}

    @property
    def by_category(self) -> dict[str, int]:
        """Counts by category, of the categories present."""
        counts = Counter(a.finding.category for a in self.alerts)
        return {c.value: counts[c] for c in Category if counts.get(c)}

    @property
    def worst(self) -> Severity:
        """The highest severity among the findings."""
        return max(a.severity for a in self.alerts)

    def top(self, n: int = TOP) -> list[str]:
        """The summary lines of the `n` most severe findings (oldest first among equals)."""
        ranked = sorted(self.alerts, key=lambda a: (-a.severity.rank, a.stored.first_seen))
        return [summary_line(a) for a in ranked[:n]]

    @property
    def list_command(self) -> str:
        """The command that lists every open finding of the cluster."""
        return f"kubedrift history --open --cluster {shlex.quote(self.cluster)}"

    def headline(self) -> str:
        """E.g. `kubedrift started on prod-a: 137 open drift findings (3 critical, 40 high)`."""
        n = len(self.alerts)
        worst = [f"{c} {s}" for s, c in self.by_severity.items() if c][:2]
        return (
            f"kubedrift started on {self.cluster}: {n} open drift finding{'s' if n != 1 else ''}"
            f" ({', '.join(worst)})"
        )


def digest_json(digest: Digest) -> dict[str, Any]:
    """The `digest` object of the webhook body."""
    return {
        "findings": len(digest.alerts),
        "by_severity": digest.by_severity,
        "by_category": digest.by_category,
        "top": digest.top(),
        "list_command": digest.list_command,
    }


def digest_webhook_body(digest: Digest, *, sent_at: datetime) -> dict[str, Any]:
    """The webhook body of a digest (schema `kubedrift-alert/v1`, no per-finding alerts)."""
    return {
        "schema": SCHEMA,
        "cluster": digest.cluster,
        "status": "firing",
        "event": "initial-sync",
        "sent_at": rfc3339(sent_at),
        "digest": digest_json(digest),
        "alerts": [],
    }


def digest_slack_body(digest: Digest) -> dict[str, Any]:
    """The Slack message of a digest."""
    counts = ", ".join(f"{c} {s}" for s, c in digest.by_severity.items() if c)
    lines = [f"• {line}" for line in digest.top()]
    more = len(digest.alerts) - len(lines)
    text = "\n".join(
        [
            digest.headline(),
            f"by severity: {counts}",
            *lines,
            *([f"+{more} more"] if more > 0 else []),
            f"list them: `{digest.list_command}`",
        ]
    )
    return {"text": text}


def digest_alertmanager_body(
    digest: Digest, *, now: datetime, ttl: float, generator_url: str = ""
) -> list[dict[str, Any]]:
    """The one Alertmanager alert of a digest."""
    counts = ", ".join(f"{c} {s}" for s, c in digest.by_severity.items() if c)
    alert: dict[str, Any] = {
        "labels": {
            "alertname": ALERTNAME,
            "cluster": digest.cluster,
            "severity": digest.worst.value,
        },
        "annotations": {
            "summary": digest.headline(),
            "description": f"by severity: {counts}; "
            + "; ".join(f"{c} {k}" for k, c in digest.by_category.items()),
            "top": "\n".join(digest.top()),
            "list_command": digest.list_command,
        },
        "startsAt": rfc3339(now),
        "endsAt": rfc3339(now + timedelta(seconds=ttl)),
    }
    if generator_url:
        alert["generatorURL"] = generator_url
    return [alert]

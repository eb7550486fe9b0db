"""Timestamps as every kubedrift document writes them: RFC 3339 in UTC with a `Z`.

`2026-03-02T09:00:00Z` is what Kubernetes writes in `metadata.creationTimestamp` and what
Alertmanager's API takes; one function so the scan, history, API, alert and forecast
documents cannot drift apart on a `+00:00`.
"""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(when: datetime) -> str:
    """`when` in UTC as `2026-03-02T09:00:00Z` (microseconds kept when present)."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso(when: datetime | None) -> str | None:
    """`rfc3339(when)`, with None (a time not known yet) kept as None."""
    return None if when is None else rfc3339(when)

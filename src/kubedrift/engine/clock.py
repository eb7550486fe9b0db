"""The moment a scan judges time-based rules at: now for a cluster, the snapshot's own time.

A snapshot is a picture of the past; judging its GFD label ages against today's clock would
call every label in a week-old snapshot stale. Its time is the newest node heartbeat in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from kubedrift.model.kube import Node


def snapshot_time(nodes: Iterable[Node]) -> datetime | None:
    """The newest `lastHeartbeatTime` of any node condition, or None when there is none."""
    newest: datetime | None = None
    for node in nodes:
        for cond in (node.get("status") or {}).get("conditions") or ():
            moment = _parse(cond.get("lastHeartbeatTime"))
            if moment is not None and (newest is None or moment > newest):
                newest = moment
    return newest


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


Clock = Callable[[], datetime]
"""What the watcher reads the time from: `utc_now`, or a frozen clock in tests."""


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)

"""Delivery counters per sink, and the frozen snapshot the metrics layer exports.

Counts are of alerts, not requests, except `retried` (attempts after a first one) and
`requests` (requests that succeeded):

    sent          alerts delivered (re-sends not included)
    resent        alerts re-delivered to Alertmanager to keep them firing
    failed        alerts in a request that failed for good (4xx, or out of attempts)
    dropped       alerts lost to a full queue, or still waiting when shutdown timed out
    filtered      alerts below the sink's minimum severity
    deduplicated  a firing or resolution of an episode that was already taken
    pending       alerts waiting in the queue right now
    last_error    the last failure, in one line with only the sink's scheme://host
"""

from __future__ import annotations

from dataclasses import dataclass

from kubedrift.alerts.sinks import SinkKind


@dataclass(slots=True)
class SinkCounters:
    """The running counts of one sink (mutable; only its worker writes them)."""

    sent: int = 0
    resent: int = 0
    failed: int = 0
    dropped: int = 0
    retried: int = 0
    requests: int = 0
    filtered: int = 0
    deduplicated: int = 0
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class SinkStats:
    """The counts of one sink at one moment; `name` is unique within a dispatcher."""

    name: str
    kind: SinkKind
    target: str
    sent: int
    resent: int
    failed: int
    dropped: int
    retried: int
    requests: int
    filtered: int
    deduplicated: int
    pending: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class AlertStats:
    """The counts of every sink of a dispatcher."""

    sinks: tuple[SinkStats, ...] = ()

    def sink(self, name: str) -> SinkStats:
        """The stats of the sink called `name`."""
        for s in self.sinks:
            if s.name == name:
                return s
        raise KeyError(name)

    def total(self, counter: str) -> int:
        """One counter summed over all sinks, e.g. `total("dropped")`."""
        return sum(int(getattr(s, counter)) for s in self.sinks)


def snapshot(
    name: str, kind: SinkKind, target: str, counters: SinkCounters, pending: int
) -> SinkStats:
    """Freeze `counters` under a sink's name."""
    c = counters
    return SinkStats(
        name,
        kind,
        target,
        c.sent,
        c.resent,
        c.failed,
        c.dropped,
        c.retried,
        c.requests,
        c.filtered,
        c.deduplicated,
        pending,
        c.last_error,
    )

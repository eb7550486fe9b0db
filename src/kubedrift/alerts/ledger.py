"""One sink's memory of what it was told: the severity filter and deduplication.

- A firing passes only at or above the sink's minimum severity, and only once per
  episode: a second `new` for an open or recently resolved episode is a duplicate.
- A change of value updates the open alert (what Alertmanager re-sends); it is sent as an
  alert of its own only with `notify_changes`, and never for an alert the sink does not
  hold (filtered out, or fired before this process started and not `restore`d).
- A resolution is sent only for an alert that fired here, and only once; a suppression
  starting on an open alert resolves it the same way.
- A suppression that expired fires the episode again, even though it was resolved here.
- An action (self-heal) passes the severity filter and is sent; it is an event, not a
  state, so it is neither held open nor deduplicated.
- An alert announced in a start's digest (`restore(alert, resend=False)`) is held as open,
  so its resolution is sent, but it is not re-sent to Alertmanager on its own.

Memory is bounded by the open alerts plus the `remember` most recently resolved keys.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import replace

from kubedrift.alerts.events import Alert, AlertEvent, AlertKey
from kubedrift.model import Severity


class Verdict(enum.Enum):
    """What a sink does with an alert offered to it."""

    SEND = "send"
    FILTERED = "filtered"  # below the sink's minimum severity
    DUPLICATE = "duplicate"  # this episode's firing or resolution was taken already
    QUIET = "quiet"  # nothing to tell: an update not announced, or of an unknown alert


class Ledger:
    """The open alerts of one sink, keyed by `Alert.key`."""

    def __init__(
        self, min_severity: Severity, *, notify_changes: bool = False, remember: int = 10_000
    ) -> None:
        self.min_severity = min_severity
        self.notify_changes = notify_changes
        self._open: dict[AlertKey, Alert] = {}
        self._closed: OrderedDict[AlertKey, None] = OrderedDict()
        self._digested: set[AlertKey] = set()
        self._remember = remember

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, alert: Alert) -> Verdict:
        """Decide on `alert` and remember the decision."""
        if alert.event is AlertEvent.NEW:
            return self._fire(alert)
        if alert.event is AlertEvent.CHANGED:
            return self._update(alert)
        if alert.event is AlertEvent.SUPPRESSION_EXPIRED:
            self._closed.pop(alert.key, None)  # suppressed is not over: it fires again
            return self._fire(alert)
        if alert.event is AlertEvent.ACTION:
            return Verdict.FILTERED if alert.severity < self.min_severity else Verdict.SEND
        return self._resolve(alert)

    def restore(self, alert: Alert, *, resend: bool = True) -> bool:
        """Hold `alert` as open without sending it (it fired before a restart, or is in a
        digest: then, with `resend=False`, it is left out of re-sends)."""
        if alert.severity < self.min_severity or alert.key in self._closed:
            return False
        self._open.setdefault(alert.key, alert)
        if not resend:
            self._digested.add(alert.key)
        return True

    def held(self, key: AlertKey) -> Alert | None:
        """The open alert of `key` with its latest values, or None."""
        return self._open.get(key)

    def open_alerts(self) -> list[Alert]:
        """The alerts this sink holds as firing and re-sends, oldest first."""
        return [a for k, a in self._open.items() if k not in self._digested]

    def _fire(self, alert: Alert) -> Verdict:
        if alert.severity < self.min_severity:
            return Verdict.FILTERED
        if alert.key in self._open or alert.key in self._closed:
            return Verdict.DUPLICATE
        self._open[alert.key] = alert
        return Verdict.SEND

    def _update(self, alert: Alert) -> Verdict:
        held = self._open.get(alert.key)
        if held is None:
            return Verdict.QUIET
        self._open[alert.key] = replace(held, stored=alert.stored)
        return Verdict.SEND if self.notify_changes else Verdict.QUIET

    def _resolve(self, alert: Alert) -> Verdict:
        if self._open.pop(alert.key, None) is not None:
            self._digested.discard(alert.key)
            self._remember_closed(alert.key)
            return Verdict.SEND
        if alert.key in self._closed:
            return Verdict.DUPLICATE
        return Verdict.FILTERED if alert.severity < self.min_severity else Verdict.QUIET

    def _remember_closed(self, key: AlertKey) -> None:
        self._closed[key] = None
        while len(self._closed) > self._remember:
            self._closed.popitem(last=False)

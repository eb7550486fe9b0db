"""Liveness and readiness of the controller, as the watch loop reports them.

`HealthState` is a small mutable record the watch loop updates (`heartbeat()` on every turn,
`set_syncing()`/`synced()`/`set_ready()` around the initial sync, `set_leader()` on lease
changes) and `/healthz` and `/readyz` read. It holds no watcher logic: it only answers

- *live?* — the loop's last heartbeat is younger than `stale_after` seconds. The first
  heartbeat is due `stale_after` seconds after creation, so a slow start is not a failure.
- *ready?* — `set_ready(True)` was called, no kind is still doing its initial sync, and no
  trouble (`set_trouble`: the store failing, the cluster out of sight) has lasted longer
  than `unready_after` seconds — a blip of a second does not flap the probe, an outage
  does. Liveness is not touched by trouble: restarting the pod would not bring a database
  back, and the controller recovers by itself.

`notes` (kinds skipped, say) travel with both answers as information; they change nothing.

The clock is `time.monotonic` unless one is given (tests pass a fake).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DEFAULT_STALE_AFTER = 30.0
DEFAULT_UNREADY_AFTER = 5.0


@dataclass(frozen=True, slots=True)
class Probe:
    """One probe's answer: `ok`, and when not, the `reason` in one line."""

    ok: bool
    reason: str = ""
    notes: tuple[str, ...] = ()

    def to_json(self, *, leader: bool) -> dict[str, object]:
        """The body `/healthz` and `/readyz` answer with."""
        body: dict[str, object] = {"status": "ok" if self.ok else "failing", "leader": leader}
        if self.reason:
            body["reason"] = self.reason
        if self.notes:
            body["notes"] = list(self.notes)
        return body


class HealthState:
    """What the watch loop last said about itself; read by the health endpoints."""

    def __init__(
        self,
        *,
        stale_after: float = DEFAULT_STALE_AFTER,
        unready_after: float = DEFAULT_UNREADY_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if stale_after <= 0:
            raise ValueError(f"stale_after must be positive, not {stale_after}")
        self.stale_after = stale_after
        self.unready_after = unready_after
        self._troubles: dict[str, tuple[str, float]] = {}
        self._notes: tuple[str, ...] = ()
        self._named_notes: dict[str, str] = {}
        self._clock = clock
        self._last_beat = clock()
        self._beaten = False
        self._ready = False
        self._syncing: set[str] = set()
        self._leader = False

    # -- written by the watch loop ---------------------------------------------------------

    def heartbeat(self) -> None:
        """The watch loop is turning: record that it was alive just now."""
        self._last_beat = self._clock()
        self._beaten = True

    def set_syncing(self, kinds: Iterable[str]) -> None:
        """These kinds have started their initial list and are not complete yet."""
        self._syncing = set(kinds)

    def synced(self, kind: str) -> None:
        """The initial list of `kind` is complete."""
        self._syncing.discard(kind)

    def set_ready(self, ready: bool) -> None:
        """The controller is (or, e.g. after losing desired state, is no longer) ready."""
        self._ready = ready

    def set_leader(self, leader: bool) -> None:
        """Whether this replica holds the leader lease."""
        self._leader = leader

    def set_trouble(self, name: str, reason: str | None, since: float) -> None:
        """Trouble `name` is on since `since` (clock time) for `reason`; None: it is over."""
        if reason is None:
            self._troubles.pop(name, None)
        else:
            self._troubles[name] = (reason, since)

    def set_notes(self, notes: Iterable[str]) -> None:
        """Information both probes show (e.g. workload kinds skipped); not a failure."""
        self._notes = tuple(notes)

    def set_note(self, name: str, note: str | None) -> None:
        """One more note of its own (`name`), beside those of `set_notes`; None removes it.
        For an optional task whose trouble must be seen but must not fail readiness."""
        if note is None:
            self._named_notes.pop(name, None)
        else:
            self._named_notes[name] = note

    # -- read by the endpoints -------------------------------------------------------------

    @property
    def notes(self) -> tuple[str, ...]:
        """Every note both probes show now."""
        return self._notes + tuple(v for _, v in sorted(self._named_notes.items()))

    @property
    def leader(self) -> bool:
        """True while this replica leads."""
        return self._leader

    @property
    def syncing(self) -> frozenset[str]:
        """The kinds whose initial list is not complete yet."""
        return frozenset(self._syncing)

    def liveness(self, now: float | None = None) -> Probe:
        """Live unless the last heartbeat is older than `stale_after` seconds."""
        now = self._clock() if now is None else now
        age = now - self._last_beat
        if age <= self.stale_after:
            return Probe(ok=True, notes=self.notes)
        last = f"last {age:.1f}s ago" if self._beaten else f"none in {age:.1f}s since start"
        return Probe(
            ok=False, reason=f"watch loop heartbeat stale: {last} (limit {self.stale_after:g}s)"
        )

    def readiness(self, now: float | None = None) -> Probe:
        """Ready once the initial sync is complete, the loop declared itself ready, and no
        trouble has lasted longer than `unready_after`."""
        now = self._clock() if now is None else now
        lasting = [
            f"{reason} (for {now - since:.0f}s)"
            for _, (reason, since) in sorted(self._troubles.items())
            if now - since > self.unready_after
        ]
        if lasting:
            return Probe(ok=False, reason="; ".join(lasting), notes=self.notes)
        if self._syncing:
            return Probe(
                ok=False,
                reason=f"initial sync in progress: {', '.join(sorted(self._syncing))}",
                notes=self.notes,
            )
        if not self._ready:
            return Probe(ok=False, reason="initial sync not complete", notes=self.notes)
        return Probe(ok=True, notes=self.notes)

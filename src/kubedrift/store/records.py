"""What the store hands back: stored episodes, their value history, and a scan's delta.

An *episode* is one stretch of time during which a finding was open: from the scan that
first saw it (`first_seen`) to the scan that no longer saw it (`resolved_at`). A finding
that is resolved and then seen again opens a new episode with the next `episode` number,
so each duration is measured on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kubedrift.model import JSON, MISSING, Finding
from kubedrift.model.suppression import Suppression
from kubedrift.model.times import iso


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """One episode of one finding in one cluster, with the finding's current values.

    `finding` is rebuilt from the row, every field as last recorded. `last_seen` is the
    last scan that saw it; `resolved_at` the first scan that covered it and did not see
    it (None while open). `pool` is the finding's `details["pool"]`, when it had one.
    """

    id: int
    cluster: str
    episode: int
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    pool: str | None
    finding: Finding

    @property
    def is_open(self) -> bool:
        """True until a scan covering the finding no longer sees it."""
        return self.resolved_at is None

    def duration(self, now: datetime) -> timedelta:
        """How long the episode lasted (to `now` while it is still open)."""
        end = self.resolved_at if self.resolved_at is not None else now
        return end - self.first_seen

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The episode as both JSON documents show it (`kubedrift history -o json` and the
        API's `kubedrift/v1`): where and when, `status` `open` or `resolved`, how long it has
        lasted (to `now` while open), and the finding exactly as `scan -o json` gives it. The
        API adds `risk` and says `suppressed` for an open episode a suppression covers
        (`api.documents.episode_json`); history keeps that in `finding.status`."""
        return {
            "id": self.id,
            "cluster": self.cluster,
            "episode": self.episode,
            "status": "open" if self.is_open else "resolved",
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "resolved_at": iso(self.resolved_at),
            "duration_seconds": self.duration(now).total_seconds(),
            "pool": self.pool,
            "finding": self.finding.to_json(),
        }


@dataclass(frozen=True, slots=True)
class ValueChange:
    """One row of an episode's history: the values in force from `at` on.

    The first row of an episode holds the values it opened with; each later row a change
    of `desired` or `live`. `desired`/`live` are `MISSING` when that side was absent.
    """

    at: datetime
    desired: JSON
    live: JSON
    manager: str | None
    revision: str | None
    note: str | None = None
    """An event at `at` rather than a new value: a suppression starting or ending."""

    def to_json(self) -> dict[str, Any]:
        """One row of the history as JSON: an absent side is null (as in findings), and
        `note` is present only on a row that records an event."""
        desired, live = (None if v is MISSING else v for v in (self.desired, self.live))
        out: dict[str, Any] = {
            "at": iso(self.at),
            "desired": desired,
            "live": live,
            "manager": self.manager,
            "revision": self.revision,
        }
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class Changed:
    """An open episode whose desired or live value changed in this scan."""

    finding: StoredFinding
    before: ValueChange


@dataclass(frozen=True, slots=True)
class Unsuppressed:
    """An open episode whose suppression ended (expired or deleted) in this scan."""

    finding: StoredFinding
    ended: Suppression


@dataclass(frozen=True, slots=True)
class ScanDelta:
    """What one recorded scan changed: the controller turns these into alerts.

    `suppressed`: open episodes a suppression now covers; `unsuppressed`: open episodes
    whose suppression ended, so they count and alert again.
    """

    new: tuple[StoredFinding, ...] = ()
    changed: tuple[Changed, ...] = ()
    resolved: tuple[StoredFinding, ...] = ()
    unchanged: int = 0
    suppressed: tuple[StoredFinding, ...] = ()
    unsuppressed: tuple[Unsuppressed, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when nothing opened, changed, resolved, or started or stopped being
        suppressed."""
        return not (
            self.new or self.changed or self.resolved or self.suppressed or self.unsuppressed
        )

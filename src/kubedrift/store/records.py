"""What the store hands back: stored episodes, their value history, and a scan's delta.

An *episode* is one stretch of time during which a finding was open: from the scan that
first saw it (`first_seen`) to the scan that no longer saw it (`resolved_at`). A finding
that is resolved and then seen again opens a new episode with the next `episode` number,
so each duration is measured on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kubedrift.model import JSON, Finding
from kubedrift.model.suppression import Suppression


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

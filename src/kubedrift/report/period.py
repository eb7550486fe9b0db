"""The period a report covers, its UTC days, and the period of equal length before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kubedrift.store import HistoryFilter

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Period:
    """`since` to `until` (both aware, `since <= until`), as `--since`/`--until` give them."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("a report period needs aware datetimes")
        if self.since > self.until:
            raise ValueError("a report period cannot end before it starts")

    @property
    def length(self) -> timedelta:
        """How long the period is."""
        return self.until - self.since

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts (the trend's base)."""
        return Period(self.since - self.length, self.since)

    def holds(self, when: datetime | None) -> bool:
        """Whether `when` falls inside the period (both ends included)."""
        return when is not None and self.since <= when <= self.until

    def days(self) -> tuple[datetime, ...]:
        """The start of each UTC day from the one holding `since` to the one holding `until`."""
        first = self.since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        out = [first]
        while out[-1] + DAY <= self.until:
            out.append(out[-1] + DAY)
        return tuple(out)

    def day_ends(self) -> tuple[datetime, ...]:
        """The moment each day's picture is taken: its end, or `until` for the last day."""
        return tuple(min(start + DAY, self.until) for start in self.days())

    def filter(self, base: HistoryFilter) -> HistoryFilter:
        """`base` narrowed to the episodes open at some moment of this period."""
        return HistoryFilter(
            cluster=base.cluster,
            namespace=base.namespace,
            kind=base.kind,
            pool=base.pool,
            min_severity=base.min_severity,
            since=self.since,
            until=self.until,
        )

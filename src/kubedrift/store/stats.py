"""Timeline statistics: counts, time to resolve and age of open episodes (pure).

Time to resolve is `resolved_at - first_seen`: from the first scan that saw a finding to
the first scan that covered it and no longer saw it, so it is exact to one scan interval.
Each episode counts on its own; a reopened finding does not stretch the first episode.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from kubedrift.model import Severity


class EpisodeSpan(NamedTuple):
    """The part of an episode the statistics need."""

    first_seen: datetime
    resolved_at: datetime | None
    episode: int
    severity: Severity


@dataclass(frozen=True, slots=True)
class DurationSummary:
    """Count, mean, median and longest of a set of durations (None when there are none)."""

    count: int = 0
    mean: timedelta | None = None
    median: timedelta | None = None
    longest: timedelta | None = None

    @classmethod
    def of(cls, durations: Iterable[timedelta]) -> DurationSummary:
        """Summarize durations; exact to the microsecond."""
        micros = sorted(d // timedelta(microseconds=1) for d in durations)
        if not micros:
            return cls()
        return cls(
            count=len(micros),
            mean=timedelta(microseconds=round(statistics.fmean(micros))),
            median=timedelta(microseconds=round(statistics.median(micros))),
            longest=timedelta(microseconds=micros[-1]),
        )


@dataclass(frozen=True, slots=True)
class TimelineStats:
    """What a timeline query adds up to.

    `time_to_resolve` summarizes resolved episodes (MTTR is its mean); `open_age` the
    episodes still open, measured to the `now` the stats were asked for. `reopened` counts
    episodes that are not a finding's first.
    """

    episodes: int
    reopened: int
    open_by_severity: Mapping[Severity, int]
    time_to_resolve: DurationSummary
    open_age: DurationSummary

    @property
    def open(self) -> int:
        """Episodes not resolved yet."""
        return self.open_age.count

    @property
    def resolved(self) -> int:
        """Episodes resolved."""
        return self.time_to_resolve.count


def timeline_stats(spans: Iterable[EpisodeSpan], now: datetime) -> TimelineStats:
    """Add up episodes; `now` measures the age of the open ones."""
    episodes = reopened = 0
    resolve: list[timedelta] = []
    ages: list[timedelta] = []
    open_severities: Counter[Severity] = Counter()
    for span in spans:
        episodes += 1
        reopened += span.episode > 1
        if span.resolved_at is None:
            ages.append(now - span.first_seen)
            open_severities[span.severity] += 1
        else:
            resolve.append(span.resolved_at - span.first_seen)
    return TimelineStats(
        episodes=episodes,
        reopened=reopened,
        open_by_severity={s: open_severities[s] for s in reversed(Severity)},
        time_to_resolve=DurationSummary.of(resolve),
        open_age=DurationSummary.of(ages),
    )

"""The feature table: one row per known entity at a cutoff, from its window only.

Per entity (an object or a node): how often and how recently it drifted (1, 7, 28 days,
hours since the last onset), whether it is drifting now, how much of its past drift fell
in the same hours of the week as the horizon ahead (weekly habits), who drifted it
(people, controllers, none: node and workload rules), how many fields, how long episodes
lasted; and of its *group* (a node's pool, an object's namespace) how much drifted lately
(upgrade waves, incidents). The transparent hazard estimate is a feature too.

`HistoryIndex` indexes a window once and answers any cutoff up to the window's own, every
count taken with `bisect_left(onsets, cutoff)`: only onsets strictly before the cutoff.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from kubedrift.model.rules import NodeRule
from kubedrift.predict.window import Entity, Episode, Window

HOURS_PER_WEEK = 168.0
HUMAN_MANAGERS = ("kubectl", "kubectl-edit", "kubectl-patch", "kubectl-label", "kubectl-client")
"""Field managers of hand edits: kubectl's own names (`kubectl-edit`, `kubectl-patch`,
`kubectl-client-side-apply`, …, see kubectl's `--field-manager` defaults)."""

FEATURES = (
    "onsets_1d",
    "onsets_7d",
    "onsets_28d",
    "log_hours_since_last",
    "open_now",
    "rate_per_week",
    "seasonal_rate",
    "human_share",
    "controller_share",
    "human_x_weekday_horizon",
    "distinct_paths",
    "log_mean_duration_h",
    "group_onsets_1d",
    "group_onsets_7d",
    "group_open_share",
    "is_node",
    "unprofiled_pool",
    "workload_rule_share",
    "hazard",
)
"""Feature names, in the order of `FeatureRow.values`."""


@dataclass(frozen=True, slots=True)
class FeatureRow:
    """One entity at one cutoff: its feature values and most frequent drifted paths."""

    entity: Entity
    cutoff: datetime
    values: tuple[float, ...]
    likely_paths: tuple[tuple[str, float], ...]
    """Paths/facts this entity drifted on, with their share of its past onsets, top first."""
    rules: frozenset[str]
    pool: str | None

    def value(self, name: str) -> float:
        """One feature by name."""
        return self.values[FEATURES.index(name)]


def is_human(manager: str | None) -> bool:
    """A hand edit: kubectl's managers, or any `kubectl-*` one."""
    return manager is not None and (manager in HUMAN_MANAGERS or manager.startswith("kubectl"))


def _hours(moment: datetime) -> float:
    return moment.timestamp() / 3600.0


def _hour_of_week(hours: float) -> float:
    return (hours - 96.0) % HOURS_PER_WEEK  # the Unix epoch was a Thursday: 0 = Monday 00:00


@dataclass(frozen=True, slots=True)
class _Track:
    """One entity's episodes as parallel, onset-ordered columns."""

    onsets: tuple[float, ...]
    ends: tuple[float | None, ...]
    episodes: tuple[Episode, ...]


class HistoryIndex:
    """A window indexed for features at any cutoff up to the window's own."""

    def __init__(self, window: Window) -> None:
        """Index the window (one pass over its episodes)."""
        self.window = window
        by_entity: dict[Entity, list[Episode]] = defaultdict(list)
        for e in window.episodes:
            by_entity[e.entity].append(e)
        self._tracks = {k: _track(v) for k, v in by_entity.items()}
        self._group_of = {k: _group(k, v) for k, v in by_entity.items()}
        groups: dict[str, list[Entity]] = defaultdict(list)
        for entity, group in self._group_of.items():
            groups[group].append(entity)
        self._groups = {g: _group_track(self._tracks, members) for g, members in groups.items()}
        self._sorted = sorted(self._tracks)
        # the entities in order with what a row needs, looked up once: hashing an Entity
        # (five strings) on every row of every cutoff cost a fifth of the table
        self._members = [
            (i, k, self._tracks[k], self._group_of[k]) for i, k in enumerate(self._sorted)
        ]
        self._pasts: dict[tuple[int, int], _Past] = {}
        self._bases: dict[float, list[_Base]] = {}

    def entities(self, cutoff: datetime) -> list[Entity]:
        """Entities known before `cutoff` (first onset before it), sorted."""
        hours = self._check(cutoff)
        return [k for k in self._sorted if self._tracks[k].onsets[0] < hours]

    def count(self, cutoff: datetime) -> int:
        """How many rows `table(cutoff, …)` has."""
        return len(self.entities(cutoff))

    def table(self, cutoff: datetime, horizon: timedelta) -> list[FeatureRow]:
        """The feature rows of every entity known before `cutoff`."""
        hours = self._check(cutoff)
        h = horizon.total_seconds() / 3600.0
        bases = self._bases.get(hours)
        if bases is None:  # kept: the other horizon's table at this cutoff shares them
            bases = self._bases[hours] = self._base_rows(hours)
        weekday = _weekday_share(hours, h)
        return [self._row(base, cutoff, hours, h, weekday) for base in bases]

    def _check(self, cutoff: datetime) -> float:
        if cutoff > self.window.cutoff:
            raise ValueError(f"{cutoff.isoformat()} is after the window's cutoff")
        return _hours(cutoff)

    def _base_rows(self, now: float) -> list[_Base]:
        """What the rows at a cutoff share whatever the horizon (all but three values)."""
        groups: dict[str, tuple[tuple[float, ...], float]] = {}  # once per group
        out = []
        for i, entity, track, name in self._members:
            if track.onsets[0] >= now:
                continue
            n = bisect.bisect_left(track.onsets, now)
            if name not in groups:
                group = self._groups[name]
                groups[name] = (_group_features(group, now), _group_rate(group, now))
            grp, group_rate = groups[name]
            own = _own_features(track, n, now)
            out.append(_Base(i, entity, track, n, own, grp, group_rate))
        return out

    def _row(
        self, base: _Base, cutoff: datetime, now: float, horizon: float, weekday: float
    ) -> FeatureRow:
        track, n = base.track, base.n
        past = self._past(base.member, base.entity, track, n)
        own = base.own
        exposure_weeks = max((now - track.onsets[0]) / HOURS_PER_WEEK, 1.0)
        seasonal = _seasonal(track.onsets[:n], now, horizon) / exposure_weeks
        hazard = _hazard(track.onsets[:n], now, base.group_rate, horizon)
        human, controller = past.shares
        return FeatureRow(
            base.entity,
            cutoff,
            (
                *own[:6],
                seasonal,
                human,
                controller,
                human * weekday,
                float(past.paths),
                own[6],
                *base.grp,
                *past.kinds,
                hazard,
            ),
            past.likely,
            past.rules,
            past.pool,
        )

    def _past(self, member: int, entity: Entity, track: _Track, n: int) -> _Past:
        """What an entity's first `n` episodes say whatever the cutoff: computed once per
        (entity, n) and shared by every cutoff and horizon with the same past (training
        tables take ~25 cutoffs per horizon, and most entities' pasts do not change
        between them)."""
        key = (member, n)
        found = self._pasts.get(key)
        if found is None:
            found = self._pasts[key] = _past_of(entity, track.episodes[:n])
        return found


@dataclass(frozen=True, slots=True)
class _Base:
    """One entity's values at one cutoff that every horizon shares."""

    member: int  # its place in the index's sorted entities
    entity: Entity
    track: _Track
    n: int  # its episodes before the cutoff
    own: tuple[float, ...]
    grp: tuple[float, ...]
    group_rate: float


@dataclass(frozen=True, slots=True)
class _Past:
    """The cutoff-independent part of a row: it depends only on which episodes are past."""

    shares: tuple[float, float]  # human, controller
    paths: int
    kinds: tuple[float, float, float]
    likely: tuple[tuple[str, float], ...]
    rules: frozenset[str]
    pool: str | None


def _past_of(entity: Entity, past: tuple[Episode, ...]) -> _Past:
    n = len(past)
    managers = [e.manager for e in past]
    rules = frozenset(e.rule for e in past)
    return _Past(
        (
            sum(is_human(m) for m in managers) / n,
            sum(m is not None and not is_human(m) for m in managers) / n,
        ),
        len({e.path for e in past}),
        (
            1.0 if entity.is_node else 0.0,
            1.0 if NodeRule.PEER_MISMATCH in rules else 0.0,
            sum(e.category == "workload" for e in past) / n,
        ),
        _likely_paths(past),
        rules,
        next((e.pool for e in reversed(past) if e.pool), None),
    )


def _track(episodes: list[Episode]) -> _Track:
    return _Track(
        tuple(_hours(e.first_seen) for e in episodes),
        tuple(None if e.resolved_at is None else _hours(e.resolved_at) for e in episodes),
        tuple(episodes),
    )


def _group(entity: Entity, episodes: list[Episode]) -> str:
    """A node's pool (its last known one), an object's cluster/namespace."""
    pools = [e.pool for e in episodes if e.pool]
    if entity.is_node:
        return f"pool:{entity.cluster}/{pools[0] if pools else '-'}"
    return f"ns:{entity.cluster}/{entity.namespace}"


@dataclass(frozen=True, slots=True)
class _GroupTrack:
    onsets: tuple[float, ...]
    ends: tuple[float | None, ...]
    births: tuple[float, ...]  # each member's first onset: the group's size at a cutoff


def _group_track(tracks: dict[Entity, _Track], members: list[Entity]) -> _GroupTrack:
    pairs = sorted(
        ((o, e) for m in members for o, e in zip(tracks[m].onsets, tracks[m].ends, strict=True)),
        key=lambda p: p[0],
    )
    return _GroupTrack(
        tuple(o for o, _ in pairs),
        tuple(e for _, e in pairs),
        tuple(sorted(tracks[m].onsets[0] for m in members)),
    )


def _count_since(onsets: tuple[float, ...], n: int, start: float) -> int:
    return n - bisect.bisect_left(onsets, start, 0, n)


def _own_features(track: _Track, n: int, now: float) -> tuple[float, ...]:
    """The entity's own features that do not depend on the horizon or on which episodes
    are past (those are `_Past`): `onsets_1d` … `rate_per_week`, `log_mean_duration_h`."""
    onsets, ends = track.onsets, track.ends
    exposure_weeks = max((now - onsets[0]) / HOURS_PER_WEEK, 1.0)
    open_now = False
    total = 0.0
    ended = 0
    for o, end in zip(onsets[:n], ends[:n], strict=True):
        if end is None or end >= now:
            open_now = True
        else:
            total += end - o
            ended += 1
    return (
        math.log1p(_count_since(onsets, n, now - 24)),
        math.log1p(_count_since(onsets, n, now - 24 * 7)),
        math.log1p(_count_since(onsets, n, now - 24 * 28)),
        math.log1p(now - onsets[n - 1]),
        1.0 if open_now else 0.0,
        n / exposure_weeks,
        math.log1p(total / ended) if ended else 0.0,
    )


@functools.lru_cache(maxsize=4096)
def _weekday_share(now: float, horizon: float) -> float:
    """Share of the horizon's hours that fall on weekdays (people rest at weekends)."""
    steps = max(int(horizon), 1)
    return sum(_hour_of_week(now + i) < 120.0 for i in range(steps)) / steps


def _seasonal(onsets: tuple[float, ...], now: float, horizon: float) -> float:
    """Past onsets at the hours of the week the horizon covers (none for a week or more)."""
    if horizon >= HOURS_PER_WEEK:
        return 0.0  # every hour of the week: no information beyond rate_per_week
    start = _hour_of_week(now)
    return float(sum((_hour_of_week(o) - start) % HOURS_PER_WEEK < horizon for o in onsets))


def _group_features(group: _GroupTrack, now: float) -> tuple[float, ...]:
    n = bisect.bisect_left(group.onsets, now)
    size = max(bisect.bisect_left(group.births, now), 1)
    open_count = sum(1 for end in group.ends[:n] if end is None or end >= now)
    return (
        _count_since(group.onsets, n, now - 24) / size,
        _count_since(group.onsets, n, now - 24 * 7) / size,
        min(open_count / size, 1.0),
    )


PRIOR_HOURS = 24.0 * 7
"""How much weight the group's rate gets in an entity's hazard: one week of exposure."""


def _group_rate(group: _GroupTrack, now: float) -> float:
    """Onsets per member and hour over the 28 days before `now`."""
    n = bisect.bisect_left(group.onsets, now)
    size = max(bisect.bisect_left(group.births, now), 1)
    return _count_since(group.onsets, n, now - 24 * 28) / (size * 24 * 28)


def _hazard(onsets: tuple[float, ...], now: float, group_rate: float, horizon: float) -> float:
    """P(an onset within the horizon) under a Poisson hazard, the entity's own 28-day rate
    shrunk toward its group's (empirical Bayes: a gamma prior worth `PRIOR_HOURS`)."""
    start = now - 24 * 28
    exposure = now - max(onsets[0], start) if onsets else 0.0
    own = len(onsets) - bisect.bisect_left(onsets, start)
    rate = (own + group_rate * PRIOR_HOURS) / (exposure + PRIOR_HOURS)
    return 1.0 - math.exp(-rate * horizon)


def _likely_paths(past: tuple[Episode, ...]) -> tuple[tuple[str, float], ...]:
    counts = Counter(e.path for e in past)
    total = sum(counts.values())
    return tuple((path, count / total) for path, count in counts.most_common(3))


def feature_table(window: Window, horizon: timedelta) -> list[FeatureRow]:
    """The feature table at the window's cutoff (the one function most callers want)."""
    return HistoryIndex(window).table(window.cutoff, horizon)


def labels(window: Window, cutoff: datetime, horizon: timedelta) -> frozenset[Entity]:
    """Entities with an onset in `[cutoff, cutoff + horizon)`: the backtest's truth.

    `window` must reach past `cutoff + horizon`; this is the only function that looks at
    records after a cutoff, and it returns entities, never features.
    """
    end = cutoff + horizon
    if end > window.cutoff:
        raise ValueError(f"labels up to {end.isoformat()} are beyond the window")
    return frozenset(e.entity for e in window.episodes if cutoff <= e.first_seen < end)

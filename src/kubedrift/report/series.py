"""The chart values of a report, computed from episodes or findings (pure).

Durations are summed with the store's own `DurationSummary` and `timeline_stats`, so the
report's MTTR is the number `kubedrift timeline` and `Store.stats` give for the same
episodes. Conventions:

- open drift on a day is the picture at the day's end (or at `until` for the last day): an
  episode counts when it opened by then and was not resolved by then;
- opened/resolved per day count the episodes whose `first_seen`/`resolved_at` falls in that
  UTC day of the period;
- MTTR groups take the episodes *resolved in the period*, each measured from its own first
  scan (a reopened finding does not stretch the first episode);
- GPU-hours at risk count each workload once: the largest impact any open finding names for
  it alone (a node finding names every workload on the node, which would count them twice).
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from kubedrift.model import Category, Finding
from kubedrift.report.period import DAY, Period
from kubedrift.report.values import OTHER, DaySeries, HeatMap, Ranked, RankedSeries
from kubedrift.store import DurationSummary, StoredFinding

TOP = 10
"""Bars per ranked chart before the rest is summed as "other"."""
TOP_POOLS = 20
TOP_FACTS = 12
NO_TEAM = "(no team)"
NO_NAMESPACE = "(cluster-scoped)"
POOL_DETAIL = "pool"
TEAM_DETAIL = "team"

KeyOf = Callable[[StoredFinding], str]


def open_by_category(episodes: Sequence[StoredFinding], period: Period) -> DaySeries:
    """Open episodes at the end of each day, one series per category."""
    ends = period.day_ends()
    series = []
    for category in Category:
        mine = [e for e in episodes if e.finding.category is category]
        opened = sorted(e.first_seen for e in mine)
        resolved = sorted(e.resolved_at for e in mine if e.resolved_at is not None)
        counts = tuple(
            bisect.bisect_right(opened, end) - bisect.bisect_right(resolved, end) for end in ends
        )
        series.append((category.value, counts))
    return DaySeries("Open drift by category", "open findings", period.days(), tuple(series))


def new_vs_resolved(episodes: Sequence[StoredFinding], period: Period) -> DaySeries:
    """Episodes opened and resolved in each UTC day of the period."""
    days = period.days()
    opened, resolved = [0] * len(days), [0] * len(days)
    for e in episodes:
        for counts, when in ((opened, e.first_seen), (resolved, e.resolved_at)):
            if when is not None and period.holds(when):
                counts[min((when - days[0]) // DAY, len(days) - 1)] += 1
    series = (("new", tuple(opened)), ("resolved", tuple(resolved)))
    return DaySeries("New vs resolved drift per day", "findings", days, series)


def mttr_by(
    episodes: Iterable[StoredFinding], period: Period, key: KeyOf, title: str
) -> RankedSeries:
    """Mean time to resolve (hours) of the episodes resolved in the period, per group."""
    groups: dict[str, list[timedelta]] = defaultdict(list)
    for e in episodes:
        if e.resolved_at is not None and period.holds(e.resolved_at):
            groups[key(e)].append(e.resolved_at - e.first_seen)
    return top_ranked(groups, title, "hours", _mean_hours)


def _mean_hours(spans: Sequence[timedelta]) -> float:
    mean = DurationSummary.of(spans).mean
    return 0.0 if mean is None else mean / timedelta(hours=1)


def _count(items: Sequence[object]) -> float:
    return float(len(items))


T = TypeVar("T")


def top_ranked(
    groups: Mapping[str, Sequence[T]],
    title: str,
    unit: str,
    value: Callable[[Sequence[T]], float] = _count,
    top: int = TOP,
) -> RankedSeries:
    """The `top` groups by `value` (ties by label), the rest as one "other" bar whose value
    is `value` of all their members together (a mean stays a mean, a count a sum)."""
    ranked = sorted(
        (Ranked(label, value(members), len(members)) for label, members in groups.items()),
        key=lambda r: (-r.value, r.label),
    )
    if len(ranked) <= top:
        return RankedSeries(title, unit, tuple(ranked))
    rest = [m for r in ranked[top:] for m in groups[r.label]]
    other = Ranked(f"{OTHER} ({len(ranked) - top})", value(rest), len(rest))
    return RankedSeries(title, unit, tuple(ranked[:top]), other)


def namespace_of(e: StoredFinding) -> str:
    """The group key of the MTTR-by-namespace chart."""
    return e.finding.object.namespace or NO_NAMESPACE


def manager_of(e: StoredFinding) -> str:
    """The field manager that last wrote the drifted field ("(unknown)" when not known)."""
    return e.finding.manager or "(unknown)"


def team_key(teams: Mapping[str, str]) -> KeyOf:
    """A finding's team: its own `team` detail, else its namespace's team in `teams`."""

    def key(e: StoredFinding) -> str:
        own = dict(e.finding.details).get(TEAM_DETAIL)
        return own or teams.get(e.finding.object.namespace or "", NO_TEAM)

    return key


def object_label(e: StoredFinding, with_cluster: bool) -> str:
    """`Deployment/ml/trainer`, prefixed by the cluster when a report spans several."""
    return f"{e.cluster}: {e.finding.object}" if with_cluster else str(e.finding.object)


def top_objects(episodes: Sequence[StoredFinding], with_cluster: bool) -> RankedSeries:
    """The objects with the most drift episodes."""
    groups: dict[str, list[StoredFinding]] = defaultdict(list)
    for e in episodes:
        groups[object_label(e, with_cluster)].append(e)
    return top_ranked(groups, "Top drifting objects", "drift episodes")


def top_managers(episodes: Sequence[StoredFinding]) -> RankedSeries:
    """Who keeps hand-editing: drift episodes per field manager that made the live value."""
    groups: dict[str, list[StoredFinding]] = defaultdict(list)
    for e in episodes:
        if e.finding.manager:
            groups[e.finding.manager].append(e)
    return top_ranked(groups, "Top drift-causing managers", "drift episodes")


def pool_heatmap(findings: Iterable[Finding], nodes: Mapping[str, int] | None = None) -> HeatMap:
    """Pools × facts: how many of a pool's nodes drift on each fact (open node findings)."""
    drifted: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for f in findings:
        pool = dict(f.details).get(POOL_DETAIL)
        if f.category is Category.NODE and f.object.kind == "Node" and pool:
            drifted[pool][f.path].add(f.object.name)
    per_fact: Counter[str] = Counter()
    for by_fact in drifted.values():
        per_fact.update({fact: len(names) for fact, names in by_fact.items()})
    pools = sorted(drifted, key=lambda p: (-sum(map(len, drifted[p].values())), p))
    columns = [fact for fact, _ in sorted(per_fact.items(), key=lambda kv: (-kv[1], kv[0]))]
    return _heatmap(drifted, pools, columns, nodes or {})


def _heatmap(
    drifted: Mapping[str, Mapping[str, set[str]]],
    pools: list[str],
    facts: list[str],
    nodes: Mapping[str, int],
) -> HeatMap:
    shown_pools, extra_pools = pools[:TOP_POOLS], pools[TOP_POOLS:]
    shown_facts, extra_facts = facts[:TOP_FACTS], facts[TOP_FACTS:]
    rows = [(p, [p]) for p in shown_pools]
    rows += [(f"{OTHER} ({len(extra_pools)} pools)", extra_pools)] if extra_pools else []
    columns = [(f, [f]) for f in shown_facts]
    columns += [(f"{OTHER} ({len(extra_facts)} facts)", extra_facts)] if extra_facts else []
    cells = tuple(
        tuple(
            sum(len(set().union(*(drifted[p].get(f, set()) for f in fs))) for p in ps)
            for _, fs in columns
        )
        for _, ps in rows
    )
    sizes = tuple(
        sum(nodes[p] for p in ps) if all(p in nodes for p in ps) else None for _, ps in rows
    )
    return HeatMap(
        "Node-pool consistency: drifted nodes per pool and fact",
        tuple(label for label, _ in rows),
        tuple(label for label, _ in columns),
        cells,
        sizes,
    )


def workload_risk(findings: Iterable[Finding]) -> dict[str, tuple[int, float]]:
    """Per workload, the GPUs and GPU-hours of the largest impact naming it alone."""
    out: dict[str, tuple[int, float]] = {}
    for f in findings:
        impact = f.impact
        if impact is None or len(impact.workloads) != 1:
            continue
        name = impact.workloads[0]
        gpus, hours = out.get(name, (0, 0.0))
        out[name] = (max(gpus, impact.gpus), max(hours, impact.gpu_hours))
    return out


def gpu_hours_by_workload(risk: Mapping[str, tuple[int, float]]) -> RankedSeries:
    """The workloads with the most GPU-hours at risk."""
    groups = {name: [hours] for name, (_, hours) in risk.items() if hours > 0}
    return top_ranked(groups, "GPU-hours at risk by workload", "GPU-hours", _sum)


def _sum(values: Sequence[float]) -> float:
    return float(sum(values))


def latest(episodes: Iterable[StoredFinding], at: datetime) -> list[StoredFinding]:
    """The episodes open at `at` (opened by then, not resolved by then)."""
    return [
        e for e in episodes if e.first_seen <= at and (e.resolved_at is None or e.resolved_at > at)
    ]

"""The JSON documents of the API (schema `kubedrift/v1`): episodes, pages, overview, fleet.

Every body carries `"schema": "kubedrift/v1"`, the version of the scan output's contract,
and findings keep exactly the shape `kubedrift scan -o json` gives them
(`Finding.to_json`). Values are what the store holds: a Secret's values are keyed hashes
there already (the diff replaces them before a finding exists), so none can be shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kubedrift.model.times import iso
from kubedrift.store.browse import ClusterSummary, FleetCell, Overview, Page
from kubedrift.store.records import StoredFinding, ValueChange
from kubedrift.store.stats import DurationSummary, TimelineStats

SCHEMA = "kubedrift/v1"


def document(**fields: Any) -> dict[str, Any]:
    """A response body: the schema first, then the fields."""
    return {"schema": SCHEMA, **fields}


def episode_json(
    e: StoredFinding, now: datetime, risk: dict[str, object] | None = None
) -> dict[str, Any]:
    """One episode (`StoredFinding.to_json`, the shape history gives it) with `status`
    `suppressed` while a suppression covers it and the predicted `risk` of its object or
    node drifting again (null when none is known)."""
    return {**e.to_json(now), "status": _status(e), "risk": risk}


def change_json(change: ValueChange) -> dict[str, Any]:
    """One row of an episode's value history (`ValueChange.to_json`)."""
    return change.to_json()


def page_json(
    page: Page,
    now: datetime,
    limit: int,
    risk: Callable[[StoredFinding], dict[str, object] | None] = lambda e: None,
    risk_summary: dict[str, object] | None = None,
) -> dict[str, Any]:
    """A page of episodes with the total and the cursor of the next page (null: last);
    `risk` gives each episode's `risk` field, `risk_summary` says how they were made.
    `total_is_exact` false: `total` is a lower bound (`browse.COUNT_UP_TO`, `SCAN_ROWS`)."""
    extra = {} if risk_summary is None else {"risk": risk_summary}
    return document(
        total=page.total,
        total_is_exact=page.total_is_exact,
        limit=limit,
        next_cursor=None if page.next_cursor is None else str(page.next_cursor),
        findings=[episode_json(e, now, risk(e)) for e in page.items],
        **extra,
    )


def overview_json(overview: Overview) -> dict[str, Any]:
    """Open drift by severity and category, GPUs at risk, MTTR and opened/resolved per day."""
    return {
        "open": overview.open,
        "open_by_severity": {s.value: n for s, n in overview.open_by_severity.items()},
        "open_by_category": overview.open_by_category,
        "resolved_in_window": overview.resolved_in_window,
        "mttr_seconds": overview.mttr_seconds,
        "gpus_at_risk": overview.gpus_at_risk,
        "gpu_hours_at_risk": overview.gpu_hours_at_risk,
        "days": [
            {"day": d.day.isoformat(), "opened": d.opened, "resolved": d.resolved}
            for d in overview.days
        ],
    }


def stats_json(stats: TimelineStats) -> dict[str, Any]:
    """Counts and durations of a window's episodes (`Store.stats`)."""
    return {
        "episodes": stats.episodes,
        "open": stats.open,
        "resolved": stats.resolved,
        "reopened": stats.reopened,
        "open_by_severity": {s.value: n for s, n in stats.open_by_severity.items()},
        "time_to_resolve": _durations(stats.time_to_resolve),
        "open_age": _durations(stats.open_age),
    }


def _durations(summary: DurationSummary) -> dict[str, Any]:
    def seconds(value: Any) -> float | None:
        return None if value is None else value.total_seconds()

    return {
        "count": summary.count,
        "mean_seconds": seconds(summary.mean),
        "median_seconds": seconds(summary.median),
        "longest_seconds": seconds(summary.longest),
    }


def fleet_json(cells: list[FleetCell]) -> dict[str, Any]:
    """Pools × facts: the pools, the facts, and each cell's count of drifting nodes."""
    return {
        "pools": sorted({c.pool for c in cells}),
        "facts": sorted({c.fact for c in cells}),
        "cells": [{"pool": c.pool, "fact": c.fact, "nodes": c.nodes} for c in cells],
    }


def cluster_json(c: ClusterSummary) -> dict[str, Any]:
    """One cluster of the store."""
    return {
        "name": c.name,
        "first_recorded": iso(c.first_recorded),
        "last_recorded": iso(c.last_recorded),
        "open": c.open,
    }


def _status(e: StoredFinding) -> str:
    """`suppressed` for an open episode a suppression covers, else `open` or `resolved`."""
    if not e.is_open:
        return "resolved"
    return "suppressed" if e.finding.suppression is not None else "open"

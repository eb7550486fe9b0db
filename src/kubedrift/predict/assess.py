"""A store's `RiskTable` now (or as of a time): the one read behind every risk surface.

    table = assess_store(store, cluster="prod-a")            # as of the last scan recorded
    table = assess_store(store, until=period_end)            # a report's period

Reads through `source.read_window`, the leak-free query (nothing at or after the cutoff),
then `risk.assess` (pure). Training the model is CPU work of seconds on a big store: the
callers run it off their event loop (the controller) or cache it (the dashboard).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kubedrift.predict.risk import RiskTable, ScorerFactory, assess, default_scorer
from kubedrift.predict.source import last_recorded, read_window
from kubedrift.store.sql import SqlStore

AFTER_LAST = timedelta(seconds=1)
"""The cutoff sits just after the newest scan, so that scan's onsets are known."""


def assess_store(
    store: SqlStore,
    *,
    cluster: str | None = None,
    until: datetime | None = None,
    scorer: ScorerFactory = default_scorer,
) -> RiskTable:
    """Every entity's risk as of the last scan recorded (no later than `until`)."""
    end = last_recorded(store, cluster)
    cutoff = end + AFTER_LAST if end is not None else (until or datetime.now(UTC))
    if until is not None:
        cutoff = min(cutoff, until)
    return assess(read_window(store, cutoff=cutoff, cluster=cluster), scorer)

"""The periodic suppression pass costs nothing while nothing can have moved (issue 18.4).

Regression: every `suppression_interval` (60 s) the recorder read every open finding of the
cluster from the store, re-marked them all and compared, even with the same suppressions
on the same day — the idle watcher's largest periodic cost at thousands of open findings.
Which suppression holds depends only on the rules and the UTC day, so the pass now reads
the open findings only when either changed (or a write used other rules), and the expiry
of a suppression is still re-recorded the day it happens. A real SQLite store.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from kubedrift.controller.recorder import Recorder
from kubedrift.model.suppression import Suppression
from kubedrift.store import HistoryFilter, SqlStore
from kubedrift.store.filters import ALL
from kubedrift.store.records import StoredFinding
from store.builders import finding

RULE = Suppression("load test", date(2026, 3, 3), "al", kind="Deployment", path="/spec/*")
OTHER = Suppression("migration", date(2026, 3, 9), "bo", kind="ConfigMap")


class CountingStore(SqlStore):
    """The real SQLite store, counting how often every open finding is read."""

    reads = 0

    def open_findings(self, filters: HistoryFilter = ALL) -> list[StoredFinding]:
        self.reads += 1
        return super().open_findings(filters)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_the_pass_reads_open_findings_only_when_rules_or_day_changed(tmp_path: Path) -> None:
    async def go() -> list[tuple[int, int, int]]:
        store = CountingStore.open(str(tmp_path / "timeline.db"))
        assert isinstance(store, CountingStore)
        clock = Clock()
        recorder = Recorder(store, "c", clock=clock)
        recorder.config_suppressions = (RULE,)
        steps: list[tuple[int, int, int]] = []

        async def step() -> None:
            recorded = await recorder.refresh_suppressions()
            moved = 0 if recorded is None else len(recorded.delta.unsuppressed)
            steps.append((store.reads, moved, _suppressed(store)))

        try:
            await recorder.record_objects([finding()], None, source="initial", received=(0.0,))
            await step()  # the first pass always looks
            clock.now += timedelta(minutes=1)
            await step()  # same rules, same day: no read
            clock.now += timedelta(hours=3)
            await step()  # still the same day
            store.add_suppression(OTHER, at=clock.now)
            await step()  # a new `kubedrift suppress` entry: read
            await step()  # and then quiet again
            recorder.config_suppressions = ()
            await recorder.record_objects([finding()], None, source="objects", received=(0.0,))
            recorder.config_suppressions = (RULE,)
            await step()  # a write marked with other rules since: read
            clock.now = datetime(2026, 3, 4, 0, 0, 30, tzinfo=UTC)
            await step()  # RULE ended with 2026-03-03: read, and the expiry recorded
            await step()
            return steps
        finally:
            recorder.close()
            store.close()

    steps = asyncio.run(go())
    reads = [r for r, _, _ in steps]
    assert reads == [1, 1, 1, 2, 2, 3, 4, 4]
    assert steps[-2][1] == 1  # the expired suppression, re-recorded on its day
    assert steps[-1][2] == 0


def test_a_write_during_an_unchanged_day_keeps_its_marks(tmp_path: Path) -> None:
    """Skipping the pass never leaves a finding marked against the rules in force."""

    async def go() -> str:
        store = SqlStore.open(str(tmp_path / "timeline.db"))
        clock = Clock()
        recorder = Recorder(store, "c", clock=clock)
        recorder.config_suppressions = (RULE,)
        try:
            await recorder.refresh_suppressions()
            other = replace(finding(), object=replace(finding().object, name="other"))
            await recorder.record_objects([other], None, source="objects", received=(0.0,))
            await recorder.refresh_suppressions()
            [stored] = store.open_findings()
            return stored.finding.status
        finally:
            recorder.close()
            store.close()

    assert asyncio.run(go()) == "suppressed"


def _suppressed(store: SqlStore) -> int:
    return sum(s.finding.status == "suppressed" for s in SqlStore.open_findings(store))

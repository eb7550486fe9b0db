"""Suppressions in the store, on every backend (memory, SQLite, PostgreSQL).

The `kubedrift suppress` entries round-trip; a suppressed finding is recorded with its
suppression (history shows it); a suppression that starts or ends on an open episode is a
history row with a note and a part of the scan's delta.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from kubedrift.model.suppression import Suppression
from kubedrift.store import Store

from .builders import at, finding

RULE = Suppression("load test", date(2026, 3, 3), "al", kind="Deployment", path="/spec/*")


def test_suppressions_are_added_listed_and_deleted(store: Store) -> None:
    first = store.add_suppression(RULE, at=at(0))
    second = store.add_suppression(replace(RULE, reason="other", kind=None, rule="x"), at=at(1))
    rows = store.suppressions()
    assert [r.id for r in rows] == [first, second]
    assert rows[0].created == at(0)
    assert replace(rows[0].suppression, source="") == RULE
    assert rows[1].suppression.rule == "x"
    assert store.remove_suppression(first) is True
    assert store.remove_suppression(first) is False
    assert [r.id for r in store.suppressions()] == [second]


def test_a_suppression_starting_and_ending_is_on_the_timeline(store: Store) -> None:
    plain = finding()
    suppressed = replace(plain, suppression=RULE)

    opened = store.record_scan("c", [suppressed], at=at(0))
    [stored] = opened.new
    assert stored.finding.suppression is not None
    assert stored.finding.suppression.reason == "load test"
    assert store.changes(stored.id)[0].note == "suppressed until 2026-03-03 by al: load test"

    ended = store.record_scan("c", [plain], at=at(10))
    assert [u.finding.id for u in ended.unsuppressed] == [stored.id]
    assert ended.unsuppressed[0].ended.reason == "load test"
    assert ended.unsuppressed[0].finding.finding.suppression is None
    assert not ended.new
    assert not ended.changed
    notes = [c.note for c in store.changes(stored.id)]
    assert notes[-1] == "suppression expired (was: suppressed until 2026-03-03 by al: load test)"

    again = store.record_scan("c", [suppressed], at=at(20))
    assert [s.id for s in again.suppressed] == [stored.id]
    [open_now] = store.open_findings()
    assert open_now.finding.status == "suppressed"

    quiet = store.record_scan("c", [suppressed], at=at(30))
    assert quiet.is_empty  # seen again, still suppressed: nothing to tell

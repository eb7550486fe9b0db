"""The initial sync's events as the watcher holds them until its first record: the same
findings and arrivals as keeping the latest event of each object (`backlog.keep_latest`),
without holding an event per object (issue 18.4: watch memory at 50,000 objects)."""

from __future__ import annotations

import gc
import random

from kubedrift.controller.backlog import Pending, keep_latest
from kubedrift.controller.objects import ObjectEvent
from kubedrift.controller.watcher import _Initial
from kubedrift.model import ObjectRef
from store.builders import finding


def event(name: str, live: str | None, received: float) -> ObjectEvent:
    """An object's event; `live` None: the object is as desired (no finding)."""
    ref = ObjectRef("v1", "ConfigMap", "ml", name)
    found = () if live is None else (finding(name, kind="ConfigMap", path="/data/v", live=live),)
    return ObjectEvent(ref, found, received, initial=True)


def test_the_same_findings_and_arrivals_as_the_latest_event_of_each_object() -> None:
    rng = random.Random(5)
    events = [
        event(f"cm-{rng.randrange(40)}", rng.choice((None, None, "1", "2")), float(t))
        for t in range(400)
    ]
    pending: Pending = {}
    initial = _Initial()
    for e in events:
        keep_latest(pending, e)
        initial.take(e)
    assert initial.findings() == [f for e in pending.values() for f in e.findings]
    assert initial.received() == tuple(e.received for e in pending.values())


def test_an_object_whose_finding_went_away_meanwhile_has_none() -> None:
    initial = _Initial()
    for e in (event("a", "1", 1.0), event("b", "2", 2.0), event("a", None, 3.0)):
        initial.take(e)
    assert [f.object.name for f in initial.findings()] == ["b"]
    assert initial.received() == (1.0, 2.0)


def test_no_event_is_held_once_taken() -> None:
    """What made the initial sync's peak: an event (its ref, its strings) per object, kept
    until the sync's end. Only the object's key, arrival and findings may stay."""
    initial = _Initial()
    clean, drifted = event("clean", None, 1.0), event("drifted", "1", 2.0)
    initial.take(clean)
    initial.take(drifted)
    gc.collect()
    tables = (initial._arrived, initial._found)
    for held in (clean, drifted, clean.ref, drifted.ref):
        assert not any(r is t for r in gc.get_referrers(held) for t in tables)
    assert initial._found == {drifted.ref.pairing_key(): drifted.findings}

"""The backlog kept while the store is away: one entry per object, the latest state, the
earliest arrival; a queue drained while a write is retried."""

from __future__ import annotations

import asyncio

from kubedrift.controller.backlog import Pending, keep_latest, until_stored
from kubedrift.controller.objects import ObjectEvent
from kubedrift.model import ObjectRef
from kubedrift.store import StoreError
from store.builders import finding

A = ObjectRef("v1", "ConfigMap", "ml", "a")
B = ObjectRef("v1", "ConfigMap", "ml", "b")


def event(ref: ObjectRef, live: str, received: float) -> ObjectEvent:
    found = finding(ref.name, kind="ConfigMap", path="/data/v", live=live)
    return ObjectEvent(ref, (found,), received, initial=False)


def test_the_latest_state_of_each_object_with_its_first_arrival() -> None:
    pending: Pending = {}
    for e in [event(A, "1", 1.0), event(B, "x", 2.0), event(A, "2", 3.0), event(A, "3", 4.0)]:
        keep_latest(pending, e)
    assert len(pending) == 2
    latest = pending[A.pairing_key()]
    assert (latest.findings[0].live, latest.received) == ("3", 1.0)


def test_a_failing_write_is_retried_while_the_queue_is_drained() -> None:
    attempts: list[int] = []
    pending: Pending = {}

    async def main() -> None:
        queue: asyncio.Queue[object] = asyncio.Queue()

        async def write() -> None:
            attempts.append(1)
            if len(attempts) < 3:
                for i in range(100):  # the trackers keep reporting while the store is down
                    queue.put_nowait(event(B, str(i), float(i)))
                raise StoreError("database or disk is full", where="t.db")

        await asyncio.wait_for(until_stored(write, queue, pending), 10)
        assert queue.empty()

    asyncio.run(main())
    assert len(attempts) == 3
    assert list(pending) == [B.pairing_key()]
    assert pending[B.pairing_key()].findings[0].live == "99"

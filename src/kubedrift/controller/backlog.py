"""The watcher's backlog while the store is away: the latest event of each desired object.

A write that fails is retried with backoff (`until_stored`); meanwhile whatever the trackers
queue is taken into a table keyed by object (`keep_latest`), later events replacing earlier
ones. The table is bounded by desired state, not by the outage's length, and nothing is
lost: an object's findings depend on its latest state only. The earliest arrival of the
events merged stays the entry's `received`, so detection latency counts the outage.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

from kubedrift.controller.desired import PairingKey
from kubedrift.controller.objects import ObjectEvent
from kubedrift.model.backoff import Backoff
from kubedrift.store import StoreError

RETRY_INITIAL, RETRY_CAP = 0.5, 10.0
"""Backoff of store writes that failed (seconds)."""

Pending = dict[PairingKey, ObjectEvent]


def keep_latest(pending: Pending, event: object) -> None:
    """Keep `event` as its object's latest; the earliest arrival stays its `received`, so
    the detection latency of a change held back by a store outage counts the outage."""
    if not isinstance(event, ObjectEvent):
        return
    key = event.ref.pairing_key()
    earlier = pending.get(key)
    if earlier is not None and earlier.received < event.received:
        event = dataclasses.replace(event, received=earlier.received)
    pending[key] = event


def drain(queue: asyncio.Queue[Any], pending: Pending) -> None:
    """Move everything queued now into `pending` (without waiting)."""
    while not queue.empty():
        keep_latest(pending, queue.get_nowait())


async def until_stored(
    write: Callable[[], Awaitable[None]],
    queue: asyncio.Queue[Any],
    pending: Pending,
) -> None:
    """`write()` until it succeeds; between tries, keep taking events into `pending`, so
    the queue stays short however long the store is away."""
    backoff = Backoff(RETRY_INITIAL, RETRY_CAP)
    while True:
        try:
            await write()
            return
        except StoreError:
            await drain_for(backoff.next_delay(), queue, pending)


async def drain_for(seconds: float, queue: asyncio.Queue[Any], pending: Pending) -> None:
    """Wait `seconds` (a retry's backoff), moving what arrives meanwhile into `pending`."""
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            item = await asyncio.wait_for(queue.get(), remaining)
        except TimeoutError:
            return
        keep_latest(pending, item)

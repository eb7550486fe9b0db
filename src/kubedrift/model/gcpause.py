"""One way to pause the cyclic garbage collector around bulk work (pure, no I/O).

Decoding a large List, building a simulated fleet or analysing 5,000 nodes allocates
hundreds of thousands of acyclic dicts and tuples that all live until the end: the
collector's passes over them cost more than the work (docs/DESIGN.md, "Performance facts").
Here, in the lowest layer, so that every layer pauses it the same way.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the collector for the block; re-enable it after only if it was enabled before
    (so nested pauses, and callers that turned it off themselves, are left as they were)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_long_lived() -> None:
    """Collect once, then move every object alive now out of the collector's reach
    (`gc.freeze`, as Python's documentation suggests for long-running servers): full
    collections otherwise walk the imported modules, the app and the caches each time a
    generation-2 run is due, and the request in flight waits (`kubedrift serve`: 98 ms
    with 157,000 tracked objects on an idle machine, a 300 ms p95 in bench/bench_api.py).
    Frozen objects are still freed by reference counting; only cycles among them stay."""
    gc.collect()
    gc.freeze()

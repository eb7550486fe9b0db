"""A separate process writing to a store, for the durability tests (`python -m store.worker`).

scans URL CLUSTER COUNT   COUNT scans of CLUSTER and of the cluster "shared", each with
                          20 findings whose live value is the scan's number
hang URL                  one scan that stops mid-transaction (after its upserts and
                          history rows, before resolving), prints READY, and waits to
                          be killed
"""

from __future__ import annotations

import sys
import time
from typing import Any

from kubedrift.store import SqlStore, writes
from store.builders import at, finding, many


def scans(url: str, cluster: str, count: int) -> None:
    """Interleave scans of an own cluster and a cluster the other writer also writes."""
    with SqlStore.open(url) as store:
        for i in range(count):
            store.record_scan(cluster, many(20, live=i, cluster_prefix=cluster), at=at(i))
            store.record_scan("shared", many(20, live=i, cluster_prefix="shared"), at=at(i))


def hang(url: str) -> None:
    """Write most of a scan, then wait inside the open transaction to be killed."""

    def stuck(*args: Any) -> None:
        print("READY", flush=True)
        time.sleep(120)

    writes._resolve = stuck  # type: ignore[assignment]
    with SqlStore.open(url) as store:
        store.record_scan("prod-a", [finding(live=99), *many(200, live=9)], at=at(10))


if __name__ == "__main__":
    command, url, *rest = sys.argv[1:]
    if command == "scans":
        scans(url, rest[0], int(rest[1]))
    else:
        hang(url)

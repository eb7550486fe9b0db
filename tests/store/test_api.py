"""The store's public surface: what it exports, and that the fake has the real signatures."""

from __future__ import annotations

import inspect

import pytest

import kubedrift.store
from kubedrift.store import MemoryStore, SqlStore, Store

PROTOCOL_METHODS = [
    name
    for name, member in vars(Store).items()
    if callable(member) and (not name.startswith("_") or name in ("__enter__", "__exit__"))
]


def test_exports() -> None:
    assert kubedrift.store.__all__ == [
        "ALL",
        "EVERYTHING",
        "Changed",
        "DurationSummary",
        "HistoryFilter",
        "MemoryStore",
        "ScanDelta",
        "ScanScope",
        "SqlStore",
        "Store",
        "StoreError",
        "StoredFinding",
        "TimelineStats",
        "ValueChange",
    ]


@pytest.mark.parametrize("implementation", [SqlStore, MemoryStore])
@pytest.mark.parametrize("method", PROTOCOL_METHODS)
def test_implementations_match_the_protocol(implementation: type, method: str) -> None:
    expected = inspect.signature(getattr(Store, method))
    assert inspect.signature(getattr(implementation, method)) == expected

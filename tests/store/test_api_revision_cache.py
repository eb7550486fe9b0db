"""`/api/v1/stats`, `/api/v1/timeline` and the overview kept per store revision (issue 15.3).

The real app over SQLite and PostgreSQL, driven in-process with httpx2: a repeated request
on an unchanged store reads no episode again, its figures are `Store.stats`' for the same
window, and a new scan is seen by the very next request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from kubedrift.api import documents as docs
from kubedrift.api.app import build_dashboard
from kubedrift.api.auth import OpenAccess
from kubedrift.store import HistoryFilter, SqlStore
from kubedrift.store.stats_sql import StatsGroups
from store.builders import finding

HOUR = timedelta(hours=1)


@pytest.fixture
def recorded(sql_url: str) -> Iterator[SqlStore]:
    """Three scans in the last days: one finding resolves, one reopens."""
    now = datetime.now(UTC)
    with SqlStore.open(sql_url) as store:
        a, b, c = (finding(n) for n in ("a", "b", "c"))
        store.record_scan("prod", [a, b, c], at=now - 50 * HOUR)
        store.record_scan("prod", [a], at=now - 20 * HOUR)
        store.record_scan("prod", [a, b], at=now - 2 * HOUR)
        yield store


def get(app: Any, path: str) -> dict[str, Any]:
    async def one() -> dict[str, Any]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://local") as client:
            response = await client.get(path)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

    return asyncio.run(one())


def test_stats_are_read_once_per_revision_and_equal_store_stats(
    recorded: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[HistoryFilter] = []
    real = recorded.stats_groups

    def counted(filters: HistoryFilter) -> StatsGroups:
        reads.append(filters)
        return real(filters)

    monkeypatch.setattr(recorded, "stats_groups", counted)
    app = build_dashboard(recorded, OpenAccess())
    first = get(app, "/api/v1/stats")["episodes"]
    assert get(app, "/api/v1/stats")["episodes"]["episodes"] == first["episodes"]
    assert len(reads) == 1  # the second answer came from the kept groups
    expected = docs.stats_json(
        recorded.stats(HistoryFilter(since=datetime.now(UTC) - 30 * 24 * HOUR))
    )
    for figure in ("episodes", "open", "resolved", "reopened", "open_by_severity"):
        assert first[figure] == expected[figure], figure
    assert first["time_to_resolve"] == expected["time_to_resolve"]
    assert (first["open"], first["resolved"], first["reopened"]) == (2, 2, 1)
    # open ages are measured to each request's own `now`, not to the read's
    assert first["open_age"]["count"] == 2
    later = get(app, "/api/v1/stats")["episodes"]["open_age"]["longest_seconds"]
    assert later > first["open_age"]["longest_seconds"]

    recorded.record_scan("prod", [finding("a")], at=datetime.now(UTC) - HOUR)  # b resolves
    after = get(app, "/api/v1/stats")["episodes"]
    assert (after["open"], after["resolved"]) == (1, 3)
    assert len(reads) == 2


def test_the_overview_and_timeline_follow_a_new_scan(recorded: SqlStore) -> None:
    app = build_dashboard(recorded, OpenAccess())
    before = get(app, "/api/v1/timeline?days=3")["days"]
    assert get(app, "/api/v1/timeline?days=3")["days"] == before
    assert get(app, "/api/v1/stats")["overview"]["open"] == 2
    recorded.record_scan("prod", [], at=datetime.now(UTC) - HOUR)  # everything resolves
    after = get(app, "/api/v1/timeline?days=3")["days"]
    assert sum(d["resolved"] for d in after) == sum(d["resolved"] for d in before) + 2
    assert get(app, "/api/v1/stats")["overview"]["open"] == 0


def test_predicted_risk_is_not_retrained_on_an_unchanged_store(
    recorded: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's RiskCache refreshes every `ttl`; on a store unchanged since its table it
    keeps the table (same inputs, same model), and a new scan trains again."""
    from kubedrift.api import risk
    from kubedrift.predict.assess import assess_store as real

    trained: list[int] = []

    def counted(store: SqlStore) -> Any:
        trained.append(1)
        return real(store)

    monkeypatch.setattr(risk, "assess_store", counted)
    now = [0.0]
    cache = risk.RiskCache(recorded, ttl=10, clock=lambda: now[0])
    assert cache.get() is None
    assert cache.wait(120)
    table = cache.get()
    assert table is not None
    now[0] = 11.0
    assert cache.get() is table  # due: refreshed in the background
    assert cache.wait(120)
    assert cache.get() is table
    assert len(trained) == 1  # … without training: nothing was written
    recorded.record_scan("prod", [finding("a")], at=datetime.now(UTC) - HOUR)
    now[0] = 22.0
    cache.get()
    assert cache.wait(120)
    assert len(trained) == 2
    assert cache.get() is not table


def test_the_dashboard_trains_in_a_child_the_table_it_would_train_itself(
    recorded: SqlStore,
) -> None:
    """`ChildAssess` (what `build_dashboard` uses) opens the same store in a spawned child:
    its table is `assess_store`'s; a store it cannot open is one error line."""
    from kubedrift.api.risk import ChildAssess
    from kubedrift.predict.assess import assess_store

    table = ChildAssess(recorded.connect_url())(recorded)
    assert table == assess_store(recorded)
    assert table.enough
    assert table.risks
    with pytest.raises(RuntimeError, match=r"StoreError: .*gone\.db"):
        ChildAssess("/nonexistent/gone.db")(recorded)

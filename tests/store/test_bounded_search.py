"""Bounded counts and scans of the findings list (issue 15.2), on SQLite and PostgreSQL.

A text most findings hold is counted up to `COUNT_UP_TO` and then said to be "N+"
(`total_is_exact` false); a text of one or two characters (no trigram: no index serves it)
examines `SCAN_ROWS` rows per page and per count. Whatever the bounds, walking the pages by
cursor returns exactly the episodes a LIKE over every row returns, in the same order. The
bounds are lowered here (monkeypatch) so a few dozen findings cross them; the JSON API is
driven in-process through httpx2 against the real app over the same store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx2
import pytest

from kubedrift.api.app import build_dashboard
from kubedrift.api.auth import OpenAccess
from kubedrift.store import SqlStore, StoredFinding, browse, textsearch
from kubedrift.store.browse import FindingQuery, Status
from kubedrift.store.engine import create_store_engine, parse_url, reading
from store.builders import at, finding


@pytest.fixture
def filled(sql_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqlStore]:
    """40 findings `app-0` … `app-39` in two namespaces, then 5 `job-a` … `job-e` of a
    small cluster; every message says "differs"; the bounds lowered to 10 and 12."""
    monkeypatch.setattr(browse, "COUNT_UP_TO", 10)
    monkeypatch.setattr(browse, "SCAN_ROWS", 12)
    monkeypatch.setattr(textsearch, "PROBE_ROWS", 12)  # PostgreSQL's commonness probe runs
    with SqlStore.open(sql_url) as store:
        found = [finding(f"app-{i}", namespace=f"ns{i % 2}") for i in range(40)]
        store.record_scan("prod", found, at=at(0))
        store.record_scan("small", [finding(f"job-{c}", namespace="b") for c in "abcde"], at=at(1))
        yield store


def like(store: SqlStore, text: str, namespace: str | None = None) -> list[int]:
    """The reference: ids whose name, namespace, path or message holds `text` (any case),
    newest first, from every episode read in Python."""
    page = store.browse().page(FindingQuery(namespace=namespace, status=Status.ALL, limit=500))
    assert page.next_cursor is None  # every episode (the count of 45 is bounded at 10)

    def holds(e: StoredFinding) -> bool:
        ref = e.finding.object
        fields = (ref.name, ref.namespace or "", e.finding.path, e.finding.message)
        return any(text.lower() in v.lower() for v in fields)

    return [e.id for e in page.items if holds(e)]


def walk(store: SqlStore, text: str, namespace: str | None = None) -> tuple[list[int], int]:
    """Every id the pages of a search return, following `next_cursor`; and the page count."""
    ids: list[int] = []
    after, pages = None, 0
    while True:
        query = FindingQuery(namespace=namespace, text=text, after=after, limit=5)
        page = store.browse().page(query)
        ids += [e.id for e in page.items]
        pages += 1
        if page.next_cursor is None:
            return ids, pages
        after = page.next_cursor


def test_a_common_text_is_counted_up_to_the_bound(filled: SqlStore) -> None:
    page = filled.browse().page(FindingQuery(text="DIFFERS", limit=5))
    assert (page.total, page.total_is_exact) == (10, False)
    assert walk(filled, "DIFFERS")[0] == like(filled, "differs")


def test_a_count_under_the_bound_is_exact(filled: SqlStore) -> None:
    page = filled.browse().page(FindingQuery(namespace="ns1", text="app-3", limit=5))
    assert (page.total, page.total_is_exact) == (len(like(filled, "app-3", "ns1")), True)
    assert page.total == 6  # app-3, app-31, app-33 … app-39


def test_a_short_text_scans_a_bounded_number_of_rows_per_page(filled: SqlStore) -> None:
    """`7` (one character) is in 4 of 45 names: a page examines 12 rows, so pages are short
    and still lead on; the pages together are exactly the LIKE's matches, in its order."""
    first = filled.browse().page(FindingQuery(text="7", limit=5))
    assert first.total_is_exact is False  # only the newest 12 rows were counted
    assert [e.finding.object.name for e in first.items] == ["app-37"]
    assert first.next_cursor is not None
    ids, pages = walk(filled, "7")
    assert ids == like(filled, "7")
    assert len(ids) == 4
    assert pages == 4  # 45 rows, 12 a page


def test_a_short_text_over_few_rows_is_exact(filled: SqlStore) -> None:
    """The bound counts rows the other filters select: 5 are under it, 20 over it."""
    small = filled.browse().page(FindingQuery(cluster="small", text="b-"))
    assert (small.total, small.total_is_exact, small.next_cursor) == (5, True, None)
    wide = filled.browse().page(FindingQuery(namespace="ns1", text="s1", limit=50))
    assert (wide.total, wide.total_is_exact) == (10, False)  # 12 examined, 10 counted
    assert len(wide.items) == 12
    assert walk(filled, "s1", namespace="ns1")[0] == like(filled, "s1", namespace="ns1")


def test_the_api_says_whether_the_total_is_exact(filled: SqlStore) -> None:
    app = build_dashboard(filled, OpenAccess())

    async def get(query: str) -> dict[str, object]:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://local") as client:
            response = await client.get(f"/api/v1/findings?{query}")
            assert response.status_code == 200, response.text
            body: dict[str, object] = response.json()
            return body

    common = asyncio.run(get("q=differs&limit=3"))
    assert (common["total"], common["total_is_exact"]) == (10, False)
    exact = asyncio.run(get("q=app-3&namespace=ns1&limit=3"))
    assert (exact["total"], exact["total_is_exact"]) == (6, True)
    plain = asyncio.run(get("namespace=ns0&limit=3"))
    assert plain["total_is_exact"] is False  # 20 rows, counted up to 10
    assert plain["total"] == 10


def test_the_findings_page_says_a_short_search_page_searched_only_part(filled: SqlStore) -> None:
    """A short text matched only by old rows: the first page examined the newest rows and
    found none; the page says so and links on, rather than showing "no finding matches"
    alone as if the search were over."""
    app = build_dashboard(filled, OpenAccess())

    async def get(path: str) -> str:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://local") as client:
            response = await client.get(path)
            assert response.status_code == 200, response.text
            return response.text

    first = asyncio.run(get("/findings?q=-0"))
    assert 'id="partial-search"' in first
    assert 'id="next-page"' in first
    whole = asyncio.run(get("/findings?q=app-1"))  # served by the index: nothing partial
    assert 'id="partial-search"' not in whole


def test_postgresql_reads_a_common_text_without_the_trigram_bitmap(
    filled: SqlStore, sql_url: str
) -> None:
    """A text the newest rows already hold a page of turns bitmap scans off for its read
    (the GIN index would collect every match before LIMIT); a rare one keeps them. The
    pages are the LIKE's either way (the walks above, with the probe on)."""
    if not sql_url.startswith("postgresql"):
        pytest.skip("SQLite decides by its trigram table's count (worth_the_index)")
    engine = create_store_engine(parse_url(sql_url))
    with reading(engine) as connection:
        wanted = browse.query_conditions(FindingQuery(text="differs"), "postgresql")
        assert textsearch.avoid_pg_trgm_scan(connection, "differs", wanted, 6)
        assert connection.exec_driver_sql("SHOW enable_bitmapscan").scalar() == "off"
    with reading(engine) as connection:
        rare = browse.query_conditions(FindingQuery(text="app-1"), "postgresql")
        assert not textsearch.avoid_pg_trgm_scan(connection, "app-1", rare, 6)
        assert connection.exec_driver_sql("SHOW enable_bitmapscan").scalar() == "on"
    with reading(engine) as connection:  # SET LOCAL ended with its transaction
        assert connection.exec_driver_sql("SHOW enable_bitmapscan").scalar() == "on"
    engine.dispose()

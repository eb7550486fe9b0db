"""One timestamp format for every document: RFC 3339, UTC, `Z`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from kubedrift.model.times import iso, rfc3339


def test_a_zone_is_turned_to_utc_with_z() -> None:
    cet = timezone(timedelta(hours=1))
    assert rfc3339(datetime(2026, 3, 2, 10, 0, tzinfo=cet)) == "2026-03-02T09:00:00Z"
    assert rfc3339(datetime(2026, 3, 2, 9, 0, 0, 1500, tzinfo=UTC)) == "2026-03-02T09:00:00.001500Z"


def test_an_unknown_time_stays_unknown() -> None:
    assert iso(None) is None
    assert iso(datetime(2026, 3, 2, 9, tzinfo=UTC)) == "2026-03-02T09:00:00Z"

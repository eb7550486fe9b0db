"""`kubedrift history` and `kubedrift timeline` show a suppressed finding as suppressed, and
the value history of an episode records its suppression starting and expiring."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.serving import get_json, kubedrift_serve
from kubedrift.model import Category, Finding, ObjectRef, Severity
from kubedrift.model.suppression import Suppression
from kubedrift.store import SqlStore

from .test_suppress_cli import kubedrift

NOW = datetime.now(UTC).replace(microsecond=0)
UNTIL = (NOW + timedelta(days=3)).date()
RULE = Suppression("load test INC-42", UNTIL, "al", kind="Deployment")
PLAIN = Finding(
    category=Category.OBJECT,
    severity=Severity.MEDIUM,
    object=ObjectRef("apps/v1", "Deployment", "ml", "trainer"),
    path="/spec/replicas",
    desired=2,
    live=5,
    rule="field-changed",
    message="/spec/replicas: 2 → 5",
)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "t.db")
    with SqlStore.open(path) as store:
        store.record_scan("prod", [replace(PLAIN, suppression=RULE)], at=NOW - timedelta(hours=2))
        store.record_scan("prod", [PLAIN], at=NOW - timedelta(hours=1))  # it expired
        store.record_scan("prod", [replace(PLAIN, suppression=RULE)], at=NOW)  # renewed
    return path


def test_history_shows_the_suppression_in_every_format(db: str) -> None:
    doc = json.loads(kubedrift("history", "--store", db, "-o", "json").stdout)
    [episode] = doc["episodes"]
    assert episode["finding"]["status"] == "suppressed"
    assert episode["finding"]["suppression"]["reason"] == "load test INC-42"
    label = f"suppressed until {UNTIL} by al: load test INC-42"
    for fmt in ("table", "markdown", "yaml"):
        out = " ".join(kubedrift("history", "--store", db, "-o", fmt).stdout.split())
        assert (label if fmt != "yaml" else "load test INC-42") in out, fmt


def test_the_value_history_records_start_expiry_and_renewal(db: str) -> None:
    doc = json.loads(kubedrift("history", "--store", db, "-o", "json", "--id", "1").stdout)
    notes = [c.get("note") for c in doc["episodes"][0]["changes"]]
    label = f"suppressed until {UNTIL} by al: load test INC-42"
    assert notes == [label, f"suppression expired (was: {label})", label]
    table = kubedrift("history", "--store", db, "-o", "table", "--id", "1").stdout
    assert "suppression expired" in table


def test_timeline_counts_open_suppressed_episodes(db: str) -> None:
    doc = json.loads(kubedrift("timeline", "--store", db, "-o", "json").stdout)
    assert doc["suppressed"] == 1
    assert doc["totals"]["open"] == 1
    table = kubedrift("timeline", "--store", db, "-o", "table").stdout
    assert "1 open (1 suppressed)" in table


def test_the_api_and_history_show_one_episode_the_same_way(db: str, tmp_path: Path) -> None:
    """One builder for both documents (`StoredFinding.to_json`, `ValueChange.to_json`): the
    API's episode is history's with `status` "suppressed" while covered and a `risk` field,
    and its value history carries the same suppression notes."""
    history = json.loads(kubedrift("history", "--store", db, "-o", "json", "--id", "1").stdout)
    [told] = history["episodes"]
    with kubedrift_serve(db, tmp_path / "serve.log", "--auth", "none") as base:
        status, body = get_json(f"{base}/api/v1/findings/1")
    assert status == 200, body
    shown = body["finding"]
    assert shown["status"] == "suppressed"
    assert told["status"] == "open"
    assert set(shown) - set(told) == {"risk"}
    assert set(told) - set(shown) == {"changes"}
    same = set(told) - {"status", "changes", "duration_seconds"}
    assert {k: shown[k] for k in same} == {k: told[k] for k in same}
    assert body["changes"] == told["changes"]
    assert [c.get("note") for c in body["changes"]][1].startswith("suppression expired")

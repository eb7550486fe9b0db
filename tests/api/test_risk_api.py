"""Predicted risk in the dashboard and API: the `risk` field of findings, `/api/v1/risk`,
the overview's "Likely to drift" block, and a cache that fails visibly and recovers.

The server is the real `kubedrift serve` process; the stores are a simulated multi-week
history (`kubedrift simulate --history`) and an empty one.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.serving import get, get_json, kubedrift_serve
from kubedrift.api.risk import RiskCache
from kubedrift.store import SqlStore

ROOT = Path(__file__).resolve().parents[2]


def ready(base: str, path: str = "/api/v1/findings?limit=500", timeout: float = 120) -> Any:
    """The body of `path` once its predicted risk is computed (it is made in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = get_json(base + path)
        assert status == 200, body
        if body["risk"]["state"] != "computing":
            return body
        time.sleep(0.5)
    raise AssertionError(f"risk still computing after {timeout}s")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("risk-api")
    db = folder / "history.db"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubedrift",
            "simulate",
            "--history",
            "4",
            "--seed",
            "5",
            "--store",
            str(db),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture(scope="module")
def base(history: Path) -> Iterator[str]:
    with kubedrift_serve(str(history), history.parent / "serve.log", "--auth", "none") as url:
        yield url


def test_findings_carry_their_objects_risk(base: str) -> None:
    body = ready(base)
    assert body["schema"] == "kubedrift/v1"
    assert body["risk"]["state"] == "ready"
    assert body["risk"]["enough_history"] is True
    assert set(body["risk"]["models"]) == {"24h", "7d"}
    findings = body["findings"]
    assert findings
    assert all("risk" in f for f in findings)
    known = [f for f in findings if f["risk"] is not None]
    assert known, "every finding's object drifted before: each has a risk"
    for f in known:
        within = f["risk"]["within"]
        assert set(within) == {"24h", "7d"}
        assert 0.0 <= within["24h"] <= 1.0
        assert 0.0 <= within["7d"] <= 1.0
    assert any(f["risk"]["reason"] for f in known)
    # The other fields keep the shape `scan -o json` gives (nothing removed or renamed).
    assert {"id", "cluster", "status", "first_seen", "finding"} <= set(findings[0])


def test_one_finding_and_the_risk_list_agree(base: str) -> None:
    body = ready(base)
    top = ready(base, "/api/v1/risk?limit=3")
    entities = top["risk"]["entities"]
    assert len(entities) == 3
    weeks = [e["within"]["7d"] for e in entities]
    assert weeks == sorted(weeks, reverse=True)
    one = next(f for f in body["findings"] if f["risk"] is not None)
    status, doc = get_json(f"{base}/api/v1/findings/{one['id']}")
    assert status == 200
    assert doc["finding"]["risk"] == one["risk"]
    status, bad = get_json(f"{base}/api/v1/risk?limit=0")
    assert status == 400
    assert bad == {"schema": "kubedrift/v1", "error": "limit '0': a whole number, 1 to 500"}


def test_the_overview_draws_the_likely_to_drift_block(base: str) -> None:
    ready(base)
    status, _, page = get(base + "/")
    assert status == 200
    assert '<section class="chart risk" id="risk">' in page
    assert 'id="risk-chart"' in page
    assert page.count('class="risk-week"') == 10
    assert "style=" not in page.split('id="risk"')[1]  # the CSP forbids inline styles


def test_an_empty_store_says_not_enough_history(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    SqlStore.open(str(db)).close()
    with kubedrift_serve(str(db), tmp_path / "serve.log", "--auth", "none") as url:
        body = ready(url)
        assert body["risk"]["enough_history"] is False
        assert "not enough history to predict drift" in body["risk"]["notes"][0]
        assert body["findings"] == []
        status, _, page = get(url + "/")
        assert status == 200
        assert 'id="risk-note">not enough history to predict drift' in page


def test_a_failed_refresh_is_said_and_recovers_by_itself(history: Path, tmp_path: Path) -> None:
    """The store's findings table away (a broken migration, a restore): the cache says why,
    then, once the table is back, recovers without a restart."""
    copy = tmp_path / "copy.db"
    copy.write_bytes(history.read_bytes())
    with sqlite3.connect(copy) as db:
        db.execute("ALTER TABLE findings RENAME TO findings_away")
    with SqlStore.open(str(copy)) as store:
        cache = RiskCache(store, retry=0.2)
        assert cache.get() is None
        assert cache.wait(60)
        status = cache.status()
        assert status.state == "failed"
        assert status.error is not None
        assert "findings" in status.error
        with sqlite3.connect(copy) as db:
            db.execute("ALTER TABLE findings_away RENAME TO findings")
        time.sleep(0.3)
        cache.get()
        assert cache.wait(60)
        assert cache.status().state == "ready"
        table = cache.get()
        assert table is not None
        assert table.enough


def test_planned_action_of_a_container_field_by_index_regression() -> None:
    """A stored finding at `/spec/template/spec/containers/0/env/LOG_LEVEL` (paths by index,
    as the history simulator and older scans write them) made `/api/v1/findings/{id}` answer
    500: the skeleton's `containers` is a mapping keyed "0", and its keys were read as
    containers."""
    from kubedrift.api.actions import planned_action
    from kubedrift.model import Category, Finding, ObjectRef, Severity

    finding = Finding(
        category=Category.OBJECT,
        severity=Severity.LOW,
        object=ObjectRef("apps/v1", "Deployment", "ml", "trainer"),
        path="/spec/template/spec/containers/0/env/LOG_LEVEL",
        desired="info",
        live="debug",
        rule="field-changed",
        message="changed",
    )
    assert planned_action(finding)["action"] == "revert"

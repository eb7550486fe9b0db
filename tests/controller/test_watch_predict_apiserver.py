"""`kubedrift watch --predict` as users run it: the predicted-risk gauges on `/metrics`, and a
failing forecast said on `/readyz`, `/metrics` and in the log, then recovered by itself.

The process watches the real apiserver with a store that already holds a simulated
four-week history of the same cluster (`kubedrift simulate --history --now`), as a store
of a controller that has run for weeks would.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.probing import http_get, wait_for
from kubedrift.predict.assess import assess_store
from kubedrift.store import SqlStore
from support.apiserver import ApiServer, free_port

ROOT = Path(__file__).resolve().parents[2]
KUBEDRIFT = Path(sys.executable).parent / "kubedrift"
CLUSTER = "sim"


def metric(body: str, name: str, **labels: str) -> float | None:
    """The sum of the samples of `name` whose labels include `labels` (None: no sample)."""
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.split("{", 1)[0].split(" ", 1)[0] == name
        and all(f'{k}="{v}"' in line for k, v in labels.items())
    ]
    return sum(values) if values else None


@pytest.fixture
def history(tmp_path: Path) -> Path:
    db = tmp_path / "timeline.db"
    now = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    argv = [str(KUBEDRIFT), "simulate", "--history", "4", "--seed", "2", "--store", str(db)]
    done = subprocess.run([*argv, "--now", now], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return db


def start(
    apiserver: ApiServer, db: Path, log: Path, *extra: str
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    argv = [
        str(KUBEDRIFT), "watch", "--kubeconfig", str(apiserver.kubeconfig),
        "--cluster", CLUSTER, "--store", str(db), "--listen", f"127.0.0.1:{port}",
        "--webhook-listen", "", "--auth", "none", "--no-workloads", *extra,
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def scrape(base: str) -> str:
    status, body = http_get(base + "/metrics")
    return body if status == 200 else ""


def test_metrics_of_a_watch_process_carry_the_predicted_risk(
    apiserver: ApiServer, history: Path, tmp_path: Path
) -> None:
    with SqlStore.open(str(history)) as store:
        expected = assess_store(store, cluster=CLUSTER)
    assert expected.enough
    proc, base = start(apiserver, history, tmp_path / "watch.log", "--predict")
    try:
        body = wait_for(
            "a forecast on /metrics",
            lambda: (
                (b := scrape(base)) and metric(b, "kubedrift_prediction_timestamp_seconds") and b
            ),
            timeout=180,
        )
        for horizon in ("24h", "7d"):
            levels = {
                level: metric(body, "kubedrift_predicted_risk", horizon=horizon, level=level)
                for level in ("high", "medium", "low")
            }
            assert None not in levels.values(), levels
            total = sum(v for v in levels.values() if v is not None)
            assert total >= len(expected.risks) * 0.9, (horizon, levels, len(expected.risks))
            assert (metric(body, "kubedrift_predicted_risk_max", horizon=horizon) or 0) > 0.2
        assert metric(body, "kubedrift_predicted_risk", horizon="7d", level="high")
        assert metric(body, "kubedrift_prediction_enough_history") == 1
        assert metric(body, "kubedrift_prediction_failing") == 0
        series = [
            line for line in body.splitlines() if line.startswith("kubedrift_predicted_risk{")
        ]
        assert len(series) == 6  # 2 horizons x 3 levels: bounded, no object names
    finally:
        assert stop(proc) == 0, (tmp_path / "watch.log").read_text()
    assert "Traceback" not in (tmp_path / "watch.log").read_text()


def test_a_failing_forecast_is_seen_and_recovers_by_itself(
    apiserver: ApiServer, history: Path, tmp_path: Path
) -> None:
    log = tmp_path / "watch.log"
    proc, base = start(
        apiserver, history, log, "--predict", "--predict-interval", "3", "--predict-retry", "1"
    )
    try:
        wait_for(
            "a first forecast",
            lambda: metric(scrape(base), "kubedrift_prediction_timestamp_seconds"),
            timeout=180,
        )
        with sqlite3.connect(history, timeout=30) as db:  # the table away: reads fail
            db.execute("ALTER TABLE findings RENAME TO findings_away")
        failing = wait_for(
            "the failure on /metrics",
            lambda: (b := scrape(base)) and metric(b, "kubedrift_prediction_failing") == 1 and b,
            timeout=60,
        )
        assert (metric(failing, "kubedrift_prediction_errors_total") or 0) >= 1
        _, ready = http_get(base + "/readyz")
        notes = json.loads(ready).get("notes", [])
        assert any(n.startswith("drift prediction failed: ") for n in notes), ready
        with sqlite3.connect(history, timeout=30) as db:
            db.execute("ALTER TABLE findings_away RENAME TO findings")
        wait_for(
            "the recovery on /metrics",
            lambda: metric(scrape(base), "kubedrift_prediction_failing") == 0,
            timeout=120,
        )
        wait_for(
            "the note gone from /readyz",
            lambda: "drift prediction failed" not in http_get(base + "/readyz")[1],
            timeout=30,
        )
    finally:
        assert stop(proc) == 0, log.read_text()
    text = log.read_text()
    assert "drift prediction failed: " in text
    assert "drift prediction failed: recovered after" in text

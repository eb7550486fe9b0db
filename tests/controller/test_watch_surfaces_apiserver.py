"""No dead surfaces (issue 17.3) and one log format (17.2), on a real `kubedrift watch`.

Every metric the README, the Grafana dashboard and the PrometheusRule name must be exported
by a real watch process, and fed where this scenario exercises it (a drift, an alert, a
self-heal dry run, workload kinds a 1.20 apiserver does not serve); the skipped workload
kinds (`FleetTracker.notes`) must reach the probes, the metric and the log; and every log
line of `watch` and `serve` must parse as the format `kubedrift.cli.logs` documents.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from alerts.receiver import Receiver
from api.serving import get, kubedrift_serve
from controller.probing import http_get, wait_for
from support.apiserver import ApiServer, free_port
from support.logformat import TEXT_LINE, parse_json_line

ROOT = Path(__file__).resolve().parents[2]
KUBEDRIFT = Path(sys.executable).parent / "kubedrift"
NS = "watch-surfaces"
DESIRED = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: surfaces, namespace: {NS}}}
data: {{mode: "a"}}
"""
PREDICT_ONLY = {  # written by `predict --textfile`, not by the controller (README says so)
    "kubedrift_predicted_risk_entities",
    "kubedrift_predicted_risk_max",
    "kubedrift_prediction_cutoff_timestamp_seconds",
}
NOT_IN_THIS_SCENARIO = {
    # fed when a watch is re-established (410 Gone, an error): tests/controller/
    # test_fault_injection.py restarts the apiserver for that; here it must only exist
    "kubedrift_watch_restarts_total",
}
_SUFFIXES = ("_bucket", "_count", "_sum")


def documented_metrics() -> set[str]:
    """Metric names in README.md, the Grafana dashboard and the PrometheusRule."""
    files = (
        ROOT / "README.md",
        ROOT / "charts" / "kubedrift" / "files" / "grafana-dashboard.json",
        ROOT / "charts" / "kubedrift" / "templates" / "prometheusrule.yaml",
    )
    names = set()
    for path in files:
        text = path.read_text(encoding="utf-8")
        names |= {_base(n) for n in re.findall(r"\bkubedrift_[a-z_]+[a-z]", text)}
    return names - PREDICT_ONLY


def _base(name: str) -> str:
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def kubectl(server: ApiServer, *args: str) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _families(body: str) -> tuple[set[str], set[str]]:
    """Metric families exported (`# TYPE` lines) and names that have a sample."""
    lines = body.splitlines()
    typed = {_counter_name(line.split()[2]) for line in lines if line.startswith("# TYPE ")}
    sampled = set()
    for line in body.splitlines():
        if line and not line.startswith("#"):
            sampled.add(_counter_name(_base(line.split("{", 1)[0].split(" ", 1)[0])))
    return typed, sampled


def _counter_name(name: str) -> str:
    return name.removesuffix("_total")


@pytest.fixture(scope="module")
def watched(apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A watch process through a drift and its alert; its /metrics, /healthz and log."""
    tmp = tmp_path_factory.mktemp("surfaces")
    (tmp / "desired").mkdir()
    (tmp / "desired" / "cm.yaml").write_text(DESIRED)
    kubectl(apiserver, "create", "namespace", NS)
    kubectl(apiserver, "apply", "-f", str(tmp / "desired" / "cm.yaml"))
    port = free_port()
    argv = [
        str(KUBEDRIFT), "watch", "--kubeconfig", str(apiserver.kubeconfig),
        "--desired", str(tmp / "desired"), "--store", str(tmp / "timeline.db"),
        "--listen", f"127.0.0.1:{port}", "--webhook-listen", f"127.0.0.1:{free_port()}",
        "--alert-group-wait", "0.2", "--heal", "--workload-interval", "1",
        "--predict",  # the forecast gauges the README documents for `watch --predict`
    ]  # fmt: skip
    env = {**os.environ, "KUBEDRIFT_LOG_FORMAT": "json"}
    with Receiver() as receiver, (tmp / "watch.log").open("w") as log:
        argv += ["--alert-webhook", receiver.url]
        proc = subprocess.Popen(argv, stdout=log, stderr=log, env=env, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for("/readyz", lambda: http_get(base + "/readyz")[0] == 200, timeout=60)
            kubectl(apiserver, "patch", "configmap", "surfaces", "-n", NS,
                    "-p", '{"data": {"mode": "b"}}')  # fmt: skip
            wait_for("the alert", lambda: receiver.requests, timeout=60)
            metrics = wait_for(
                "alert and heal counters, a forecast made",
                lambda: (
                    (b := http_get(base + "/metrics")[1])
                    and "kubedrift_alerts_total{" in b
                    and "kubedrift_heal_actions_total{" in b
                    and "\nkubedrift_prediction_timestamp_seconds " in b
                    and b
                ),
                timeout=60,
            )
            health = http_get(base + "/healthz")[1]
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0, (tmp / "watch.log").read_text()
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return {"metrics": metrics, "health": health, "log": (tmp / "watch.log").read_text()}


def test_every_documented_metric_is_exported_and_fed(watched: dict[str, str]) -> None:
    documented = documented_metrics()
    assert len(documented) >= 15, documented  # the README list and the dashboard were read
    typed, sampled = _families(watched["metrics"])
    assert {_counter_name(n) for n in documented} <= typed, documented - typed
    unfed = {_counter_name(n) for n in documented - NOT_IN_THIS_SCENARIO} - sampled
    assert not unfed, f"documented but never fed: {sorted(unfed)}"


def test_skipped_workload_kinds_surface_in_watch_mode(watched: dict[str, str]) -> None:
    """A 1.20 apiserver serves no JobSet, Kueue or Velero kinds: the watcher says so."""
    notes = json.loads(watched["health"]).get("notes", [])
    assert any("JobSet" in note for note in notes), notes
    assert 'kubedrift_skipped_kinds{kind="JobSet"' in watched["metrics"]
    records = [parse_json_line(line) for line in watched["log"].splitlines()]
    assert any("JobSet" in r["message"] and r["level"] == "warning" for r in records)


def test_every_watch_log_line_is_a_json_record(watched: dict[str, str]) -> None:
    lines = watched["log"].splitlines()
    assert lines
    records = [parse_json_line(line) for line in lines]
    assert any(r["logger"].startswith("kubedrift.") for r in records)
    assert "s3cr3t-token" not in watched["log"], "a webhook URL's secret path reached the log"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_every_serve_log_line_parses(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEDRIFT_LOG_FORMAT", fmt)
    store = tmp_path / "timeline.db"
    subprocess.run(
        [str(KUBEDRIFT), "simulate", "--history", "1", "--seed", "0", "--store", str(store)],
        check=True,
        capture_output=True,
    )
    log = tmp_path / "serve.log"
    with kubedrift_serve(str(store), log, "--auth", "none", "--access-log") as base:
        assert get(base + "/api/v1/findings")[0] == 200
    lines = log.read_text().splitlines()
    assert any("/api/v1/findings" in line for line in lines), lines  # the access log
    for line in lines:
        if fmt == "json":
            parse_json_line(line)
        else:
            assert TEXT_LINE.match(line), line

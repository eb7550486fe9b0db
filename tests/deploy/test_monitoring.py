"""The Grafana dashboard and the alerting rules: real metric names, valid, and firing for real.

- every `kubedrift_*` name in the dashboard and the rules is a sample the controller exports
  (`ControllerMetrics`, every metric exercised so its labelled series exist);
- the rules pass Debian's `promtool check rules`, and deploy/monitoring/kubedrift-rules.yaml is
  the chart's PrometheusRule rendered with its defaults (helm, when installed);
- a real Prometheus scraping a `ControllerMetrics` evaluates them: each alert goes pending
  when its condition holds, and the critical-node-under-a-job alert only when both parts do.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from deploy.test_chart import HELM, NAMESPACE
from kubedrift.controller.metrics import ControllerMetrics
from support.prometheus import Prometheus, config_text, prometheus_binary, start_prometheus

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kubedrift"
DASHBOARD = CHART / "files" / "grafana-dashboard.json"
RULES = ROOT / "deploy" / "monitoring" / "kubedrift-rules.yaml"
TEMPLATE = (str(HELM), "template", "kubedrift", str(CHART), "--namespace", NAMESPACE)
NAME = re.compile(r"\bkubedrift_[a-z_]+\b")


def exercised() -> ControllerMetrics:
    """Metrics with every labelled series present (a label set appears once it is used)."""
    metrics = ControllerMetrics()
    metrics.observe_detection_latency(0.01, "Deployment")
    metrics.watch_restarted("Deployment", "expired")
    metrics.synced("Deployment", time.time())
    metrics.set_revision("4f1c2e0", "https://git.example/repo")
    metrics.events_processed("Deployment")
    metrics.tracked_objects("Deployment", 3)
    metrics.observe_store_write(0.002)
    metrics.alert_outcome("slack", "sent")
    metrics.set_skipped_kinds([("PyTorchJob", "not-served")])
    return metrics


def exported_names() -> set[str]:
    text = exercised().render()[0].decode()
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def dashboard_exprs() -> list[str]:
    doc = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in doc["panels"] for t in panel.get("targets", [])]


def rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load(RULES.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_the_name_scanner_finds_names() -> None:
    assert NAME.findall("histogram_quantile(0.9, rate(kubedrift_x_bucket[5m])) > kubedrift_y") == [
        "kubedrift_x_bucket",
        "kubedrift_y",
    ]


def test_every_metric_the_dashboard_names_is_exported() -> None:
    named = {n for expr in dashboard_exprs() for n in NAME.findall(expr)}
    assert len(named) >= 12  # the dashboard covers the metrics, not one or two
    assert named - exported_names() == set()


def test_every_metric_the_rules_name_is_exported() -> None:
    named = {n for rule in rules() for n in NAME.findall(rule["expr"])}
    assert named - exported_names() == set()


def test_the_dashboard_uses_a_datasource_variable_not_a_fixed_one() -> None:
    doc = json.loads(DASHBOARD.read_text())
    assert [v["name"] for v in doc["templating"]["list"]] == ["datasource"]
    assert {p["datasource"]["uid"] for p in doc["panels"]} == {"${datasource}"}


def test_the_rules_pass_promtool() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not installed: run scripts/ensure-monitoring.sh")
    args = [promtool, "check", "rules", str(RULES)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules())} rules found" in done.stdout


@pytest.mark.skipif(not HELM.is_file(), reason=f"no real helm at {HELM}")
def test_the_rules_file_is_the_chart_s_prometheus_rule() -> None:
    out = subprocess.run(
        [
            *TEMPLATE,
            "--set",
            "metrics.prometheusRule.enabled=true",
            "--show-only",
            "templates/prometheusrule.yaml",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert yaml.safe_load(out)["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"]


@pytest.mark.skipif(not HELM.is_file(), reason=f"no real helm at {HELM}")
def test_the_dashboard_config_map_holds_the_json() -> None:
    out = subprocess.run(
        [
            *TEMPLATE,
            "--set",
            "metrics.grafanaDashboard.enabled=true",
            "--show-only",
            "templates/grafana-dashboard.yaml",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    config_map = yaml.safe_load(out)
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["kubedrift.json"]) == json.loads(DASHBOARD.read_text())


# -- a real Prometheus evaluates the rules ----------------------------------------------------


class _Metrics(BaseHTTPRequestHandler):
    metrics: ControllerMetrics

    def do_GET(self) -> None:
        body, content_type = self.metrics.render()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def serving() -> Iterator[tuple[ControllerMetrics, str]]:
    metrics = exercised()
    handler = type("Handler", (_Metrics,), {"metrics": metrics})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield metrics, f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def prometheus_with_rules(serving: tuple[ControllerMetrics, str]) -> Iterator[Prometheus]:
    binary = prometheus_binary()
    if binary is None:
        pytest.fail("Debian's prometheus is not installed: run scripts/ensure-monitoring.sh")
    server = start_prometheus(binary)
    try:
        rules_file = server.workdir / "kubedrift-rules.yaml"
        shutil.copy(RULES, rules_file)
        server.config_file.write_text(
            config_text([serving[1]]) + f"rule_files: [{json.dumps(str(rules_file))}]\n"
        )
        request = urllib.request.Request(server.url + "/-/reload", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        yield server
    finally:
        server.stop()


def alerts(prometheus: Prometheus) -> set[str]:
    return {r["metric"]["alertname"] for r in prometheus.query("ALERTS")}


def scraped(prometheus: Prometheus, promql: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not prometheus.query(promql):
        if time.monotonic() > deadline:
            raise AssertionError(f"{promql!r} never held\n{prometheus.log_tail()}")
        time.sleep(0.25)


def wait_for(prometheus: Prometheus, wanted: set[str], timeout: float = 30.0) -> set[str]:
    deadline = time.monotonic() + timeout
    while True:
        found = alerts(prometheus)
        if wanted <= found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"alerts {found}, wanted {wanted}\n{prometheus.log_tail()}")
        time.sleep(0.5)


@pytest.mark.prometheus
def test_the_rules_go_off_in_a_real_prometheus(
    serving: tuple[ControllerMetrics, str], prometheus_with_rules: Prometheus
) -> None:
    metrics, _ = serving
    metrics.set_leader(True)
    metrics.set_open_findings({("node", "critical"): 1})
    metrics.set_degraded("store", True)
    scraped(prometheus_with_rules, "kubedrift_store_errors_total == 0")  # increase() needs a 0
    metrics.store_error()
    metrics.store_error()
    found = wait_for(
        prometheus_with_rules, {"KubedriftHighDrift", "KubedriftDegraded", "KubedriftStoreErrors"}
    )
    assert "KubedriftCriticalNodeDriftUnderRunningJob" not in found  # no workload at risk yet
    assert "KubedriftNoLeader" not in found
    metrics.set_open_findings({("node", "critical"): 1, ("workload", "critical"): 2})
    wait_for(prometheus_with_rules, {"KubedriftCriticalNodeDriftUnderRunningJob"})

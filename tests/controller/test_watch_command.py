"""`kubedrift watch` as users run it: a process with the read-only account, end to end.

The command runs with a token of the `kubedrift-controller` service account, which holds
only the `kubedrift-reader` ClusterRole and the leader-election Role from `deploy/` (RBAC
on), elects itself leader on the Lease, and alerts a real Alertmanager and a webhook. A
change made by another client must reach the timeline, both alert sinks and `/metrics`;
its revert must resolve all of them; SIGTERM must stop it cleanly and release the Lease.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from alerts.receiver import Receiver
from controller.probing import http_get, wait_for
from kubedrift.store import HistoryFilter, SqlStore
from support.alertmanager import Alertmanager
from support.apiserver import ApiServer, free_port

ROOT = Path(__file__).resolve().parents[2]
KUBEDRIFT = Path(sys.executable).parent / "kubedrift"
NS = "watch-cli"
LEASE_NS = "kubedrift-system"
DESIRED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: trainer-config, namespace: watch-cli}
data: {checkpoint_every: "500", nccl_debug: WARN}
"""


def kubectl(server: ApiServer, *args: str, kubeconfig: Path | None = None) -> str:
    argv = ["kubectl", f"--kubeconfig={kubeconfig or server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


@pytest.fixture(scope="module")
def reader_kubeconfig(apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kubeconfig holding a token of the controller account, bound as deploy/ binds it."""
    for name in ("namespace", "serviceaccount", "reader", "leader-election"):
        kubectl(apiserver, "apply", "-f", str(ROOT / "deploy" / "controller" / f"{name}.yaml"))
    token = kubectl(apiserver, "create", "token", "kubedrift-controller", "-n", LEASE_NS).strip()
    return apiserver.kubeconfig_for(token, tmp_path_factory.mktemp("reader") / "kubeconfig")


def _firing(receiver: Receiver, path: str, status: str) -> list[dict[str, Any]]:
    return [
        alert
        for request in receiver.requests
        for alert in request.body["alerts"]
        if alert["finding"]["path"] == path and alert["status"] == status
    ]


def _metric(body: str, name: str, **labels: str) -> float | None:
    """The sum of the samples of `name` whose labels include `labels` (None: no sample)."""
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.split("{", 1)[0].split(" ", 1)[0] == name
        and all(f'{k}="{v}"' in line for k, v in labels.items())
    ]
    return sum(values) if values else None


def test_watch_with_the_reader_account_alerts_records_and_resolves(
    apiserver: ApiServer,
    reader_kubeconfig: Path,
    alertmanager: Alertmanager,
    tmp_path: Path,
) -> None:
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "config.yaml").write_text(DESIRED)
    kubectl(apiserver, "create", "namespace", NS)
    kubectl(apiserver, "apply", "-f", str(tmp_path / "desired" / "config.yaml"))
    port, hook_port, db = free_port(), free_port(), tmp_path / "timeline.db"
    argv = [
        str(KUBEDRIFT), "watch",
        "--kubeconfig", str(reader_kubeconfig), "--desired", str(tmp_path / "desired"),
        "--cluster", "cli-e2e", "--store", str(db), "--listen", f"127.0.0.1:{port}",
        "--webhook-listen", f"127.0.0.1:{hook_port}",
        "--alertmanager", alertmanager.url, "--alert-group-wait", "0.2",
        "--leader-elect", "--lease-namespace", LEASE_NS, "--identity", "watch-test-1",
        "--webhook-secret", HOOK_SECRET,
    ]  # fmt: skip
    with Receiver() as receiver:
        argv += ["--alert-webhook", receiver.url]
        log = (tmp_path / "watch.log").open("w")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            _scenario(apiserver, alertmanager, receiver, base)
            hooks = f"http://127.0.0.1:{hook_port}"
            _git_hook_reloads(tmp_path / "desired" / "config.yaml", receiver, base, hooks)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0, (tmp_path / "watch.log").read_text()
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()
    output = (tmp_path / "watch.log").read_text()
    assert "Traceback" not in output, output
    assert "s3cr3t-token" not in output, "a webhook URL's secret path reached the log"
    lease = json.loads(kubectl(apiserver, "get", "lease", "-n", LEASE_NS, "-o", "json",
                               "kubedrift-controller"))  # fmt: skip
    assert not lease["spec"].get("holderIdentity"), "SIGTERM must release the Lease"
    with SqlStore.open(str(db)) as store:
        (episode,) = [
            s for s in store.history(HistoryFilter(cluster="cli-e2e"))
            if s.finding.path == "/data/checkpoint_every"
        ]  # fmt: skip
        assert episode.resolved_at is not None
        assert episode.finding.manager == "kubectl-patch"


def _scenario(server: ApiServer, am: Alertmanager, receiver: Receiver, base: str) -> None:
    wait_for("/readyz", lambda: http_get(base + "/readyz")[0] == 200)
    status, body = http_get(base + "/healthz")
    assert status == 200
    assert json.loads(body)["leader"] is True

    kubectl(server, "patch", "configmap", "trainer-config", "-n", NS,
            "-p", '{"data": {"checkpoint_every": "5000"}}')  # fmt: skip
    path = "/data/checkpoint_every"
    (alert,) = wait_for("the webhook alert", lambda: _firing(receiver, path, "firing"))
    assert alert["finding"]["live"] == "5000"
    assert alert["finding"]["manager"] == "kubectl-patch"
    wait_for("the Alertmanager alert", lambda: am.alerts('path="/data/checkpoint_every"'))
    metrics = wait_for(
        "the open-findings gauge",
        lambda: (
            (b := http_get(base + "/metrics")[1])
            and (_metric(b, "kubedrift_open_findings", category="object") or 0) >= 1
            and b
        ),
    )
    assert _metric(metrics, "kubedrift_detection_latency_seconds_count") is not None
    assert _metric(metrics, "kubedrift_leader") == 1.0

    kubectl(server, "patch", "configmap", "trainer-config", "-n", NS,
            "-p", '{"data": {"checkpoint_every": "500"}}')  # fmt: skip
    wait_for("the resolution", lambda: _firing(receiver, path, "resolved"))
    wait_for("Alertmanager's resolution", lambda: not am.alerts('path="/data/checkpoint_every"'))


HOOK_SECRET = "hook-s3cret"


def _git_hook_reloads(desired: Path, receiver: Receiver, base: str, hooks: str) -> None:
    """A push to Git (the desired file changed) is picked up when the webhook calls, long
    before the 60 s poll: the live value now differs from the new desired one. The hook is
    served on its own port (issue 12.7); the metrics port does not know it."""
    desired.write_text(DESIRED.replace("nccl_debug: WARN", "nccl_debug: INFO"))
    body = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push"}
    on_metrics_port = urllib.request.Request(base + "/hooks/git", data=body, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(on_metrics_port, timeout=5)
    missing.value.close()
    assert missing.value.code == 404
    unsigned = urllib.request.Request(hooks + "/hooks/git", data=body, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=5)
    refused.value.close()  # the error holds the response and its socket
    assert refused.value.code == 401
    signature = "sha256=" + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        hooks + "/hooks/git", data=body, method="POST",
        headers={**headers, "X-Hub-Signature-256": signature},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert resp.status == 202
    (alert,) = wait_for(
        "the new revision's drift", lambda: _firing(receiver, "/data/nccl_debug", "firing")
    )
    assert (alert["finding"]["desired"], alert["finding"]["live"]) == ("INFO", "WARN")


HA_NS = "watch-ha"
HA_DESIRED = DESIRED.replace("watch-cli", HA_NS)


def _leader(bases: list[str]) -> list[bool]:
    out = []
    for base in bases:
        status, body = http_get(base + "/healthz")
        out.append(status == 200 and bool(json.loads(body).get("leader")))
    return out


def _start(argv: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("w") as log:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def test_two_replicas_alert_once_and_the_standby_takes_over(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    """Two `kubedrift watch` processes on one Lease and one store: each drift is alerted
    exactly once, and when the leader stops the other carries on without re-alerting."""
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "config.yaml").write_text(HA_DESIRED)
    kubectl(apiserver, "create", "namespace", HA_NS)
    kubectl(apiserver, "apply", "-f", str(tmp_path / "desired" / "config.yaml"))
    ports, db = [free_port(), free_port()], tmp_path / "timeline.db"
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    path = "/data/checkpoint_every"

    def patch(value: str) -> None:
        kubectl(apiserver, "patch", "configmap", "trainer-config", "-n", HA_NS,
                "-p", json.dumps({"data": {"checkpoint_every": value}}))  # fmt: skip

    with Receiver() as receiver:
        procs = []
        for i, port in enumerate(ports):
            argv = [
                str(KUBEDRIFT), "watch", "--no-nodes",
                "--kubeconfig", str(apiserver.kubeconfig), "--desired", str(tmp_path / "desired"),
                "--cluster", "ha", "--store", str(db), "--listen", f"127.0.0.1:{port}",
                "--alert-webhook", receiver.url, "--alert-group-wait", "0.2",
                "--leader-elect", "--lease-namespace", "default", "--lease-name", "kubedrift-ha",
                "--identity", f"replica-{i}",
            ]  # fmt: skip
            procs.append(_start(argv, tmp_path / f"replica-{i}.log"))
        try:
            wait_for("a leader", lambda: sum(_leader(bases)) == 1)
            wait_for("both ready", lambda: all(http_get(b + "/readyz")[0] == 200 for b in bases))
            leader = _leader(bases).index(True)

            patch("5000")
            wait_for("the alert", lambda: _firing(receiver, path, "firing"))
            time.sleep(2.0)  # time for a duplicate to arrive, if the standby alerted too
            assert len(_firing(receiver, path, "firing")) == 1
            assert _leader(bases).count(True) == 1

            assert _stop(procs[leader]) == 0
            standby = 1 - leader
            wait_for("the takeover", lambda: _leader(bases)[standby], timeout=40)
            wait_for("the standby ready", lambda: http_get(bases[standby] + "/readyz")[0] == 200)

            patch("500")
            wait_for("the resolution", lambda: _firing(receiver, path, "resolved"), timeout=40)
            patch("250")
            wait_for("the next alert", lambda: len(_firing(receiver, path, "firing")) == 2)
            time.sleep(2.0)
            assert len(_firing(receiver, path, "firing")) == 2, "the first drift re-alerted"
            assert len(_firing(receiver, path, "resolved")) == 1
        finally:
            codes = [_stop(p) for p in procs]
            patch("500")
        logs = [(tmp_path / f"replica-{i}.log").read_text() for i in range(2)]
        assert codes == [0, 0], logs
        assert all("Traceback" not in text for text in logs), logs

"""Issue 3's proof: a real AI manifest set scans clean, then exactly the hand edits are found.

Applied with `kubectl apply` (client-side) and `kubectl apply --server-side`, read back
with the server's defaults, managedFields, controllers' additions — and no finding. Then
people change things (a different field manager as `kubectl edit` does, scale, env var,
delete, a Secret value, a field removed from Git): exactly those findings, each with the
right path, manager and time.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from kubedrift.cluster.connection import ClusterTarget
from kubedrift.engine import ScanRequest, run_scan
from kubedrift.model import Finding, Report
from support.apiserver import ApiServer

MANIFESTS = Path(__file__).parent / "manifests"
NS = "ai-e2e"
SECRET_VALUE = "hf_e2eSecretValueNeverPrinted42"
NEW_SECRET_VALUE = "hf_rotatedByHandAlsoNeverPrinted"


def kubectl(server: ApiServer, *args: str, stdin: str | None = None) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, input=stdin, check=False)
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


def scan(server: ApiServer, desired: Path) -> Report:
    request = ScanRequest(
        desired=(str(desired),),
        target=ClusterTarget(kubeconfig=server.kubeconfig),
        check_nodes=False,
        check_workloads=False,  # object drift only: other tests' workloads share the server
    )
    return asyncio.run(run_scan(request))


def by_path(report: Report) -> dict[tuple[str, str], Finding]:
    return {(f"{f.object.kind}/{f.object.name}", f.path): f for f in report.findings}


@pytest.fixture(scope="module")
def applied(apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The manifest set applied, half client-side, half server-side; returns desired's copy."""
    desired = tmp_path_factory.mktemp("desired")
    for src in MANIFESTS.iterdir():
        shutil.copy(src, desired / src.name)
    kubectl(apiserver, "apply", "-f", str(desired / "00-crd.yaml"))
    kubectl(apiserver, "wait", "--for=condition=Established", "crd/models.ml.example.com")
    kubectl(apiserver, "apply", "-f", str(desired / "10-namespace.yaml"))
    kubectl(apiserver, "apply", "-f", str(desired / "20-client-side.yaml"))
    kubectl(apiserver, "apply", "--server-side", "-f", str(desired / "30-server-side.yaml"))
    _wait_for_controllers(apiserver)
    return desired


def _wait_for_controllers(server: ApiServer) -> None:
    """Let the controller-manager do its writes (ReplicaSets, status, revision annotations)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = kubectl(server, "get", "deployment", "-n", NS, "llm-server", "-o", "json")
        if json.loads(out).get("status", {}).get("observedGeneration"):
            return
        time.sleep(0.5)
    raise AssertionError("the controller-manager never observed the Deployment")


def test_applied_set_scans_clean(apiserver: ApiServer, applied: Path) -> None:
    report = scan(apiserver, applied)
    assert report.objects_checked >= 12
    assert [f"{f.object} {f.path} {f.rule}: {f.message}" for f in report.findings] == []


def test_hand_edits_are_found_exactly(apiserver: ApiServer, applied: Path) -> None:
    before = time.time()
    _edit_like_people_do(apiserver, applied)
    report = scan(apiserver, applied)
    found = by_path(report)
    expected = {
        (
            "Deployment/llm-server",
            "/spec/template/spec/containers/name=server/env/name=MAX_BATCH/value",
        ),
        ("StatefulSet/vector-db", "/spec/replicas"),
        ("ConfigMap/serving-config", ""),
        ("Secret/hf-token", "/data/token"),
        ("Service/llm-server", "/metadata/labels/tier"),
        ("Job/finetune", "/metadata/labels/owner"),
    }
    assert set(found) == expected, sorted(found)
    env = found[
        (
            "Deployment/llm-server",
            "/spec/template/spec/containers/name=server/env/name=MAX_BATCH/value",
        )
    ]
    assert (env.desired, env.live, env.manager) == ("32", "64", "kubectl-edit")
    assert env.changed_at is not None
    assert _epoch(env.changed_at) >= before - 2
    assert found[("StatefulSet/vector-db", "/spec/replicas")].live == 3
    assert found[("ConfigMap/serving-config", "")].rule == "object-missing"
    assert (
        found[("Service/llm-server", "/metadata/labels/tier")].rule == "field-removed-from-desired"
    )
    assert found[("Job/finetune", "/metadata/labels/owner")].rule == "field-removed-from-desired"
    assert all(f.revision is None for f in report.findings)  # not a Git source


def test_secret_values_never_leave_the_process(apiserver: ApiServer, applied: Path) -> None:
    report = scan(apiserver, applied)
    text = json.dumps(report.to_json()) + repr(report)
    for value in (SECRET_VALUE, NEW_SECRET_VALUE):
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text
    secret = by_path(report)[("Secret/hf-token", "/data/token")]
    assert str(secret.desired).startswith("sha256:")
    assert str(secret.live).startswith("sha256:")
    assert secret.desired != secret.live


def _edit_like_people_do(server: ApiServer, desired: Path) -> None:
    # kubectl edit: a strategic-merge patch under the `kubectl-edit` field manager.
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "server", "env": [{"name": "MAX_BATCH", "value": "64"}]}]}}}}  # fmt: skip
    kubectl(server, "patch", "deployment", "-n", NS, "llm-server", "--field-manager=kubectl-edit",
            "-p", json.dumps(patch))  # fmt: skip
    kubectl(server, "scale", "statefulset", "-n", NS, "vector-db", "--replicas=3")
    kubectl(server, "delete", "configmap", "-n", NS, "serving-config")
    secret = {"stringData": {"token": NEW_SECRET_VALUE}}
    kubectl(
        server, "patch", "secret", "-n", NS, "hf-token", "--type=merge", "-p", json.dumps(secret)
    )
    # Fields removed from Git that the last apply set: one client-side, one server-side.
    _drop_line(desired / "20-client-side.yaml", "    tier: inference\n")
    _drop_line(desired / "30-server-side.yaml", "    owner: research\n")


def _drop_line(path: Path, line: str) -> None:
    text = path.read_text()
    assert line in text
    path.write_text(text.replace(line, "", 1))


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

"""Issue 10, points 4-6, against a real kube-apiserver v1.20.2: what managedFields really say.

The objects are written exactly as people write them: the real `kubectl` binary on PATH
(client-side `apply`, `apply --server-side`, `set env`, `edit` through `KUBE_EDITOR`,
`patch`, `label`, `annotate`, `scale`) — kubectl sends its own field manager names
(`kubectl-client-side-apply`, `kubectl`, `kubectl-set`, `kubectl-edit`, …) — and two custom
clients sending their own requests with httpx: a deploy bot that creates a Deployment (POST,
`fieldManager=deploy-bot`) and a tuning script that patches one (strategic-merge patch,
`fieldManager=gpu-tuning-script`), as a client-go or Python tool would.

- 4: `ipFamilies` / `ipFamilyPolicy`, which 1.20 drops while the IPv6DualStack gate is off,
  are one info `field-not-served` each, for client-side and server-side apply alike;
- 5: what people added or changed beyond desired is reported with who did it; defaults, the
  controller-manager's writes and the deploy bot's own object stay silent;
- 6: a `kubectl scale` (not recorded in managedFields before 1.22) is not credited to the
  applier; a removal, of which managedFields keep no record, is `unknown` with the evidence
  (the last apply it came after, the people who wrote since), never a guessed name.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from kubedrift.cluster.connection import ClusterTarget
from kubedrift.engine import ScanRequest, run_scan
from kubedrift.model import Report
from support.apiserver import ADMIN_TOKEN, ApiServer

NS = "mf-e2e"
PV = "mf-e2e-data"
KUBEDRIFT = Path(sys.executable).with_name("kubedrift")

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: mf-e2e
  labels: {{app: web, tier: front}}
spec:
  selector: {{app: web}}
  ipFamilyPolicy: SingleStack
  ipFamilies: [IPv4]
  ports: [{{port: 80, targetPort: 8080, protocol: TCP}}]
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: mf-e2e
  labels: {{app: {name}, team: ml}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: trainer
        image: ghcr.io/acme/trainer:1.0
        env: [{{name: MODE, value: prod}}]
        ports: [{{containerPort: 8080, protocol: TCP}}]
"""

PERSISTENT_VOLUME = f"""\
apiVersion: v1
kind: PersistentVolume
metadata: {{name: {PV}}}
spec:
  capacity: {{storage: 1Gi}}
  accessModes: [ReadWriteOnce]
  hostPath: {{path: /tmp/mf-e2e-data}}
"""

# Edits the Deployment as a person in `kubectl edit` would: one env var out, one port in.
EDITOR = """\
import sys, yaml
path = sys.argv[1]
obj = yaml.safe_load(open(path))
container = obj["spec"]["template"]["spec"]["containers"][0]
container["env"] = [e for e in container["env"] if e["name"] != "MODE"]
container["ports"].append({"containerPort": 9090, "protocol": "TCP"})
yaml.safe_dump(obj, open(path, "w"))
"""


def kubectl(server: ApiServer, *args: str, env: dict[str, str] | None = None) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(
        argv, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})}
    )
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


def custom_client(server: ApiServer, method: str, path: str, body: Any, manager: str) -> None:
    """A request as a custom tool sends it: its own field manager, no kubectl involved."""
    content_type = "application/json"
    if method == "PATCH":
        content_type = "application/strategic-merge-patch+json"
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": content_type}
    verify = ssl.create_default_context(cafile=str(server.ca_file))
    with httpx2.Client(base_url=server.url, verify=verify, headers=headers) as http:
        resp = http.request(
            method, path, params={"fieldManager": manager}, content=json.dumps(body)
        )
    assert resp.status_code < 300, resp.text


def scan(server: ApiServer, desired: Path) -> Report:
    request = ScanRequest(
        desired=(str(desired),),
        target=ClusterTarget(kubeconfig=server.kubeconfig),
        check_nodes=False,
        check_workloads=False,
    )
    return asyncio.run(run_scan(request))


def _wait_observed(server: ApiServer, *names: str) -> None:
    """Let the controller-manager write (ReplicaSets, status, the revision annotation)."""
    deadline = time.monotonic() + 30
    for name in names:
        while time.monotonic() < deadline:
            out = kubectl(server, "get", "deployment", "-n", NS, name, "-o", "json")
            obj = json.loads(out)
            if obj.get("status", {}).get("observedGeneration") == obj["metadata"]["generation"]:
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"the controller-manager never observed {name}")


@pytest.fixture(scope="module")
def applied(apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    """The desired folder, applied three ways, plus the deploy bot's own Deployment; and the
    scan right after (taken here, so the tests may run in any order)."""
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is not on PATH: these tests drive the real kubectl")
    folder = tmp_path_factory.mktemp("mf-desired")
    files = {
        "00-namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NS}}}\n",
        "10-csa.yaml": "---\n".join(
            [SERVICE.format(name="web-csa"), DEPLOYMENT.format(name="trainer-csa")]
        ),
        "20-ssa.yaml": "---\n".join(
            [SERVICE.format(name="web-ssa"), DEPLOYMENT.format(name="trainer-ssa")]
        ),
        "30-pv.yaml": PERSISTENT_VOLUME,
        "40-bot.yaml": DEPLOYMENT.format(name="trainer-bot"),
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    kubectl(apiserver, "apply", "-f", str(folder / "00-namespace.yaml"))
    kubectl(apiserver, "apply", "-f", str(folder / "10-csa.yaml"))
    kubectl(apiserver, "apply", "--server-side", "-f", str(folder / "20-ssa.yaml"))
    kubectl(apiserver, "apply", "-f", str(folder / "30-pv.yaml"))
    bot = yaml.safe_load(files["40-bot.yaml"])
    custom_client(
        apiserver, "POST", f"/apis/apps/v1/namespaces/{NS}/deployments", bot, "deploy-bot"
    )
    _wait_observed(apiserver, "trainer-csa", "trainer-ssa", "trainer-bot")
    return folder, scan(apiserver, folder)


def _key(finding: Any) -> tuple[str, str, str]:
    return (f"{finding.object.kind}/{finding.object.name}", finding.path, finding.rule)


def test_fields_the_server_drops_are_info_once_and_the_rest_is_clean(
    applied: tuple[Path, Report],
) -> None:
    """Point 4 (and 5's silence): before the fix each dropped field was `field-missing`."""
    report = applied[1]
    found = {_key(f): f for f in report.findings}
    assert set(found) == {
        (f"Service/{name}", f"/spec/{field}", "field-not-served")
        for name in ("web-csa", "web-ssa")
        for field in ("ipFamilies", "ipFamilyPolicy")
    }, sorted(found)
    policy = found[("Service/web-csa", "/spec/ipFamilyPolicy", "field-not-served")]
    assert (policy.severity.value, policy.desired, policy.manager) == ("info", "SingleStack", None)
    assert found[("Service/web-ssa", "/spec/ipFamilies", "field-not-served")].desired == ["IPv4"]
    assert report.objects_checked == 7


def test_hand_changes_are_found_with_who_and_when(
    apiserver: ApiServer, applied: tuple[Path, Report]
) -> None:
    """Points 5 and 6 end to end, through the CLI's JSON output."""
    desired = applied[0]
    before = time.time()
    _change_like_people_do(apiserver, desired.parent)
    kubectl(apiserver, "label", "service", "-n", NS, "web-csa", "tier-")
    _wait_observed(apiserver, "trainer-csa", "trainer-ssa")
    findings = _scan_json(apiserver, desired)
    found = {
        (f["object"]["kind"] + "/" + f["object"]["name"], f["path"], f["rule"]): f
        for f in findings
        if f["rule"] != "field-not-served"
    }
    csa_container = "/spec/template/spec/containers/name=trainer"
    expected = {
        # 5: additions and a changed default, each credited to the person's manager
        ("Deployment/trainer-csa", f"{csa_container}/env/name=EXTRA", "field-added"): "kubectl-set",
        (
            "Deployment/trainer-csa",
            f"{csa_container}/ports/containerPort=9090,protocol=TCP",
            "field-added",
        ): "kubectl-edit",
        ("Deployment/trainer-ssa", "/metadata/annotations/note", "field-added"): "kubectl-annotate",
        (
            "Deployment/trainer-ssa",
            "/spec/template/spec/nodeSelector/gpu",
            "field-added",
        ): "gpu-tuning-script",
        ("Service/web-csa", "/metadata/labels/owner", "field-added"): "kubectl-label",
        (
            f"PersistentVolume/{PV}",
            "/spec/persistentVolumeReclaimPolicy",
            "default-overridden",
        ): "kubectl-patch",
        # 6: `kubectl scale` on 1.20 leaves no managedFields trace: not the applier's doing
        ("Deployment/trainer-csa", "/spec/replicas", "field-changed"): "unknown",
        # 6: a removal leaves no trace in managedFields: unknown, with the evidence in details
        ("Service/web-csa", "/metadata/labels/tier", "field-missing"): "unknown",
        (
            "Deployment/trainer-csa",
            f"{csa_container}/env/name=MODE",
            "list-item-missing",
        ): "unknown",
        ("Service/web-ssa", "/metadata/labels/tier", "field-missing"): "unknown",
    }
    assert {key: f.get("manager") for key, f in found.items()} == expected
    reclaim = found[
        (f"PersistentVolume/{PV}", "/spec/persistentVolumeReclaimPolicy", "default-overridden")
    ]
    assert (reclaim["desired"], reclaim["live"]) == ("Retain", "Delete")
    assert (
        found[("Deployment/trainer-ssa", "/spec/template/spec/nodeSelector/gpu", "field-added")][
            "severity"
        ]
        == "high"
    )
    scaled = found[("Deployment/trainer-csa", "/spec/replicas", "field-changed")]
    assert (scaled["desired"], scaled["live"], scaled.get("changed_at")) == (2, 5, None)
    assert "kubectl-client-side-apply last applied 2" in scaled["details"]["attribution"]
    tier = found[("Service/web-csa", "/metadata/labels/tier", "field-missing")]
    # The removal came after the last apply; kubectl-label wrote since (the owner label), but
    # its entry's time did not move when it removed `tier`: naming it would be a guess.
    assert tier.get("changed_at") is None
    assert tier["details"]["writers_since"] == "kubectl-label"
    assert _epoch(tier["details"]["removed_after"]) <= before
    mode = found[("Deployment/trainer-csa", f"{csa_container}/env/name=MODE", "list-item-missing")]
    assert mode["details"]["writers_since"] == "kubectl-edit, kubectl-set"
    untraced = found[("Service/web-ssa", "/metadata/labels/tier", "field-missing")]["details"]
    assert "writers_since" not in untraced  # kubectl-label owned nothing else: no entry at all
    assert _epoch(untraced["removed_after"]) <= before
    added = found[("Deployment/trainer-csa", f"{csa_container}/env/name=EXTRA", "field-added")]
    assert _epoch(added["changed_at"]) >= int(before) - 1


def _change_like_people_do(server: ApiServer, workdir: Path) -> None:
    kubectl(server, "set", "env", "-n", NS, "deployment/trainer-csa", "EXTRA=1")
    editor = workdir / "edit-trainer.py"
    editor.write_text(EDITOR)
    kubectl(
        server,
        "edit",
        "-n",
        NS,
        "deployment/trainer-csa",
        env={"KUBE_EDITOR": f"{sys.executable} {editor}"},
    )
    kubectl(server, "scale", "-n", NS, "deployment/trainer-csa", "--replicas=5")
    kubectl(server, "annotate", "-n", NS, "deployment/trainer-ssa", "note=hotfix")
    kubectl(server, "rollout", "restart", "-n", NS, "deployment/trainer-ssa")  # not drift
    patch = {"spec": {"template": {"spec": {"nodeSelector": {"gpu": "a100"}}}}}
    path = f"/apis/apps/v1/namespaces/{NS}/deployments/trainer-ssa"
    custom_client(server, "PATCH", path, patch, "gpu-tuning-script")
    reclaim = {"spec": {"persistentVolumeReclaimPolicy": "Delete"}}
    kubectl(server, "patch", "persistentvolume", PV, "-p", json.dumps(reclaim))
    kubectl(server, "label", "service", "-n", NS, "web-ssa", "tier-")
    kubectl(server, "label", "service", "-n", NS, "web-csa", "owner=ops")
    time.sleep(1.1)  # managedFields times have one-second resolution


def _scan_json(server: ApiServer, desired: Path) -> list[dict[str, Any]]:
    argv = [
        str(KUBEDRIFT),
        "scan",
        "--desired",
        str(desired),
        "--kubeconfig",
        str(server.kubeconfig),
        "--no-nodes",
        "--no-workloads",
        "-o",
        "json",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout)["findings"]
    return findings


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

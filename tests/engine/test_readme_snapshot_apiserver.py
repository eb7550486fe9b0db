"""README's snapshot example, as written, against a real cluster: no false findings.

Regression for issue 10.9 (and 10.3): the bundled example applied to a fresh apiserver,
read back with README's own `kubectl get nodes,pods,deployments,jobs -A -o json
--show-managed-fields`, then scanned with `kubedrift scan --desired … --live live.json`.
Nothing was changed by hand, so nothing may be reported; the kinds the snapshot does not
hold (ConfigMap, Secret, Service, …) are notes, not missing objects.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.apiserver import ApiServer

ROOT = Path(__file__).resolve().parents[2]
DESIRED = ROOT / "examples" / "gpu-platform" / "desired"


def kubectl(server: ApiServer, *args: str) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


SNAPSHOT = ["get", "nodes,pods,deployments,jobs", "-A", "-o", "json", "--show-managed-fields"]
"""README's own snapshot command."""


def test_readme_snapshot_example_reports_no_drift(
    private_server: ApiServer, tmp_path: Path
) -> None:
    kubectl(private_server, "apply", "-f", str(DESIRED / "namespaces.yaml"))
    for folder in ("serving", "training"):
        kubectl(private_server, "apply", "-f", str(DESIRED / folder))
    live = tmp_path / "live.json"
    live.write_text(kubectl(private_server, *SNAPSHOT))
    scan = ["scan", "--desired", str(DESIRED), "--live", str(live)]
    argv = [sys.executable, "-m", "kubedrift", *scan]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    report = json.loads(done.stdout)
    assert report["findings"] == [], done.stdout
    assert done.returncode == 0, done.stderr
    assert report["summary"]["objects_checked"] == 2  # the Deployment and the Job
    notes = report["summary"]["notes"]
    for kind in ("Namespace", "Service", "ConfigMap", "Secret", "ServiceAccount", "Role"):
        assert any(note.startswith(f"{kind} ") and "not in the snapshot" in note for note in notes)

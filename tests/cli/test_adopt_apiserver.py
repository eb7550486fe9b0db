"""`kubedrift adopt` end to end against the real apiserver: hand edits go into Git.

The golden `e2e.yaml` (a Deployment and a ConfigMap, with comments) is committed to a Git
work tree and applied with `kubectl apply`. People then edit the cluster with kubectl's
own imperative commands: `set image`, `scale`, `set env` (one value changed, one variable
added), `label`, and `patch` of a ConfigMap key. `kubedrift adopt --all` must produce one
commit whose diff is exactly those fields (`golden/e2e.diff`, comments kept), and a scan
of the new HEAD against the same cluster must be clean.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from support.apiserver import ApiServer

ROOT = Path(__file__).resolve().parents[2]
KUBEDRIFT = ROOT / ".venv" / "bin" / "kubedrift"
GOLDEN = ROOT / "tests" / "remediate" / "golden"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBEDRIFT), *args], capture_output=True, text=True, check=False, timeout=180
    )


def kubectl(kubeconfig: Path, *args: str) -> str:
    done = subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
    return done.stdout


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def test_hand_edits_are_adopted_into_one_commit_and_the_next_scan_is_clean(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    kc = apiserver.kubeconfig
    ns = f"adopt-{uuid.uuid4().hex[:6]}"
    kubectl(kc, "create", "namespace", ns)
    repo = tmp_path / "gitops"
    (repo / "apps").mkdir(parents=True)
    manifest = repo / "apps" / "trainer.yaml"
    manifest.write_text((GOLDEN / "e2e.yaml").read_text())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "trainer")
    kubectl(kc, "apply", "-n", ns, "-f", str(manifest))

    on = ("-n", ns)
    kubectl(kc, "set", "image", "deployment/trainer", "app=nginx:1.20", *on)
    kubectl(kc, "scale", "deployment/trainer", "--replicas=3", *on)
    kubectl(kc, "set", "env", "deployment/trainer", "MODE=debug", "EXTRA=1", *on)
    kubectl(kc, "label", "deployment/trainer", "team=ml", *on)
    patch = json.dumps({"data": {"mode": "staging"}})
    kubectl(kc, "patch", "configmap", "trainer-settings", "-p", patch, *on)

    target = ("--kubeconfig", str(kc), "-n", ns)
    done = run("adopt", "--desired", str(repo / "apps"), *target, "--all")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("adopted 6 finding(s) on branch kubedrift/adopt-")
    assert git(repo, "diff", "HEAD~1", "HEAD") == (GOLDEN / "e2e.diff").read_text()
    assert git(repo, "status", "--porcelain") == ""

    scan = run(
        "scan", "--desired", f"{repo / 'apps'}@HEAD", *target, "--no-nodes", "--no-workloads",
        "-o", "json",
    )  # fmt: skip
    assert scan.returncode == 0, scan.stdout + scan.stderr
    assert json.loads(scan.stdout)["findings"] == []

"""`kubedrift plan` and `kubedrift apply` end to end against the real apiserver (RBAC on).

A Deployment is created with `kubectl apply`, edited by hand (`kubectl patch`: image and an
env var), and given a label by another field manager (a server-side apply by
`autoscaler-like`). The plan must hold exactly the two drifted fields; apply must revert
only them (managedFields: `kubedrift` owns them, the other manager still owns its label);
a change between plan and apply must come back as a conflict; the re-scan must be clean.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.apiserver import ApiServer

KUBEDRIFT = Path(os.environ.get("VIRTUAL_ENV", ".venv")) / "bin" / "kubedrift"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _bin() -> str:
    here = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kubedrift"
    return str(here if here.exists() else KUBEDRIFT)


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real `kubedrift` command, as a user runs it (stdin not a terminal)."""
    return subprocess.run(
        [_bin(), *args], capture_output=True, text=True, input=stdin or "", check=False, timeout=120
    )


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args],
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
    return done.stdout


def deployment(name: str) -> dict[str, Any]:
    labels = {"app": name}
    container = {"name": "app", "image": "nginx:1.19", "env": [{"name": "MODE", "value": "prod"}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def get(kubeconfig: Path, name: str) -> dict[str, Any]:
    # --raw: a newer kubectl hides managedFields from `get -o json`
    path = f"/apis/apps/v1/namespaces/default/deployments/{name}"
    out = kubectl(kubeconfig, "get", "--raw", path)
    return dict(json.loads(out))


def owned(obj: dict[str, Any], manager: str) -> str:
    """The fieldsV1 of `manager`, as text (enough to look for a field's key)."""
    entries = [m for m in obj["metadata"].get("managedFields", []) if m["manager"] == manager]
    return json.dumps([e.get("fieldsV1") for e in entries])


@pytest.fixture
def drifted(apiserver: ApiServer, tmp_path: Path) -> tuple[str, Path]:
    """A Deployment applied from Git, then hand-edited; another manager owns a label."""
    name = f"web-{uuid.uuid4().hex[:6]}"
    desired = tmp_path / "desired.yaml"
    desired.write_text(yaml.safe_dump(deployment(name)))
    kc = apiserver.kubeconfig
    kubectl(kc, "apply", "-f", str(desired))
    hand = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:1.20",
                            "env": [{"name": "MODE", "value": "debug"}],
                        }
                    ]
                }
            }
        }
    }
    kubectl(kc, "patch", "deployment", name, "-n", "default", "-p", json.dumps(hand))
    other = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": {"team": "ml"}},
    }
    kubectl(
        kc,
        "apply",
        "--server-side",
        "--field-manager=autoscaler-like",
        "-f",
        "-",
        stdin=json.dumps(other),
    )
    return name, desired


def plan_json(kc: Path, desired: Path) -> dict[str, Any]:
    done = run("plan", "--desired", str(desired), "--kubeconfig", str(kc), "-o", "json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def mine(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [a for a in doc["actions"] if a["object"]["name"] == name]


IMAGE = "/spec/template/spec/containers/name=app/image"
ENV = "/spec/template/spec/containers/name=app/env/name=MODE/value"


def test_plan_shows_exactly_the_hand_edits(apiserver: ApiServer, drifted: tuple[str, Path]) -> None:
    name, desired = drifted
    actions = mine(plan_json(apiserver.kubeconfig, desired), name)
    reverts = {a["finding"]["path"]: a for a in actions if a["action"] == "revert"}
    assert set(reverts) == {IMAGE, ENV}
    image = reverts[IMAGE]["patch"]
    assert image["metadata"]["name"] == name
    assert image["metadata"]["resourceVersion"]
    assert image["spec"] == {
        "template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.19"}]}}
    }
    env = reverts[ENV]["patch"]["spec"]["template"]["spec"]["containers"]
    assert env == [{"name": "app", "env": [{"name": "MODE", "value": "prod"}]}]
    assert all(a["dry_run"]["ok"] for a in reverts.values()), reverts
    others = [a for a in actions if a["action"] != "revert"]
    assert all(a["action"] in ("adopt", "none") for a in others), others


def test_plan_formats(apiserver: ApiServer, drifted: tuple[str, Path]) -> None:
    name, desired = drifted
    base = ["plan", "--desired", str(desired), "--kubeconfig", str(apiserver.kubeconfig)]
    table = run(*base, "-o", "table")
    assert table.returncode == 0
    assert f"Deployment/default/{name}" in table.stdout
    assert "revert" in table.stdout
    yml = run(*base, "-o", "yaml")
    assert yaml.safe_load(yml.stdout)["schema"] == "kubedrift/v1"
    markdown = run(*base, "-o", "markdown")
    assert markdown.stdout.startswith("# kubedrift plan")
    assert "| revert |" in markdown.stdout
    patch = run(*base, "-o", "patch")
    bodies = [d for d in yaml.safe_load_all(patch.stdout) if d["metadata"]["name"] == name]
    assert len(bodies) == 1  # both reverts of the object in one SSA body
    container = bodies[0]["spec"]["template"]["spec"]["containers"][0]
    assert container == {
        "name": "app",
        "image": "nginx:1.19",
        "env": [{"name": "MODE", "value": "prod"}],
    }


def test_apply_reverts_only_the_drifted_fields_and_the_finding_resolves(
    apiserver: ApiServer, drifted: tuple[str, Path], tmp_path: Path
) -> None:
    name, desired = drifted
    kc = apiserver.kubeconfig
    store = tmp_path / "timeline.db"
    base = ["--desired", str(desired), "--kubeconfig", str(kc), "--store", str(store)]
    refused = run("apply", *base)  # no terminal, no --yes
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith("pass --yes")
    assert refused.stderr.count("\n") == 1
    dry = run("apply", *base, "--dry-run", "server", "-o", "json")
    assert dry.returncode == 0, dry.stderr
    assert {o["result"] for o in json.loads(dry.stdout)["outcomes"]} == {"dry-run"}
    assert get(kc, name)["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.20"

    done = run("apply", *base, "--yes", "--kind", "Deployment", "-o", "json", "--actor", "ops")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    [outcome] = [o for o in doc["outcomes"] if o["object"]["name"] == name]
    assert outcome["result"] == "applied"
    assert set(outcome["paths"]) == {IMAGE, ENV}
    assert set(outcome["findings"]) <= set(doc["resolved"])

    obj = get(kc, name)
    container = obj["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.19"
    assert container["env"] == [{"name": "MODE", "value": "prod"}]
    assert obj["metadata"]["labels"]["team"] == "ml"  # the other manager's field, untouched
    assert '"f:team"' in owned(obj, "autoscaler-like")
    assert '"f:image"' in owned(obj, "kubedrift")
    assert '"f:replicas"' not in owned(obj, "kubedrift")

    scan = run(
        "scan", "--desired", str(desired), "--kubeconfig", str(kc), "--no-nodes", "--no-workloads"
    )
    paths = {f["path"] for f in json.loads(scan.stdout)["findings"]}
    assert IMAGE not in paths
    assert ENV not in paths

    history = run("history", "--store", str(store), "--actions", "-o", "json")
    assert history.returncode == 0, history.stderr
    records = json.loads(history.stdout)["actions"]
    applied = [r for r in records if r["object"]["name"] == name and not r["dry_run"]]
    assert applied[-1]["actor"] == "ops"
    assert applied[-1]["result"] == "applied"
    assert {c["path"] for c in applied[-1]["changes"]} == {IMAGE, ENV}
    assert {c["to"] for c in applied[-1]["changes"]} == {"nginx:1.19", "prod"}
    table = run("history", "--store", str(store), "--actions", "-o", "table")
    assert f"Deployment/default/{name}" in table.stdout
    assert "applied" in table.stdout


def test_a_change_between_plan_and_apply_is_a_conflict(
    apiserver: ApiServer, drifted: tuple[str, Path], tmp_path: Path
) -> None:
    name, desired = drifted
    kc = apiserver.kubeconfig
    saved = tmp_path / "plan.json"
    doc = plan_json(kc, desired)
    doc["actions"] = mine(doc, name)
    saved.write_text(json.dumps(doc))
    kubectl(kc, "annotate", "deployment", name, "-n", "default", "touched=yes")
    store = tmp_path / "timeline.db"
    done = run(
        "apply", "--plan", str(saved), "--kubeconfig", str(kc), "--yes", "--store", str(store)
    )
    assert done.returncode == 1
    assert "conflict" in done.stdout
    assert "conflict" in done.stderr
    assert get(kc, name)["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.20"
    records = json.loads(run("history", "--store", str(store), "--actions", "-o", "json").stdout)
    assert [r["result"] for r in records["actions"]] == ["conflict"]


def _token(apiserver: ApiServer, with_remediation: bool) -> str:
    """The controller account's token, with the opt-in remediation role bound or not."""
    kc = apiserver.kubeconfig
    kubectl(kc, "apply", "-k", str(DEPLOY / "controller"))
    if with_remediation:
        kubectl(kc, "apply", "-k", str(DEPLOY / "remediation"))
    else:
        kubectl(kc, "delete", "-k", str(DEPLOY / "remediation"), "--ignore-not-found")
    body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest"})
    out = kubectl(
        kc,
        "create",
        "--raw",
        "/api/v1/namespaces/kubedrift-system/serviceaccounts/kubedrift-controller/token",
        "-f",
        "-",
        stdin=body,
    )
    return str(json.loads(out)["status"]["token"])


def test_the_reader_cannot_apply_and_the_remediation_role_can(
    apiserver: ApiServer, drifted: tuple[str, Path], tmp_path: Path
) -> None:
    name, desired = drifted
    store = str(tmp_path / "timeline.db")
    reader = apiserver.kubeconfig_for(_token(apiserver, False), tmp_path / "reader")
    args = ["apply", "--desired", str(desired), "--yes", "--store", store, "--kind", "Deployment"]
    denied = run(*args, "--kubeconfig", str(reader))
    assert denied.returncode == 1
    assert "forbidden" in denied.stderr
    assert "Traceback" not in denied.stderr
    image = get(apiserver.kubeconfig, name)["spec"]["template"]["spec"]["containers"][0]
    assert image["image"] == "nginx:1.20"
    remediator = apiserver.kubeconfig_for(_token(apiserver, True), tmp_path / "remediator")
    try:
        allowed = run(*args, "--kubeconfig", str(remediator))
    finally:  # the shared server's controller account is a reader again for later tests
        kubectl(apiserver.kubeconfig, "delete", "-k", str(DEPLOY / "remediation"))
    assert allowed.returncode == 0, allowed.stderr
    image = get(apiserver.kubeconfig, name)["spec"]["template"]["spec"]["containers"][0]
    assert image["image"] == "nginx:1.19"

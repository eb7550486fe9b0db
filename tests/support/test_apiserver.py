"""The test bed runs the real binaries and leaves no process behind."""

from __future__ import annotations

import json
import os

import pytest

from support.apiserver import ApiServer, missing_binaries, start_apiserver


def test_server_reports_v1_20_2(apiserver: ApiServer) -> None:
    status, body = apiserver.get("/version")
    assert status == 200
    assert json.loads(body)["gitVersion"] == "v1.20.2"


def test_rbac_is_on_for_unknown_tokens(apiserver: ApiServer) -> None:
    status, _ = apiserver.get("/api/v1/nodes", token="not-a-token")
    assert status == 401


def test_controller_manager_runs(apiserver: ApiServer) -> None:
    assert apiserver.procs["kube-controller-manager"].poll() is None


@pytest.mark.apiserver
def test_stop_leaves_no_process_behind() -> None:
    if missing_binaries():
        pytest.fail("run `make kube` first")
    server = start_apiserver(controller_manager=False)
    pids = [p.pid for p in server.procs.values()]
    workdir = server.workdir
    server.stop()
    for pid in pids:
        assert not _alive(pid), f"process {pid} still running"
    assert not workdir.exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it has exited if /proc says so.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"

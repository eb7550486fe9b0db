"""Typed API errors (issue 17.1): one translation, decided by status, never by message text.

The mapping itself is pure; the real apiserver then shows that each failure a user meets
arrives as its type, with the same one line the CLI always printed and the library's
exception chained as the cause.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.errors import (
    ApiError,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    api_error,
    status_error,
)
from kubedrift.cluster.rest import send_json
from kubedrift.model import ClusterError
from support.apiserver import ApiServer, free_port

NS = "typed-errors"


@pytest.mark.parametrize(
    ("status", "cls", "line"),
    [
        (401, Unauthorized, "x: unauthorized (check the credentials): m"),
        (403, Forbidden, "x: forbidden: m"),
        (404, NotFound, "x: HTTP 404: m"),
        (409, Conflict, "x: conflict: m"),
        (410, Gone, "x: HTTP 410: m"),
        (429, TooManyRequests, "x: HTTP 429: m"),
        (500, Unavailable, "x: HTTP 500: m"),
        (503, Unavailable, "x: HTTP 503: m"),
        (422, ApiError, "x: HTTP 422: m"),
    ],
)
def test_each_status_has_its_type_and_the_usual_line(
    status: int, cls: type[ApiError], line: str
) -> None:
    err = api_error(status, "m", where="x")
    assert type(err) is cls
    assert isinstance(err, ClusterError)
    assert (err.status, str(err)) == (status, line)


def test_watch_error_events_are_typed_too() -> None:
    gone = status_error({"kind": "Status", "code": 410, "message": "too old"}, "configmaps")
    assert isinstance(gone, Gone)
    failed = status_error({"kind": "Status", "code": 500, "message": "etcd"}, "configmaps")
    assert isinstance(failed, Unavailable)
    assert str(failed) == "watch configmaps: watch error 500: etcd"


def _kubectl(server: ApiServer, *args: str) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


async def _raised(kubeconfig: Path, coro: Any) -> BaseException:
    async with Connection(ClusterTarget(kubeconfig=kubeconfig)) as conn:
        try:
            await coro(conn)
        except ClusterError as err:
            return err
    raise AssertionError("no error raised")


@pytest.mark.apiserver
def test_the_real_apiserver_answers_arrive_typed(apiserver: ApiServer, tmp_path: Path) -> None:
    _kubectl(apiserver, "create", "namespace", NS)
    _kubectl(apiserver, "create", "configmap", "taken", "-n", NS)
    _kubectl(apiserver, "create", "serviceaccount", "nobody", "-n", NS)
    token = _kubectl(apiserver, "create", "token", "nobody", "-n", NS).strip()
    nobody = apiserver.kubeconfig_for(token, tmp_path / "nobody.kubeconfig")
    stranger = apiserver.kubeconfig_for("not-a-token", tmp_path / "stranger.kubeconfig")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "taken"}}
    path = f"/api/v1/namespaces/{NS}/configmaps"

    async def list_secrets(conn: Connection) -> None:
        await conn.get_json(f"/api/v1/namespaces/{NS}/secrets", what="list secrets")

    async def create_again(conn: Connection) -> None:
        await send_json(conn, "POST", path, cm, what="ConfigMap/taken")

    async def patch_missing(conn: Connection) -> None:
        body = {"data": {"k": "v"}}
        await send_json(conn, "PATCH", f"{path}/absent", body, what="ConfigMap/absent",
                        content_type="application/merge-patch+json")  # fmt: skip

    forbidden = asyncio.run(_raised(nobody, list_secrets))
    assert isinstance(forbidden, Forbidden)
    assert str(forbidden).startswith("list secrets: forbidden: ")
    unauthorized = asyncio.run(_raised(stranger, list_secrets))
    assert isinstance(unauthorized, Unauthorized)
    conflict = asyncio.run(_raised(apiserver.kubeconfig, create_again))
    assert isinstance(conflict, Conflict)
    assert "already exists" in str(conflict)
    missing = asyncio.run(_raised(apiserver.kubeconfig, patch_missing))
    assert isinstance(missing, NotFound)


def test_no_answer_is_unavailable_with_the_cause_chained(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    kubeconfig = tmp_path / "closed.kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )

    async def get(conn: Connection) -> None:
        await conn.get_json("/api/v1/namespaces", what="list namespaces")

    err = asyncio.run(_raised(kubeconfig, get))
    assert isinstance(err, Unavailable)
    assert err.status == 0
    assert "cannot reach the API server" in str(err)
    assert err.__cause__ is not None  # the library's exception, for a debugger

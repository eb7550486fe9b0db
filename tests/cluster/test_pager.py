"""Paged LIST against the real apiserver: more objects than a page, an expired continue
token (etcd compacted under a read in progress, as its 5-minute compaction does to a slow
reader), the page size from the environment, and a kind RBAC does not let us list."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from typer.testing import CliRunner

from kubedrift.cli.main import app
from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.discovery import ApiResource, Discovery
from kubedrift.cluster.errors import Forbidden
from kubedrift.cluster.informer import ApiSource, Informer, InformerOptions
from kubedrift.cluster.pager import PAGE_SIZE_ENV, list_all, list_pages, page_size_from_env
from kubedrift.cluster.reader import fetch_desired
from kubedrift.model import InputError, ObjectRef
from support.apiserver import ADMIN_TOKEN, ApiServer

NS = "pager-test"
COUNT = 1_150  # more than two pages of the default 500


def _run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def _create(server: ApiServer, bodies: list[dict[str, Any]], path: str) -> None:
    """Parallel POSTs (32 at a time): a thousand objects in a few seconds."""
    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx2.AsyncClient(base_url=server.url, verify=ctx, headers=headers) as http:
        limit = asyncio.Semaphore(32)

        async def one(body: dict[str, Any]) -> None:
            async with limit:
                resp = await http.post(path, json=body)
            assert resp.status_code in (201, 409), resp.text

        await asyncio.gather(*(one(b) for b in bodies))


def _config_map(i: int) -> dict[str, Any]:
    meta = {"name": f"cm-{i:05d}", "namespace": NS, "labels": {"half": str(i % 2)}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"i": str(i)}}


@pytest.fixture(scope="module")
def server(private_server: ApiServer) -> ApiServer:
    """The module's own apiserver (these tests compact its etcd) with COUNT ConfigMaps."""
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    _run(_create(private_server, [ns], "/api/v1/namespaces"))
    path = f"/api/v1/namespaces/{NS}/configmaps"
    _run(_create(private_server, [_config_map(i) for i in range(COUNT)], path))
    return private_server


def _compact(server: ApiServer) -> int:
    """Compact etcd at its current revision (its v3 JSON gateway), as the apiserver's
    periodic compaction does; every continue token older than that revision expires."""

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(
            server.etcd_url + path, data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return dict(json.loads(resp.read()))

    key = base64.b64encode(b"/registry").decode()
    revision = int(post("/v3/kv/range", {"key": key, "limit": 1})["header"]["revision"])
    post("/v3/kv/compaction", {"revision": str(revision), "physical": True})
    return revision


async def _with_configmaps(
    server: ApiServer, work: Callable[[Connection, ApiResource], Awaitable[Any]]
) -> Any:
    async with Connection(ClusterTarget(kubeconfig=server.kubeconfig)) as conn:
        resource = await Discovery(conn).resource_for("v1", "ConfigMap")
        assert resource is not None
        return await work(conn, resource)


def test_more_objects_than_a_page_come_in_pages_each_once(server: ApiServer) -> None:
    async def go(conn: Connection, resource: ApiResource) -> tuple[list[int], list[str]]:
        sizes, names = [], []
        async for page in list_pages(conn, resource, namespace=NS):
            sizes.append(len(page.items))
            names += [i["metadata"]["name"] for i in page.items]
            assert all(i["kind"] == "ConfigMap" for i in page.items)
        return sizes, names

    sizes, names = _run(_with_configmaps(server, go))
    assert sizes == [500, 500, 150]
    assert sorted(names) == [f"cm-{i:05d}" for i in range(COUNT)]


def test_the_page_size_comes_from_the_environment(
    server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def go(conn: Connection, resource: ApiResource) -> list[int]:
        return [len(p.items) async for p in list_pages(conn, resource, namespace=NS)]

    monkeypatch.setenv(PAGE_SIZE_ENV, "400")
    assert _run(_with_configmaps(server, go)) == [400, 400, 350]
    monkeypatch.setenv(PAGE_SIZE_ENV, "0")  # paging off: one LIST
    assert _run(_with_configmaps(server, go)) == [COUNT]
    monkeypatch.setenv(PAGE_SIZE_ENV, "lots")
    with pytest.raises(InputError, match=PAGE_SIZE_ENV):
        page_size_from_env()


def test_an_expired_continue_token_restarts_the_list(server: ApiServer) -> None:
    """Between page 1 and page 2 an object is added and etcd compacted: page 2's request
    answers 410 Gone, and the read starts again, the new object in it, nothing twice."""

    async def go(conn: Connection, resource: ApiResource) -> tuple[list[bool], list[str]]:
        restarted: list[bool] = []
        names: list[str] = []
        async for page in list_pages(conn, resource, namespace=NS, page_size=300):
            if page.restarted:
                names = []
            restarted.append(page.restarted)
            names += [i["metadata"]["name"] for i in page.items]
            if len(restarted) == 1:
                path = f"/api/v1/namespaces/{NS}/configmaps"
                await _create(server, [_config_map(COUNT)], path)
                _compact(server)
        return restarted, names

    try:
        restarted, names = _run(_with_configmaps(server, go))
        assert restarted == [False, True, False, False, False]  # 1,151 objects: 4 pages
        assert sorted(names) == [f"cm-{i:05d}" for i in range(COUNT + 1)]
    finally:
        _delete(server, f"cm-{COUNT:05d}")


def test_list_all_and_the_desired_reader_start_again_after_an_expiry(server: ApiServer) -> None:
    """Both keep what the fresh snapshot holds, not a mix: an object deleted between the
    first page and the restart is gone from the result."""
    victim = "cm-00000"  # on the first page

    async def go(conn: Connection, resource: ApiResource) -> tuple[list[str], Any]:
        original = conn.get_bytes
        calls = 0

        async def get_bytes(*args: Any, **kwargs: Any) -> bytes | None:
            nonlocal calls
            calls += 1
            if calls == 2:  # after the first page of each read: delete, then compact
                await asyncio.to_thread(_delete, server, victim)
                _compact(server)
            return await original(*args, **kwargs)

        conn.get_bytes = get_bytes  # type: ignore[method-assign]
        listed = await list_all(conn, resource, namespace=NS, page_size=250)
        await _create(server, [_config_map(0)], f"/api/v1/namespaces/{NS}/configmaps")
        calls = 0
        refs = [ObjectRef("v1", "ConfigMap", NS, f"cm-{i:05d}") for i in range(COUNT)]
        live = await fetch_desired(conn, refs)
        return [i["metadata"]["name"] for i in listed], live

    names, live = _run(_with_configmaps(server, go))
    assert victim not in names
    assert len(names) == len(set(names)) == COUNT - 1
    assert live.objects[ObjectRef("v1", "ConfigMap", NS, victim)] is None
    assert sum(o is not None for o in live.objects.values()) == COUNT - 1
    _run(_create(server, [_config_map(0)], f"/api/v1/namespaces/{NS}/configmaps"))


def test_the_informer_relists_after_an_expired_continue_token(server: ApiServer) -> None:
    """The informer's initial list expires mid-way (its consumer is slow: a queue of one):
    it lists again and still delivers every object exactly once as ADDED."""

    async def go(conn: Connection, resource: ApiResource) -> tuple[set[str], int, int]:
        options = InformerOptions(page_size=100, queue_size=1)
        informer = Informer(ApiSource(conn, resource, namespace=NS, options=options))
        added: list[str] = []
        async for change in informer.changes():
            added.append(change.key[1])
            if len(added) == 1:
                _compact_after_write(server)
            if informer.synced.is_set():
                break
        assert len(added) == len(set(added))
        return set(added), informer.restart_reasons.get("expired", 0), informer.relists

    names, expired, relists = _run(_with_configmaps(server, go))
    assert expired == 1
    assert relists == 1  # the first list never finished; the second did
    assert len(names) == COUNT


def _compact_after_write(server: ApiServer) -> None:
    """A write (so the revision moves past the list's), then compaction."""
    body = json.dumps(_config_map(COUNT)).encode()
    req = urllib.request.Request(
        f"{server.url}/api/v1/namespaces/{NS}/configmaps",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
    )
    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    with urllib.request.urlopen(req, context=ctx, timeout=10):
        pass
    _delete(server, f"cm-{COUNT:05d}")
    _compact(server)


def _delete(server: ApiServer, name: str) -> None:
    req = urllib.request.Request(
        f"{server.url}/api/v1/namespaces/{NS}/configmaps/{name}",
        method="DELETE",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10):
            pass
    except urllib.error.HTTPError as err:
        if err.code != 404:
            raise


RBAC = f"""\
apiVersion: v1
kind: ServiceAccount
metadata: {{name: pager-narrow, namespace: {NS}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: pager-configmaps-only, namespace: {NS}}}
rules:
  - {{apiGroups: [""], resources: [configmaps], verbs: [get, list]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: pager-narrow, namespace: {NS}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: pager-configmaps-only}}
subjects:
  - {{kind: ServiceAccount, name: pager-narrow, namespace: {NS}}}
"""


def test_a_forbidden_kind_is_reported_and_the_pages_of_the_others_are_read(
    server: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kubedrift scan` end to end as an account that may list ConfigMaps (1,150 of them:
    three pages of 500) but not Secrets: the ConfigMaps are compared, the Secret's kind is
    `kind-not-readable`, and the 403 on the Secrets' first page stops nothing."""
    kubectl = ["kubectl", f"--kubeconfig={server.kubeconfig}"]
    (tmp_path / "rbac.yaml").write_text(RBAC)
    subprocess.run([*kubectl, "apply", "-f", str(tmp_path / "rbac.yaml")], check=True)
    token = subprocess.run(
        [*kubectl, "create", "token", "pager-narrow", "-n", NS],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    kubeconfig = server.kubeconfig_for(token, tmp_path / "narrow.kubeconfig")
    desired = tmp_path / "desired"
    desired.mkdir()
    docs = [_config_map(i) for i in range(COUNT)]
    docs[7]["data"] = {"i": "drifted"}
    docs.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": NS}})
    (desired / "all.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": docs})
    )
    monkeypatch.delenv(PAGE_SIZE_ENV, raising=False)
    result = CliRunner().invoke(
        app,
        [
            "scan",
            "--desired",
            str(desired),
            "--kubeconfig",
            str(kubeconfig),
            "--no-nodes",
            "--no-workloads",
            "-o",
            "json",
        ],
        standalone_mode=False,
    )
    if result.exception is not None:
        raise result.exception
    assert result.return_value == 2, result.output
    report = json.loads(result.stdout)
    rules = sorted((f["rule"], f["object"]["name"]) for f in report["findings"])
    assert ("kind-not-readable", "s") in rules
    assert [n for r, n in rules if r != "kind-not-readable"] == ["cm-00007"]
    assert report["summary"]["objects_checked"] >= COUNT


def test_forbidden_on_a_paged_list_is_typed(server: ApiServer, tmp_path: Path) -> None:
    """list_all raises `Forbidden` (callers note the kind), never a half-read list."""
    token_path = tmp_path / "narrow.kubeconfig"
    kubectl = ["kubectl", f"--kubeconfig={server.kubeconfig}"]
    (tmp_path / "rbac.yaml").write_text(RBAC)
    subprocess.run([*kubectl, "apply", "-f", str(tmp_path / "rbac.yaml")], check=True)
    token = subprocess.run(
        [*kubectl, "create", "token", "pager-narrow", "-n", NS],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    kubeconfig = server.kubeconfig_for(token, token_path)

    async def go() -> int:
        async with Connection(ClusterTarget(kubeconfig=kubeconfig)) as conn:
            disco = Discovery(conn)
            secrets = await disco.resource_for("v1", "Secret")
            configmaps = await disco.resource_for("v1", "ConfigMap")
            assert secrets is not None
            assert configmaps is not None
            with pytest.raises(Forbidden):
                await list_all(conn, secrets, namespace=NS)
            return len(await list_all(conn, configmaps, namespace=NS, page_size=200))

    assert _run(go()) == COUNT


def test_a_bad_page_size_is_one_line_and_exit_1(
    server: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked when a LIST is about to be sent (here: 20 desired ConfigMaps, one LIST)."""
    desired = tmp_path / "cm.json"
    items = [_config_map(i) for i in range(20)]
    desired.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    monkeypatch.setenv(PAGE_SIZE_ENV, "-5")
    done = subprocess.run(
        [sys.executable, "-m", "kubedrift", "scan", "--desired", str(desired), "--kubeconfig",
         str(server.kubeconfig), "--no-nodes", "--no-workloads"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "kubedrift: error: KUBEDRIFT_LIST_PAGE_SIZE: must be a whole number of objects per "
        "LIST page (0: no paging), not '-5'"
    ]

"""lightkube's `config.client_adapter`, used behind `cluster/lightkube_seam.py` only.

These fail, naming lightkube's version, when lightkube moves or reshapes the internal.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx2 as httpx
import lightkube.config.client_adapter
import pytest
from lightkube import KubeConfig

from kubedrift.cluster import lightkube_seam
from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.model.seams import LibraryChanged, installed_version
from support.apiserver import ApiServer

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:6443"}}]
users: [{name: u, user: {token: seam-test-token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


def config(tmp_path: Path) -> lightkube.config.kubeconfig.SingleConfig:
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    single = KubeConfig.from_file(tmp_path / "kubeconfig").get()
    assert single is not None
    return single


def test_the_adapter_builds_an_httpx2_client_for_the_kubeconfig(tmp_path: Path) -> None:
    client = lightkube_seam.adapter_client(config(tmp_path), httpx.Timeout(7.0))
    try:
        assert isinstance(client, httpx.AsyncClient), f"lightkube {installed_version('lightkube')}"
        assert str(client.base_url).rstrip("/") == "http://127.0.0.1:6443"
        assert client.timeout.read == 7.0
    finally:
        asyncio.run(client.aclose())


def test_a_changed_internal_is_one_line_naming_lightkube_and_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def reshaped(config: object) -> object:  # the factory lost its second parameter
        raise AssertionError("never called with two arguments")

    monkeypatch.setattr(lightkube.config.client_adapter, "AsyncClient", reshaped)
    with pytest.raises(LibraryChanged) as caught:
        lightkube_seam.adapter_client(config(tmp_path), httpx.Timeout(1.0))
    message = str(caught.value)
    assert f"lightkube {installed_version('lightkube')} changed" in message
    assert "lightkube.config.client_adapter.AsyncClient" in message
    assert "src/kubedrift/cluster/lightkube_seam.py" in message
    assert "\n" not in message


def test_a_connection_through_the_seam_talks_to_the_real_apiserver(apiserver: ApiServer) -> None:
    async def version() -> dict[str, object] | None:
        async with Connection(ClusterTarget(kubeconfig=apiserver.kubeconfig)) as conn:
            return await conn.get_json("/version")

    answer = asyncio.run(version())
    assert answer is not None
    assert answer["gitVersion"] == "v1.20.2", f"lightkube {installed_version('lightkube')}"

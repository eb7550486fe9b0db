"""httpx2's connection-pool backend, wrapped behind `net/httpcore_seam.py` only.

The leak it closes: a request cancelled while its TLS handshake is under way left the new
socket open (httpcore2 closes it only on `Exception`), found by CI in a watcher reconnecting
through a cut proxy. These run against a real TCP server that takes the connection and
never answers the handshake, so the cancellation lands exactly there.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest

from kubedrift.cluster import connection as connection_module
from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.model.seams import LibraryChanged, installed_version
from kubedrift.net import httpcore_seam
from support.fixtures_files import token_kubeconfig


async def _cancelled_mid_handshake(kubeconfig: Path) -> None:
    """One GET through `Connection` to a server that accepts and never answers, cancelled
    by a timeout while the client waits for the server's TLS hello."""
    held: set[asyncio.StreamWriter] = set()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.add(writer)
        try:
            await reader.read()  # the ClientHello, then nothing until the client closes
        finally:
            writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    kubeconfig.write_text(kubeconfig.read_text().replace("127.0.0.1:1", f"127.0.0.1:{port}"))
    async with server, Connection(ClusterTarget(kubeconfig=kubeconfig)) as conn:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(conn.get_bytes("/version"), 0.5)
        assert held, "the server saw the connection"
    for writer in held:  # the server's own ends, leaked or not by the client
        writer.close()
    await asyncio.sleep(0.05)


@contextmanager
def _leaks() -> Iterator[list[str]]:
    """The ResourceWarnings the garbage collector reports for sockets and transports."""
    found: list[str] = []
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield found
        gc.collect()
    found += [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_handshake_cut_short_by_a_cancellation_leaves_no_socket_open(tmp_path: Path) -> None:
    kubeconfig = token_kubeconfig(tmp_path / "kubeconfig", None)
    with _leaks() as leaked:
        asyncio.run(_cancelled_mid_handshake(kubeconfig))
    assert leaked == []


def test_without_the_seam_the_same_cancellation_leaks_the_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: what the seam is for still happens in httpcore2 without it (if this
    fails, httpcore2 closes the socket itself now, and the seam can go)."""
    monkeypatch.setattr(connection_module, "close_interrupted_handshakes", lambda client: None)
    kubeconfig = token_kubeconfig(tmp_path / "kubeconfig", None)
    with _leaks() as leaked:
        asyncio.run(_cancelled_mid_handshake(kubeconfig))
    assert any("unclosed" in message for message in leaked), leaked


def test_every_pool_of_the_client_gets_the_closing_backend_once() -> None:
    client = httpx.AsyncClient(mounts={"https://proxied.example": httpx.AsyncHTTPTransport()})
    try:
        httpcore_seam.close_interrupted_handshakes(client)
        httpcore_seam.close_interrupted_handshakes(client)  # idempotent: no wrapper in a wrapper
        transports = [client._transport, *client._mounts.values()]
        backends = [
            t._pool._network_backend for t in transports if isinstance(t, httpx.AsyncHTTPTransport)
        ]
        assert len(backends) == 2
        for backend in backends:
            assert isinstance(backend, httpcore_seam.ClosingBackend)
            assert not isinstance(backend.inner, httpcore_seam.ClosingBackend)
    finally:
        asyncio.run(client.aclose())


def test_a_moved_internal_is_one_line_naming_httpx2_and_its_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = httpx.AsyncClient()
    try:
        monkeypatch.delattr(client._transport, "_pool")
        with pytest.raises(LibraryChanged) as caught:
            httpcore_seam._wrap_pools(client)
    finally:
        monkeypatch.undo()
        asyncio.run(client.aclose())
    message = str(caught.value)
    assert f"httpx2 {installed_version('httpx2')} changed" in message
    assert httpcore_seam.INTERNAL in message
    assert httpcore_seam.SEAM in message
    assert "\n" not in message


def test_a_moved_internal_leaves_the_client_working_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The guard is lost, not the command: the client is left as httpx2 made it, and the
    warning is logged once per process, not once per connection."""
    monkeypatch.setattr(httpcore_seam, "_warned", [])
    clients = [httpx.AsyncClient(), httpx.AsyncClient()]
    try:
        for client in clients:
            monkeypatch.setattr(client._transport, "_pool", object())
        with caplog.at_level("WARNING", logger=httpcore_seam.__name__):
            assert [httpcore_seam.close_interrupted_handshakes(c) for c in clients] == [
                False,
                False,
            ]
    finally:
        monkeypatch.undo()
        for client in clients:
            asyncio.run(client.aclose())
    warnings_logged = [r.getMessage() for r in caplog.records]
    assert len(warnings_logged) == 1
    assert f"httpx2 {installed_version('httpx2')} changed" in warnings_logged[0]

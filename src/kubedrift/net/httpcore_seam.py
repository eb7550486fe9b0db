"""The one use of httpx2's internals: the connection pool's network backend.

httpcore2 (2.16.2, like encode/httpcore before it) closes a new TCP stream when the TLS
handshake on it fails, but only on `Exception` (`_backends/anyio.py`, `start_tls`: `except
Exception: await self.aclose()`). A task cancelled during the handshake — a watcher
stopping, a TaskGroup cancelling its siblings, a `wait_for` running out while an apiserver
comes back — raises `CancelledError`, a `BaseException`: the socket is then referenced by
nothing and stays open until the garbage collector finds it ("unclosed transport"), one
leaked socket per interrupted reconnect. kubedrift's watcher reconnects for days, so that
adds up; the CI run of 2026-12-04 caught one in
test_changes_made_while_the_apiserver_is_away_are_not_lost.

The network-backend interface (`httpcore2.AsyncNetworkBackend`, `AsyncNetworkStream`) is
public; what is not is where httpx2 keeps it: `AsyncClient._transport` / `._mounts`, the
transport's `._pool`, the pool's `._network_backend`. `close_interrupted_handshakes` wraps
that backend so a stream whose handshake is interrupted by anything is closed before the
interruption goes on. When those attributes move, kubedrift logs one warning naming
httpx2's version and goes on with the client as httpx2 made it (a guard lost is no reason
to stop a scan), while tests/net/test_httpcore_seam.py fails outright; that test also shows
the leak gone against a server that never answers the handshake.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore2
import httpx2 as httpx

from kubedrift.model.seams import LibraryChanged, library_changed

log = logging.getLogger(__name__)

SEAM = "src/kubedrift/net/httpcore_seam.py"
INTERNAL = "AsyncClient._transport._pool._network_backend"


def close_interrupted_handshakes(client: httpx.AsyncClient) -> bool:
    """Make every connection pool of `client` close a stream whose TLS handshake is
    interrupted, cancellation included.

    False when httpx2 keeps its pools elsewhere now: the client is left as httpx2 made it
    and works, only the leak is back, so this is a warning logged once per process (the
    `LibraryChanged` line naming httpx2's version), not an error that stops the command;
    the seam's test fails outright.
    """
    try:
        _wrap_pools(client)
    except LibraryChanged as err:
        if not _warned:
            _warned.append(str(err))
            log.warning("%s", err)
        return False
    return True


_warned: list[str] = []
"""The warning, once logged (a process warns once, not once per connection)."""


def _wrap_pools(client: httpx.AsyncClient) -> None:
    """`close_interrupted_handshakes`'s work; `LibraryChanged` when the internals moved."""
    try:
        transports = [client._transport, *client._mounts.values()]
        for transport in transports:
            if not isinstance(transport, httpx.AsyncHTTPTransport):
                continue  # a transport someone passed in: not httpx2's pool
            pool = transport._pool
            backend = pool._network_backend
            if not isinstance(backend, httpcore2.AsyncNetworkBackend):
                raise TypeError(f"the pool's backend is a {type(backend).__name__}")
            if not isinstance(backend, ClosingBackend):
                pool._network_backend = ClosingBackend(backend)
    except (AttributeError, TypeError) as err:
        raise library_changed("httpx2", INTERNAL, SEAM, err) from err


class ClosingBackend(httpcore2.AsyncNetworkBackend):
    """`inner`, with its streams closed when a TLS handshake on them does not complete."""

    def __init__(self, inner: httpcore2.AsyncNetworkBackend) -> None:
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        """`inner`'s TCP stream, wrapped."""
        stream = await self.inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        return ClosingStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.AsyncNetworkStream:
        """`inner`'s Unix-socket stream, wrapped."""
        stream = await self.inner.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )
        return ClosingStream(stream)

    async def sleep(self, seconds: float) -> None:
        """`inner`'s sleep (the pool's retry backoff)."""
        await self.inner.sleep(seconds)


class ClosingStream(httpcore2.AsyncNetworkStream):
    """A plain stream whose `start_tls` closes it on any failure or interruption."""

    def __init__(self, inner: httpcore2.AsyncNetworkStream) -> None:
        self.inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """As `inner`."""
        return await self.inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """As `inner`."""
        await self.inner.write(buffer, timeout)

    async def aclose(self) -> None:
        """As `inner`."""
        await self.inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        """`inner`'s TLS stream; `inner` closed if the handshake fails or is cancelled."""
        try:
            return await self.inner.start_tls(ssl_context, server_hostname, timeout)
        except BaseException:
            # shielded: the cancellation that got us here must not also stop the close
            with anyio.CancelScope(shield=True):
                await self.inner.aclose()
            raise

    def get_extra_info(self, info: str) -> Any:
        """As `inner` (the pool asks for `ssl_object`, `socket`, `is_readable`)."""
        return self.inner.get_extra_info(info)

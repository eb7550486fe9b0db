"""A TCP proxy on loopback that a test can cut and restore, to take a server away from one client.

    with TcpProxy("127.0.0.1", apiserver_port) as proxy:   # proxy.port: where clients connect
        proxy.cut()       # every connection reset, new ones refused: the server is "away"
        ...               # other clients still reach the server itself and change things
        proxy.restore()   # listening again on the same port

It runs its own event loop in a thread, so the code under test and the test's own requests
use real sockets; TLS passes through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from types import TracebackType
from typing import Self


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target`; `cut()` and `restore()` it at will."""

    def __init__(self, host: str, target_port: int) -> None:
        self.host, self.target_port = host, target_port
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> Self:
        self._thread.start()
        self.restore()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def cut(self) -> None:
        """Stop listening and reset every open connection."""
        self._call(self._cut())

    def restore(self) -> None:
        """Listen again on the same port."""
        self._call(self._listen())

    def _call(self, coro: object) -> None:
        assert asyncio.iscoroutine(coro)
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._pipe, "127.0.0.1", self.port, reuse_address=True
            )

    async def _shutdown(self) -> None:
        """Cut, then end every piping task, so no transport outlives the loop."""
        await self._cut()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            with contextlib.suppress(OSError):
                sock = writer.get_extra_info("socket")
                if sock is not None:  # RST, as a vanished server's kernel would answer
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.close()
        for writer in list(self._writers):
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy both ways until either side ends. It never ends cancelled: asyncio 3.11's
        server callback then skips closing the accepted transport (it calls
        `task.exception()`, which raises for a cancelled task) and the socket leaks."""
        up_writer: asyncio.StreamWriter | None = None
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
            self._writers |= {writer, up_writer}
            await asyncio.gather(
                self._copy(reader, up_writer), self._copy(up_reader, writer), return_exceptions=True
            )
        except (OSError, asyncio.CancelledError):
            pass  # the target refused, or the proxy is shutting down: both ends close below
        finally:
            for end in (writer, up_writer):
                if end is not None:
                    self._writers.discard(end)
                    with contextlib.suppress(OSError, RuntimeError):
                        end.close()

    @staticmethod
    async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(OSError, RuntimeError):
                writer.close()

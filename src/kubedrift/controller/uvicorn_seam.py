"""The one subclass of `uvicorn.Server`: no signal handlers, and a call once it listens.

uvicorn is made to own a process: `Server.serve()` wraps its run in `capture_signals()`,
which replaces the SIGINT/SIGTERM handlers (uvicorn >= 0.29 has no switch to turn that
off), and it says it listens only in a log line. Inside `kubedrift watch` the watcher owns
those signals and needs the bound port (`--listen 127.0.0.1:0`), so `EmbeddedServer`
overrides two methods that are not documented API — `capture_signals` and `startup` — and
reads `started`, `servers` and `should_exit`. When uvicorn renames or reshapes one of them
the override would silently stop working (uvicorn would take SIGTERM from the watcher), so
`EmbeddedServer()` checks them first and raises `LibraryChanged` naming uvicorn's version;
tests/controller/test_seams.py serves through it with the test's own SIGTERM handler in
place and checks that handler is still there while it serves.
"""

from __future__ import annotations

import contextlib
import inspect
import socket
from collections.abc import Callable, Iterator

import uvicorn

from kubedrift.model.seams import library_changed

SEAM = "src/kubedrift/controller/uvicorn_seam.py"
_OVERRIDDEN = {"capture_signals": ["self"], "startup": ["self", "sockets"]}
_USED = ("shutdown", "serve", "handle_exit")

Listening = Callable[[int, uvicorn.Server], None]
"""Told the bound port and the server once the socket listens."""


def check_uvicorn() -> None:
    """`LibraryChanged` unless uvicorn.Server still has what `EmbeddedServer` relies on."""
    for name, params in _OVERRIDDEN.items():
        method = getattr(uvicorn.Server, name, None)
        found = None if method is None else list(inspect.signature(method).parameters)
        if found != params:
            err = AttributeError(f"Server.{name} has parameters {found}, expected {params}")
            raise library_changed("uvicorn", f"uvicorn.Server.{name}", SEAM, err)
    for name in _USED:
        if not callable(getattr(uvicorn.Server, name, None)):
            err = AttributeError(f"uvicorn.Server has no method {name}")
            raise library_changed("uvicorn", f"uvicorn.Server.{name}", SEAM, err)


class EmbeddedServer(uvicorn.Server):
    """uvicorn's server without its signal handlers, announcing when it listens."""

    def __init__(self, config: uvicorn.Config, on_listening: Listening | None = None) -> None:
        check_uvicorn()
        super().__init__(config)
        self._on_listening = on_listening

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave the process's SIGTERM/SIGINT handlers alone: the watcher owns them."""
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start-up, then `on_listening` with the bound port."""
        await super().startup(sockets=sockets)
        if not self.started:
            return
        port = int(self.servers[0].sockets[0].getsockname()[1])
        if self._on_listening is not None:
            self._on_listening(port, self)


async def shutdown(server: uvicorn.Server) -> None:
    """Close the listener and connections of a server whose `serve()` was cancelled."""
    server.should_exit = True
    if server.started:
        await server.shutdown()

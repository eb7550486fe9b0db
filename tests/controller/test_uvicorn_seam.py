"""The `uvicorn.Server` subclass, in `controller/uvicorn_seam.py` only.

If uvicorn renames or reshapes what the subclass overrides, the override would silently
stop working and uvicorn would take SIGTERM from the watcher: these fail first, naming
uvicorn's version.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import urllib.request
from collections.abc import Iterator
from types import FrameType

import pytest
import uvicorn
from fastapi import FastAPI

from kubedrift.controller.http import ServerReady, serve
from kubedrift.controller.uvicorn_seam import EmbeddedServer, check_uvicorn
from kubedrift.model.seams import LibraryChanged, installed_version

VERSION = f"uvicorn {installed_version('uvicorn')}"


def test_uvicorn_still_has_what_the_subclass_overrides() -> None:
    check_uvicorn()  # raises LibraryChanged, naming the version, when it does not


def _ours(signum: int, frame: FrameType | None) -> None:
    raise AssertionError("never delivered in this test")


@contextlib.contextmanager
def our_sigterm_handler() -> Iterator[None]:
    before = signal.signal(signal.SIGTERM, _ours)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def test_serving_leaves_our_signal_handler_and_tells_the_port() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    async def scenario() -> tuple[object, bytes]:
        ready = ServerReady()
        task = asyncio.create_task(serve(app, ready_event=ready))
        await asyncio.wait_for(ready.wait(), 10)
        handler = signal.getsignal(signal.SIGTERM)  # while uvicorn serves
        url = f"http://127.0.0.1:{ready.port}/ping"
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read())
        ready.stop()
        await asyncio.wait_for(task, 10)
        return handler, body

    with our_sigterm_handler():
        handler, body = asyncio.run(scenario())
    assert handler is _ours, f"{VERSION} replaced the SIGTERM handler while serving"
    assert body == b'{"pong":"yes"}'


def test_a_reshaped_override_is_one_line_naming_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    def startup(self: uvicorn.Server) -> None:  # lost its `sockets` parameter
        raise AssertionError("never called")

    monkeypatch.setattr(uvicorn.Server, "startup", startup)
    with pytest.raises(LibraryChanged) as caught:
        EmbeddedServer(uvicorn.Config(FastAPI()))
    message = str(caught.value)
    assert f"{VERSION} changed uvicorn.Server.startup" in message
    assert "src/kubedrift/controller/uvicorn_seam.py" in message
    assert "\n" not in message

"""Serve a controller app on a real loopback socket for the duration of a test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx2
from fastapi import FastAPI

from kubedrift.controller.http import ServerReady, serve


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[tuple[httpx2.AsyncClient, ServerReady]]:
    """`app` listening on 127.0.0.1:<free port>, a client for it, and the ready handle.

    On exit the client is closed and the server task cancelled and awaited.
    """
    ready = ServerReady()
    task = asyncio.create_task(serve(app, "127.0.0.1", 0, ready_event=ready))
    await wait_ready(task, ready)
    try:
        url = f"http://127.0.0.1:{ready.port}"
        async with httpx2.AsyncClient(base_url=url, trust_env=False, timeout=10) as client:
            yield client, ready
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_ready(task: asyncio.Task[None], ready: asyncio.Event, timeout: float = 10) -> None:
    """Wait until `ready` is set; re-raise if the server task ended first."""
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when="FIRST_COMPLETED")
    if waiter not in done:
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
    if task in done:
        task.result()
        raise AssertionError("server exited before it was ready")
    if not done:
        raise TimeoutError(f"server not listening after {timeout}s")

"""`kubedrift serve`: the read-only dashboard and JSON API over a timeline store.

For a central store that many clusters' watchers write (PostgreSQL), or a SQLite file copied
from one: `kubedrift serve --store postgresql://… --listen 0.0.0.0:8080`. The store is opened
read-only and never created. Authentication is never off by default: `--auth kubernetes`
reviews each bearer token with the cluster of `--kubeconfig`/`--context` (or the pod's
account); `--auth none` is refused unless the server listens on loopback only.

Runs until SIGINT or SIGTERM; exit 0 then, 1 on an error (a missing store, a port in use,
`--auth none` on a public address) with one line naming what is at fault.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer
from fastapi import FastAPI

from kubedrift.api.app import build_dashboard
from kubedrift.api.auth import AuthMode, authorizer, check_listen
from kubedrift.cli.logs import configure_logging
from kubedrift.cli.options import (
    DEFAULT_STORE,
    ContextOpt,
    InClusterOpt,
    KubeconfigOpt,
    StoreOpt,
)
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.controller.http import ServerReady
from kubedrift.controller.http import serve as serve_app
from kubedrift.model import InputError
from kubedrift.model.gcpause import freeze_long_lived
from kubedrift.store.readonly import open_existing

log = logging.getLogger(__name__)


def serve(
    store: StoreOpt = DEFAULT_STORE,
    listen: Annotated[
        str, typer.Option(help="HOST:PORT to serve on ([::1]:8080 for IPv6).")
    ] = "127.0.0.1:8080",
    auth: Annotated[
        AuthMode,
        typer.Option(
            help="kubernetes: bearer tokens checked by TokenReview and SubjectAccessReview "
            "(list/get findings.kubedrift.io); none: no check, loopback only.",
            case_sensitive=False,
        ),
    ] = AuthMode.KUBERNETES,
    kubeconfig: KubeconfigOpt = None,  # the cluster that reviews tokens (--auth kubernetes)
    context: ContextOpt = None,
    in_cluster: InClusterOpt = False,
    access_log: Annotated[bool, typer.Option(help="Log each request (never its token).")] = False,
) -> int:
    """Serve the read-only web dashboard and JSON API of a timeline store."""
    host, port = listen_address(listen)
    check_listen(auth, host)
    configure_logging(logging.INFO)
    target = ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=in_cluster)
    with open_existing(store) as opened:
        app = build_dashboard(opened, authorizer(auth, target))
        freeze_long_lived()  # modules and app: out of every full collection's walk
        asyncio.run(_run(app, host, port, auth, access_log))
    return 0


def listen_address(listen: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:8080` for IPv6) as a host and a port."""
    host, sep, port = listen.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise InputError(f"--listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
    return host, int(port)


async def _run(app: FastAPI, host: str, port: int, auth: AuthMode, access_log: bool) -> None:
    """Serve until SIGINT/SIGTERM; announce the address once the socket listens."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        if task is not None:
            loop.add_signal_handler(signum, task.cancel)
    ready = ServerReady()
    announce = loop.create_task(_announce(ready, host, auth))
    try:
        await serve_app(app, host, port, ready_event=ready, access_log=access_log)
    except asyncio.CancelledError:
        pass
    finally:
        announce.cancel()


async def _announce(ready: ServerReady, host: str, auth: AuthMode) -> None:
    await ready.wait()
    shown = f"[{host}]" if ":" in host else host
    # a log record, not a bare print: every stderr line of `serve` is in the log format
    log.info("kubedrift dashboard on http://%s:%d/ (auth: %s)", shown, ready.port, auth)

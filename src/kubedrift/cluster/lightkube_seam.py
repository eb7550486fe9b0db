"""The one use of lightkube's internals: its `config.client_adapter` HTTP client factory.

lightkube resolves a kubeconfig (contexts, exec plugins, client certificates, in-cluster
service accounts) into a `SingleConfig`, and `client_adapter.AsyncClient` turns that into an
httpx2 client with the server's base URL, TLS and authentication set up. kubedrift sends its
own requests through that client (cluster/connection.py), so it needs this factory but not
lightkube's object layer. `client_adapter` is not part of lightkube's documented API
(lightkube.readthedocs.io documents `Client`, `AsyncClient` and `KubeConfig`), so a change
there must fail here, loudly and naming the version: tests/cluster/test_seams.py builds a
client from a real kubeconfig through this function.
"""

from __future__ import annotations

import httpx2 as httpx
from lightkube.config.kubeconfig import SingleConfig

from kubedrift.model.seams import library_changed

SEAM = "src/kubedrift/cluster/lightkube_seam.py"
INTERNAL = "lightkube.config.client_adapter.AsyncClient(config, ConnectionParams(timeout=…))"


def adapter_client(config: SingleConfig, timeout: httpx.Timeout) -> httpx.AsyncClient:
    """lightkube's configured async HTTP client for `config` (raises what it raises for a
    bad configuration: ConfigError, OSError; `LibraryChanged` when the internal moved)."""
    try:
        from lightkube.config.client_adapter import (
            AsyncClient,
            ConnectionParams,
        )

        params = ConnectionParams(timeout=timeout)
    except (ImportError, TypeError) as err:
        raise library_changed("lightkube", INTERNAL, SEAM, err) from err
    try:
        client = AsyncClient(config, params)
    except TypeError as err:  # a changed signature, not a bad kubeconfig
        raise library_changed("lightkube", INTERNAL, SEAM, err) from err
    if not isinstance(client, httpx.AsyncClient):
        found = TypeError(f"it returned {type(client).__name__}, not an httpx2 AsyncClient")
        raise library_changed("lightkube", INTERNAL, SEAM, found)
    return client

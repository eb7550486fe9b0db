"""One authenticated HTTP connection to a Kubernetes API server, returning raw JSON.

lightkube resolves the configuration (kubeconfig file and context, in-cluster service
account, `KUBECONFIG`) and builds the TLS/auth-configured HTTP client; kubedrift sends its
own requests through it so objects stay plain dicts decoded once by msgspec, which is what
the diff needs. Library exceptions are translated to `ClusterError` here and go no further.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Mapping
from types import TracebackType
from typing import Any

import httpx2 as httpx
import msgspec
import yaml
from lightkube import ConfigError, KubeConfig
from lightkube.config.kubeconfig import SingleConfig

from kubedrift.cluster.errors import response_error, transport_error
from kubedrift.cluster.kubeconfig import kubeconfig_paths, load_merged
from kubedrift.cluster.lightkube_seam import adapter_client
from kubedrift.cluster.target import SERVICE_ACCOUNT_DIR, ClusterTarget
from kubedrift.model import ClusterError
from kubedrift.model.gcpause import gc_paused
from kubedrift.net.httpcore_seam import close_interrupted_handshakes

_decoder = msgspec.json.Decoder()
__all__ = ["ClusterTarget", "Connection", "context_name", "context_namespace", "resolve_config"]


def resolve_config(target: ClusterTarget) -> SingleConfig:
    """The lightkube configuration for `target`, or a ClusterError saying what is wrong."""
    try:
        if target.in_cluster:
            return _single(KubeConfig.from_service_account(), None, "in-cluster")
        if target.kubeconfig is not None:
            return _single(
                KubeConfig.from_file(target.kubeconfig), target.context, str(target.kubeconfig)
            )
        env = os.environ.get("KUBECONFIG")
        if not env and _in_pod() and target.context is None:
            return _single(KubeConfig.from_service_account(), None, "in-cluster")
        if env and len(kubeconfig_paths(env)) > 1:
            return _single(load_merged(kubeconfig_paths(env)), target.context, env)
        return _single(KubeConfig.from_env(), target.context, "kubeconfig")
    except ConfigError as err:
        where = str(target.kubeconfig or os.environ.get("KUBECONFIG") or "kubeconfig")
        raise ClusterError(str(err), where=where) from None
    except OSError as err:
        raise ClusterError(f"cannot read: {err.strerror}", where=str(err.filename)) from None
    except _MALFORMED as err:
        # lightkube parses the file with yaml.safe_load and indexes into it unchecked: a
        # binary file or a YAML list ends in one of these, never in a ConfigError.
        where = str(target.kubeconfig or os.environ.get("KUBECONFIG") or "kubeconfig")
        reason = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise ClusterError(f"not a valid kubeconfig: {reason}", where=where) from None


def context_namespace(target: ClusterTarget) -> str | None:
    """The namespace the kubeconfig context names, kubectl's home for objects that name none.

    kubectl resolves a manifest's namespace as `--namespace`, else the context's, else
    `default` (kubectl reference, "kubectl config set-context --namespace"). None when the
    context names none, or when there is no kubeconfig to ask and none was asked for (a
    snapshot read on a machine without one); a kubeconfig or context named explicitly that
    cannot be read is an error.
    """
    try:
        return resolve_config(target).context.namespace or None
    except ClusterError:
        if target.kubeconfig is not None or target.context is not None:
            raise
        return None


def context_name(target: ClusterTarget) -> str:
    """The name a cluster goes by: its kubeconfig context's (kubectl's current-context, or
    `--context`), `in-cluster` for the pod's service account, `default` when there is no
    kubeconfig to say (connecting will then say what is wrong)."""
    if target.in_cluster:
        return "in-cluster"
    if target.context:
        return target.context
    if target.kubeconfig is None and not os.environ.get("KUBECONFIG") and _in_pod():
        return "in-cluster"
    try:
        return resolve_config(target).context_name or "default"
    except ClusterError:
        return "default"


_MALFORMED = (yaml.YAMLError, UnicodeDecodeError, ValueError, TypeError, AttributeError, KeyError)


def _single(config: KubeConfig, context: str | None, where: str) -> SingleConfig:
    single = config.get(context_name=context)
    if single is None:
        raise ClusterError(f"context {context!r} not found", where=where)
    return single


def _in_pod() -> bool:
    return (SERVICE_ACCOUNT_DIR / "token").exists() and "KUBERNETES_SERVICE_HOST" in os.environ


class Connection:
    """An open connection; use `async with Connection(target) as conn:`."""

    def __init__(self, target: ClusterTarget) -> None:
        self.target = target
        self.config = resolve_config(target)
        self.server = self.config.cluster.server
        self.context = self.config.context_name
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Connection:
        timeout = httpx.Timeout(self.target.timeout)
        try:
            self._http = adapter_client(self.config, timeout)
        except (ConfigError, OSError) as err:
            raise ClusterError(f"cannot set up the connection: {err}", where=self.server) from None
        close_interrupted_handshakes(self._http)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()
            # asyncio closes a socket transport one loop turn after close(), TLS ones two:
            # without these turns a loop that ends right after (asyncio.run) leaves them to
            # the garbage collector, "unclosed transport" (pydantic/httpx2#302)
            for _ in range(3):
                await asyncio.sleep(0)

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying client (only inside `async with`)."""
        if self._http is None:
            raise RuntimeError("Connection used outside `async with`")
        return self._http

    async def get_json(
        self, path: str, params: Mapping[str, str] | None = None, *, what: str | None = None
    ) -> dict[str, Any] | None:
        """GET `path` and decode it; None on 404. `what` names the object in errors."""
        data = await self.get_bytes(path, params, what=what)
        return None if data is None else decode(data, where=what or path)

    async def get_bytes(
        self, path: str, params: Mapping[str, str] | None = None, *, what: str | None = None
    ) -> bytes | None:
        """GET `path`, the body undecoded (for typed or partial decoding); None on 404."""
        try:
            resp = await self.http.get(path, params=dict(params or {}))
        except httpx.HTTPError as err:
            raise self._transport_error(err) from err
        if resp.status_code == 404:
            return None
        self._raise_for_status(resp, what or path)
        return resp.content

    async def stream_lines(
        self, path: str, params: Mapping[str, str], *, what: str
    ) -> AsyncGenerator[bytes, None]:
        """Stream a watch response line by line (no read timeout)."""
        timeout = httpx.Timeout(self.target.timeout, read=None)
        try:
            async with self.http.stream("GET", path, params=dict(params), timeout=timeout) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    self._raise_for_status(resp, what)
                async for line in resp.aiter_lines():
                    if line:
                        yield line.encode()
        except httpx.HTTPError as err:
            raise self._transport_error(err) from err

    def _transport_error(self, err: httpx.HTTPError) -> ClusterError:
        return transport_error(err, self.server)

    def _raise_for_status(self, resp: httpx.Response, what: str) -> None:
        if resp.status_code >= 400:
            raise response_error(resp, what)


def decode(data: bytes, *, where: str) -> dict[str, Any]:
    """Decode one JSON document with the collector paused (bulk decode allocates a lot)."""
    try:
        with gc_paused():
            value = _decoder.decode(data)
    except msgspec.DecodeError as err:
        raise ClusterError(f"invalid JSON from the API server: {err}", where=where) from None
    if not isinstance(value, dict):
        raise ClusterError("expected a JSON object from the API server", where=where)
    return value

"""JSON writes through a `Connection`: create (POST) and merge patch (PATCH).

`Connection` itself only reads; these requests go through the same configured client and
translate failures the same way, to `ClusterError` (and `Conflict` for HTTP 409, which a
caller racing another writer can act on).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2 as httpx
import msgspec

from kubedrift.cluster.connection import Connection, decode
from kubedrift.model import ClusterError

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class Conflict(ClusterError):
    """HTTP 409: the object already exists, or changed under a conditional write."""


class NotFound(ClusterError):
    """HTTP 404: the object (or the resource) does not exist."""


class TooManyRequests(ClusterError):
    """HTTP 429: e.g. an eviction a PodDisruptionBudget does not allow right now."""


async def send_json(
    conn: Connection,
    method: str,
    path: str,
    body: Mapping[str, Any],
    *,
    what: str,
    content_type: str = JSON,
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Send `body` as JSON and return the object the server answers with.

    `what` names the object in errors (`Node/gpu-1`).
    """
    headers = {"Content-Type": content_type, "Accept": JSON}
    try:
        resp = await conn.http.request(
            method, path, content=_encoder.encode(body), headers=headers, params=dict(params or {})
        )
    except httpx.HTTPError as err:
        reason = str(err) or type(err).__name__
        raise ClusterError(f"cannot reach the API server: {reason}", where=conn.server) from None
    if resp.status_code >= 400:
        raise _error(resp, what)
    return decode(resp.content, where=what)


def _error(resp: httpx.Response, what: str) -> ClusterError:
    message = _status_message(resp)
    if resp.status_code == 409:
        return Conflict(f"conflict: {message}", where=what)
    if resp.status_code == 404:
        return NotFound(f"not found: {message}", where=what)
    if resp.status_code == 429:
        return TooManyRequests(f"too many requests: {message}", where=what)
    if resp.status_code == 401:
        return ClusterError(f"unauthorized (check the credentials): {message}", where=what)
    if resp.status_code == 403:
        return ClusterError(f"forbidden: {message}", where=what)
    return ClusterError(f"HTTP {resp.status_code}: {message}", where=what)


def _status_message(resp: httpx.Response) -> str:
    try:
        body = _decoder.decode(resp.content)
    except msgspec.DecodeError:
        return resp.text[:200].strip() or resp.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return resp.reason_phrase

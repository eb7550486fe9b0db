"""JSON writes through a `Connection`: create (POST) and merge patch (PATCH).

`Connection` itself only reads; these requests go through the same configured client and
translate failures the same way (`kubedrift.cluster.errors`: `Conflict` for HTTP 409, which
a caller racing another writer can act on, `Forbidden`, `NotFound`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2 as httpx
import msgspec

from kubedrift.cluster.connection import Connection, decode
from kubedrift.cluster.errors import Conflict, response_error, transport_error

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
__all__ = ["JSON", "MERGE_PATCH", "Conflict", "send_json"]
_encoder = msgspec.json.Encoder()


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
        raise transport_error(err, conn.server) from err
    if resp.status_code >= 400:
        raise response_error(resp, what)
    return decode(resp.content, where=what)
